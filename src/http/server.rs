//! The serve loop: HTTP/1.1 connections with hyper, plain or over TLS, each watched for slow heads
//! and idleness, a cap on open connections, and a graceful shutdown with a deadline.
//!
//! Why our own loop rather than `axum::serve`: it sets no timeouts at all, and its graceful
//! shutdown waits forever for a client that sent half a request.
//!
//! Why a watchdog rather than hyper's `header_read_timeout` alone: in hyper 1.12 that timer starts
//! as soon as hyper waits for the next request head, so on a keep-alive connection it covers the
//! idle wait too, and a 10 s head timeout would close every connection idle for 10 s. The watchdog
//! tells the two apart: a head is due `header_timeout` after its first byte (or after the accept,
//! for the first request); an idle connection is closed `idle_timeout` after its last activity.
//! hyper's timer stays on as a backstop at the sum of both.
//!
//! Over TLS the handshake comes first, on the connection's own task (a slow handshake never holds
//! up the accept loop). It shares the first head's deadline, `header_timeout` after the accept,
//! so a client that never finishes its handshake holds its connection (and its place under the
//! cap) no longer than one that never finishes its first head; shutdown drops it at once.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use super::limits;
use super::tls::TlsConfig;

/// Connection-level limits (the `serve` flags).
#[derive(Debug, Clone, Copy)]
pub struct ServerConfig {
    /// A request head must be complete within this (from its first byte; from the accept for
    /// the first request of a connection).
    pub header_timeout: Duration,
    /// A connection with no request in flight and no traffic for this long is closed.
    pub idle_timeout: Duration,
    /// Most open connections; at the cap no more are accepted until one closes.
    pub max_connections: usize,
    /// On shutdown, how long in-flight requests may take before their connections are dropped.
    pub shutdown_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            header_timeout: Duration::from_secs(limits::DEFAULT_HEADER_TIMEOUT_SECS),
            idle_timeout: Duration::from_secs(limits::DEFAULT_IDLE_TIMEOUT_SECS),
            max_connections: limits::DEFAULT_MAX_CONNECTIONS,
            shutdown_timeout: Duration::from_secs(limits::DEFAULT_SHUTDOWN_TIMEOUT_SECS),
        }
    }
}

/// Serves `app` on `listener` (over TLS with `tls`) until `shutdown` resolves; then stops
/// accepting, lets in-flight requests finish, and after `shutdown_timeout` drops whatever is left.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: ServerConfig,
    tls: Option<&TlsConfig>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let tls = tls.map(TlsConfig::acceptor);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout + config.idle_timeout)
        .max_headers(limits::HYPER_MAX_HEADERS)
        .max_buf_size(limits::HYPER_MAX_BUF_SIZE)
        .keep_alive(true);
    let permits = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // never closed
            },
        };
        let stream = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // E.g. out of file descriptors: pause rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let accepted = Instant::now();
        while connections.try_join_next().is_some() {}
        let _ = stream.set_nodelay(true);
        let conn = Conn {
            accepted,
            app: app.clone(),
            builder: builder.clone(),
            config,
            stop: stop_rx.clone(),
            _permit: permit,
        };
        match &tls {
            None => connections.spawn(conn.serve(stream)),
            Some(acceptor) => {
                connections.spawn(conn.handshake_then_serve(acceptor.clone(), stream))
            }
        };
    }

    drop(listener);
    let _ = stop_tx.send(true);
    tracing::info!(
        connections = connections.len(),
        "shutting down: letting in-flight requests finish"
    );
    let drained = tokio::time::timeout(config.shutdown_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            "shutdown timeout reached: dropping the remaining connections"
        );
        connections.abort_all();
    }
    Ok(())
}

/// One accepted connection and what serving it needs.
struct Conn {
    accepted: Instant,
    app: Router,
    builder: http1::Builder,
    config: ServerConfig,
    stop: watch::Receiver<bool>,
    /// Its place under the connection cap, given back when the connection ends.
    _permit: OwnedSemaphorePermit,
}

impl Conn {
    async fn handshake_then_serve(mut self, acceptor: TlsAcceptor, stream: TcpStream) {
        let due = self.accepted + self.config.header_timeout;
        let handshake = tokio::time::timeout_at(due, acceptor.accept(stream));
        let stream = tokio::select! {
            done = handshake => match done {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!("closing a connection: TLS handshake too slow");
                    return;
                }
            },
            _ = self.stop.wait_for(|stop| *stop) => return,
        };
        self.serve(stream).await;
    }

    async fn serve<S>(self, stream: S)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Conn {
            accepted,
            app,
            builder,
            config,
            mut stop,
            _permit,
        } = self;
        let activity = Arc::new(Activity::new(accepted));
        let io = TokioIo::new(TrackedIo {
            inner: stream,
            activity: activity.clone(),
        });
        // The router is a tower service; hyper-util's adapter calls it (a clone per request, as
        // tower wants) without a direct dependency on tower.
        let app = TowerToHyperService::new(app);
        let service = {
            let activity = activity.clone();
            hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let in_flight = InFlight::start(&activity);
                let answer = hyper::service::Service::call(&app, req);
                async move {
                    let _in_flight = in_flight;
                    answer.await
                }
            })
        };
        let conn = builder.serve_connection(io, service);
        let mut conn = std::pin::pin!(conn);
        let mut stopping = false;
        loop {
            // No wake-up per request (that cost measurable throughput): the watchdog sleeps until
            // the deadline it computed, or a quarter of the head timeout, whichever is first, and
            // looks again. A head that starts meanwhile is so cut off at most a quarter late. While
            // a request is in flight the body and request timeouts govern.
            let recheck = Instant::now() + config.header_timeout / 4;
            let wake = activity
                .deadline(&config)
                .map_or(recheck, |due| due.min(recheck));
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection closed with an error");
                    }
                    return;
                }
                _ = stop.wait_for(|stop| *stop), if !stopping => {
                    stopping = true;
                    // Between requests, at most part of a head read: nothing to finish.
                    if activity.awaiting_head() {
                        return;
                    }
                    conn.as_mut().graceful_shutdown();
                }
                () = tokio::time::sleep_until(wake) => {
                    if activity.deadline(&config).is_some_and(|due| due <= Instant::now()) {
                        tracing::debug!("closing a connection: request head too slow, or idle");
                        return;
                    }
                }
            }
        }
    }
}

/// What the watchdog knows about a connection: atomics, since every read and write of the socket
/// updates them (a lock there cost measurable throughput).
#[derive(Debug)]
struct Activity {
    /// When the connection was accepted; the times below are milliseconds after it.
    born: Instant,
    in_flight: AtomicUsize,
    /// Last byte read or written, or the end of the last request.
    last_io: AtomicU64,
    /// When the next request head began (its first byte, or the accept), plus one; 0 while a
    /// request is in flight or before the next head's first byte.
    head_started: AtomicU64,
}

impl Activity {
    fn new(accepted: Instant) -> Activity {
        Activity {
            born: accepted,
            in_flight: AtomicUsize::new(0),
            last_io: AtomicU64::new(0),
            head_started: AtomicU64::new(1),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.born.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn at(&self, ms: u64) -> Instant {
        self.born + Duration::from_millis(ms)
    }

    fn on_io(&self, read: bool) {
        let now = self.now();
        self.last_io.store(now, Ordering::Relaxed);
        if read && self.in_flight.load(Ordering::Relaxed) == 0 {
            // Only the first byte of a head starts its clock.
            let _ = self.head_started.compare_exchange(
                0,
                now + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }

    /// When the connection is to be closed, unless a request is in flight.
    fn deadline(&self, config: &ServerConfig) -> Option<Instant> {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return None;
        }
        Some(match self.head_started.load(Ordering::Relaxed) {
            0 => self.at(self.last_io.load(Ordering::Relaxed)) + config.idle_timeout,
            started => self.at(started - 1) + config.header_timeout,
        })
    }

    fn awaiting_head(&self) -> bool {
        self.in_flight.load(Ordering::Relaxed) == 0
            && self.head_started.load(Ordering::Relaxed) != 0
    }
}

/// A request between hyper's call of the service and the end of the handler.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> InFlight {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.head_started.store(0, Ordering::Relaxed);
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let a = &self.0;
        a.last_io.store(a.now(), Ordering::Relaxed);
        a.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The connection's byte stream (a socket, or the TLS session over it), reporting its traffic to
/// the watchdog.
struct TrackedIo<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for TrackedIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.on_io(true);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TrackedIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.on_io(false);
        }
        result
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.on_io(false);
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ServerConfig {
        ServerConfig {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            ..ServerConfig::default()
        }
    }

    #[test]
    fn the_first_head_is_due_from_the_accept() {
        let t0 = Instant::now();
        let a = Arc::new(Activity::new(t0));
        assert_eq!(a.deadline(&config()), Some(t0 + Duration::from_secs(10)));
        assert!(a.awaiting_head());
    }

    #[test]
    fn no_deadline_while_a_request_runs_then_idle_then_head() {
        let a = Arc::new(Activity::new(Instant::now()));
        let request = InFlight::start(&a);
        a.on_io(true); // body bytes
        assert_eq!(a.deadline(&config()), None);
        assert!(!a.awaiting_head());
        drop(request);
        let idle = a.deadline(&config()).expect("idle deadline");
        assert!(idle >= Instant::now() + Duration::from_secs(59));
        a.on_io(true); // the first byte of the next head
        let head = a.deadline(&config()).expect("head deadline");
        assert!(head <= Instant::now() + Duration::from_secs(10));
        assert!(a.awaiting_head());
    }
}
