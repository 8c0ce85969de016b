//! The serve loop: HTTP/1.1 connections with hyper, each watched for slow heads and idleness, a
//! cap on open connections, and a graceful shutdown with a deadline.
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

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::limits;

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

/// Serves `app` on `listener` until `shutdown` resolves; then stops accepting, lets in-flight
/// requests finish, and after `shutdown_timeout` drops whatever is left.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
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
        while connections.try_join_next().is_some() {}
        let _ = stream.set_nodelay(true);
        connections.spawn(serve_connection(
            stream,
            app.clone(),
            builder.clone(),
            config,
            stop_rx.clone(),
            permit,
        ));
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

async fn serve_connection(
    stream: TcpStream,
    app: Router,
    builder: http1::Builder,
    config: ServerConfig,
    mut stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let activity = Arc::new(Activity::new(Instant::now()));
    let io = TokioIo::new(TrackedIo {
        inner: stream,
        activity: activity.clone(),
    });
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let in_flight = InFlight::start(&activity);
            let mut app = app.clone();
            async move {
                let _in_flight = in_flight;
                tower::Service::call(&mut app, req).await
            }
        })
    };
    let conn = builder.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut stopping = false;
    loop {
        // While a request is in flight the body and request timeouts govern; wake up when it
        // ends (`changed`) to start the next deadline.
        let wake = activity
            .deadline(&config)
            .unwrap_or_else(|| Instant::now() + config.idle_timeout);
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
            () = activity.changed.notified() => {}
            () = tokio::time::sleep_until(wake) => {
                if activity.deadline(&config).is_some_and(|due| due <= Instant::now()) {
                    tracing::debug!("closing a connection: request head too slow, or idle");
                    return;
                }
            }
        }
    }
}

/// What the watchdog knows about a connection.
#[derive(Debug)]
struct Activity {
    state: Mutex<ActivityState>,
    /// Signalled when a request ends.
    changed: Notify,
}

#[derive(Debug)]
struct ActivityState {
    in_flight: usize,
    /// Last byte read or written, or the end of the last request.
    last_io: Instant,
    /// When the next request head began (its first byte, or the accept): set only while no
    /// request is in flight.
    head_started: Option<Instant>,
}

impl Activity {
    fn new(accepted: Instant) -> Activity {
        Activity {
            state: Mutex::new(ActivityState {
                in_flight: 0,
                last_io: accepted,
                head_started: Some(accepted),
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ActivityState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn on_io(&self, read: bool) {
        let now = Instant::now();
        let mut s = self.lock();
        s.last_io = now;
        if read && s.in_flight == 0 && s.head_started.is_none() {
            s.head_started = Some(now);
        }
    }

    /// When the connection is to be closed, unless a request is in flight.
    fn deadline(&self, config: &ServerConfig) -> Option<Instant> {
        let s = self.lock();
        if s.in_flight > 0 {
            return None;
        }
        Some(match s.head_started {
            Some(started) => started + config.header_timeout,
            None => s.last_io + config.idle_timeout,
        })
    }

    fn awaiting_head(&self) -> bool {
        let s = self.lock();
        s.in_flight == 0 && s.head_started.is_some()
    }
}

/// A request between hyper's call of the service and the end of the handler.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> InFlight {
        let mut s = activity.lock();
        s.in_flight += 1;
        s.head_started = None;
        drop(s);
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        s.last_io = Instant::now();
        drop(s);
        self.0.changed.notify_one();
    }
}

/// The socket, reporting its traffic to the watchdog.
struct TrackedIo {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for TrackedIo {
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

impl AsyncWrite for TrackedIo {
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
