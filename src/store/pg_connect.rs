//! How Rolodex reaches PostgreSQL: the TLS parameters of the database URL, read as libpq reads
//! them; the rustls configuration each mode needs; `prefer`'s fallback to a plain connection; and a
//! failed connection's cause in words an operator can act on.
//!
//! tokio-postgres knows `sslmode=disable|prefer|require` and nothing of root certificates, so
//! `sslmode` and `sslrootcert` are taken off the URL here ([`split_tls_params`]) and the rest is
//! handed to tokio-postgres. What each mode checks (as in libpq):
//!
//! | sslmode | TLS | certificate chain | host name |
//! |---|---|---|---|
//! | `disable` | never | – | – |
//! | `prefer` (default) | if the server accepts it, else plain | only if `sslrootcert` is given | no |
//! | `require` | always | only if `sslrootcert` is given (then as `verify-ca`) | no |
//! | `verify-ca` | always | against `sslrootcert` | no |
//! | `verify-full` | always | against `sslrootcert` | yes |
//!
//! `prefer` falls back to a plain connection when the server refuses TLS (tokio-postgres does that
//! itself) and also when the TLS handshake fails (libpq does; tokio-postgres alone would give up).
//! `sslrootcert=system` takes the operating system's trusted roots and, as in libpq, needs
//! `verify-full` (the default then). Unlike libpq, no `~/.postgresql/root.crt` is read: a service
//! rarely has a home directory, so the roots are always named in the URL.

use std::path::PathBuf;
use std::sync::Arc;

use futures::future::BoxFuture;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::error::SqlState;
use tokio_postgres_rustls::MakeRustlsConnect;

/// `sslmode`, as libpq names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<Self, String> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "unknown sslmode {other:?}: use disable, prefer, require, verify-ca or verify-full"
                ));
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// Where the trusted roots come from (`sslrootcert`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    /// A PEM file of one or more certificates.
    File(PathBuf),
    /// The operating system's trust store (`sslrootcert=system`).
    System,
}

/// The TLS parameters of one database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: SslMode,
    pub roots: Option<Roots>,
}

/// Splits `sslmode` and `sslrootcert` off a `postgres://` URL's query (the last of each wins, as in
/// libpq) and checks that they fit together. Returns the URL without them, for tokio-postgres, and
/// the settings. The error is the reason alone, without the URL: the caller names it redacted.
pub fn split_tls_params(url: &str) -> Result<(String, TlsSettings), String> {
    // The query starts at the first `?` after the user information, which ends at the first `@`
    // (where tokio-postgres's own parser puts them).
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let authority_start = url[after_scheme..]
        .find('@')
        .map_or(after_scheme, |i| after_scheme + i + 1);
    let Some(query_start) = url[authority_start..]
        .find('?')
        .map(|i| authority_start + i)
    else {
        return Ok((url.to_owned(), settings(None, None)?));
    };
    let mut mode = None;
    let mut roots = None;
    let mut kept = Vec::new();
    for pair in url[query_start + 1..].split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match decode(key).as_str() {
            "sslmode" => mode = Some(SslMode::parse(&decode(value))?),
            "sslrootcert" => {
                let value = decode(value);
                if value.is_empty() {
                    return Err("sslrootcert is empty: name a PEM file or `system`".into());
                }
                roots = Some(if value == "system" {
                    Roots::System
                } else {
                    Roots::File(PathBuf::from(value))
                });
            }
            _ => kept.push(pair),
        }
    }
    let mut rest = url[..query_start].to_owned();
    if !kept.is_empty() {
        rest.push('?');
        rest.push_str(&kept.join("&"));
    }
    Ok((rest, settings(mode, roots)?))
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

fn settings(mode: Option<SslMode>, roots: Option<Roots>) -> Result<TlsSettings, String> {
    let mode = match (mode, &roots) {
        // libpq: the system's roots are only worth their name with the host name checked.
        (None, Some(Roots::System)) => SslMode::VerifyFull,
        (Some(weak), Some(Roots::System)) if weak != SslMode::VerifyFull => {
            return Err(format!(
                "sslmode={} may not be used with sslrootcert=system (use verify-full)",
                weak.name()
            ));
        }
        (Some(mode), _) => mode,
        (None, _) => SslMode::Prefer,
    };
    if matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) && roots.is_none() {
        return Err(format!(
            "sslmode={} needs sslrootcert=PATH (a PEM file of the certificates to trust) or \
             sslrootcert=system",
            mode.name()
        ));
    }
    Ok(TlsSettings { mode, roots })
}

/// The TLS mode tokio-postgres is told: it only negotiates; what is checked is up to the verifier.
pub fn wire_mode(mode: SslMode) -> tokio_postgres::config::SslMode {
    match mode {
        SslMode::Disable => tokio_postgres::config::SslMode::Disable,
        SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            tokio_postgres::config::SslMode::Require
        }
    }
}

/// The crypto provider, named rather than left to rustls's process default, which is ambiguous
/// (and panics) when another crate enables a second one.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn load_roots(roots: &Roots) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::File(path) => {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read sslrootcert {}: {e}", path.display()))?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert
                    .map_err(|e| format!("sslrootcert {} is not valid PEM: {e}", path.display()))?;
                store.add(cert).map_err(|e| {
                    format!("sslrootcert {}: unusable certificate: {e}", path.display())
                })?;
            }
            if store.is_empty() {
                return Err(format!(
                    "sslrootcert {} holds no PEM certificate",
                    path.display()
                ));
            }
        }
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            // Unparsable entries in a system store are common and harmless; take the rest.
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                return Err(
                    "sslrootcert=system: the system has no trusted root certificates \
                            (install ca-certificates)"
                        .into(),
                );
            }
        }
    }
    Ok(store)
}

/// The rustls client configuration for `settings`; `None` for `disable`.
pub fn client_config(settings: &TlsSettings) -> Result<Option<ClientConfig>, String> {
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = match (&settings.mode, &settings.roots) {
        (SslMode::Disable, _) => return Ok(None),
        (SslMode::VerifyFull, Some(roots)) => {
            rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(load_roots(roots)?),
                provider.clone(),
            )
            .build()
            .map_err(|e| format!("cannot use sslrootcert: {e}"))?
        }
        // libpq: with a root certificate, `prefer` and `require` check the chain as `verify-ca`.
        (_, Some(roots)) => Arc::new(ChainOnly {
            roots: Arc::new(load_roots(roots)?),
            algorithms: provider.signature_verification_algorithms,
        }),
        (_, None) => Arc::new(EncryptOnly {
            algorithms: provider.signature_verification_algorithms,
        }),
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Some(config))
}

/// `require` without roots: the connection is encrypted, the server not authenticated (libpq's
/// `require`). The handshake's own signatures are still checked, so the session key belongs to
/// whoever holds the presented certificate.
#[derive(Debug)]
struct EncryptOnly {
    algorithms: WebPkiSupportedAlgorithms,
}

/// `verify-ca`: the chain must lead to a trusted root; the host name is not compared.
#[derive(Debug)]
struct ChainOnly {
    roots: Arc<RootCertStore>,
    algorithms: WebPkiSupportedAlgorithms,
}

macro_rules! handshake_signatures {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.algorithms.supported_schemes()
        }
    };
}

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    handshake_signatures!();
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let cert = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_cert_signed_by_trust_anchor(
            &cert,
            &self.roots,
            intermediates,
            now,
            self.algorithms.all,
        )?;
        Ok(ServerCertVerified::assertion())
    }

    handshake_signatures!();
}

/// Opens the pool's connections: TLS as configured, and for `prefer` a plain retry when the TLS
/// handshake fails.
pub struct Connector {
    tls: Option<MakeRustlsConnect>,
    mode: SslMode,
}

impl Connector {
    pub fn new(settings: &TlsSettings) -> Result<Self, String> {
        Ok(Self {
            tls: client_config(settings)?.map(MakeRustlsConnect::new),
            mode: settings.mode,
        })
    }
}

type Connected = (tokio_postgres::Client, tokio::task::JoinHandle<()>);

async fn connect_with<T>(
    config: &tokio_postgres::Config,
    tls: T,
) -> Result<Connected, tokio_postgres::Error>
where
    T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>,
    T::Stream: Send + 'static,
{
    let (client, connection) = config.connect(tls).await?;
    let task = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "a PostgreSQL connection failed");
        }
    });
    Ok((client, task))
}

impl deadpool_postgres::Connect for Connector {
    fn connect(
        &self,
        config: &tokio_postgres::Config,
    ) -> BoxFuture<'_, Result<Connected, tokio_postgres::Error>> {
        let config = config.clone();
        Box::pin(async move {
            let Some(tls) = &self.tls else {
                return connect_with(&config, tokio_postgres::NoTls).await;
            };
            match connect_with(&config, tls.clone()).await {
                Err(e) if self.mode == SslMode::Prefer && is_handshake_failure(&e) => {
                    tracing::debug!(error = %e, "TLS handshake failed; sslmode=prefer connects without TLS");
                    let mut plain = config;
                    plain.ssl_mode(tokio_postgres::config::SslMode::Disable);
                    connect_with(&plain, tokio_postgres::NoTls).await
                }
                other => other,
            }
        })
    }
}

/// tokio-postgres's words for its TLS error kind (it does not expose the kind itself).
const TLS_KIND: &str = "error performing TLS handshake";

fn is_handshake_failure(e: &tokio_postgres::Error) -> bool {
    e.to_string().starts_with(TLS_KIND)
}

/// The rustls error behind a failed connection, if any. (An `io::Error`'s `source()` skips the
/// error it wraps, so each link is also asked for what it wraps.)
fn rustls_error(e: &tokio_postgres::Error) -> Option<&rustls::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = next {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(tls) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>())
        {
            return Some(tls);
        }
        next = err.source();
    }
    None
}

fn io_error(e: &tokio_postgres::Error) -> Option<&std::io::Error> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = next {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        next = err.source();
    }
    None
}

/// Where a connection was going, for messages: `host:port` of each host in the configuration.
pub fn targets(config: &tokio_postgres::Config) -> String {
    let ports = config.get_ports();
    config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            match host {
                tokio_postgres::config::Host::Tcp(name) if name.contains(':') => {
                    format!("[{name}]:{port}")
                }
                tokio_postgres::config::Host::Tcp(name) => format!("{name}:{port}"),
                #[cfg(unix)]
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a connection could not be made, in words that name the cause: refused, unknown host,
/// timeout, TLS, authentication, no such database. `target` names where it went (`host:port`),
/// `mode` the TLS mode. Never holds a password: the server's messages name users and databases
/// only, and the URL is not repeated.
pub fn describe_failure(e: &tokio_postgres::Error, target: &str, mode: SslMode) -> String {
    if let Some(db) = e.as_db_error() {
        let said = db.message();
        let code = db.code();
        return if *code == SqlState::INVALID_PASSWORD {
            format!("authentication failed at {target} (wrong password?): {said}")
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            // An unknown role, or no pg_hba.conf line that lets this client in.
            format!("authentication failed at {target}: {said}")
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            format!("no such database at {target}: {said}")
        } else if *code == SqlState::TOO_MANY_CONNECTIONS {
            format!("the server at {target} has no free connection: {said}")
        } else if code.code().starts_with("57P") {
            format!("the server at {target} is starting up or shutting down: {said}")
        } else {
            format!(
                "the server at {target} refused the connection: {said} (SQLSTATE {})",
                code.code()
            )
        };
    }
    if let Some(tls) = rustls_error(e) {
        return describe_tls(tls, target, mode);
    }
    let text = e.to_string();
    if text.starts_with(TLS_KIND) {
        // tokio-postgres's own TLS refusals: "server does not support TLS", no host name.
        let detail = std::error::Error::source(e).map_or(String::new(), |s| s.to_string());
        return format!(
            "TLS failed with {target} (sslmode={}): {detail}",
            mode.name()
        );
    }
    if let Some(io) = io_error(e) {
        let said = io.to_string();
        return match io.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                format!(
                    "connection refused by {target}: is PostgreSQL running and listening there?"
                )
            }
            std::io::ErrorKind::TimedOut => {
                format!(
                    "timed out connecting to {target}: no answer (a firewall, or the wrong address?)"
                )
            }
            _ if said.contains("failed to lookup address")
                || said.contains("could not resolve") =>
            {
                format!("unknown host: the name in {target} does not resolve (DNS: {said})")
            }
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => format!(
                "{target} closed the connection during start-up (not PostgreSQL, or it refused this client): {said}"
            ),
            _ => format!("cannot connect to {target}: {said}"),
        };
    }
    if text.contains("password missing") {
        return format!(
            "authentication failed at {target}: the server asks for a password and the URL has none"
        );
    }
    format!("cannot connect to {target}: {text}")
}

fn describe_tls(tls: &rustls::Error, target: &str, mode: SslMode) -> String {
    use rustls::CertificateError as C;
    let why = match tls {
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => {
            "the server's certificate is not signed by a root in sslrootcert".to_owned()
        }
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => {
            format!(
                "the server's certificate is not valid for the host name it was reached by \
                 (sslmode=verify-full checks it; {tls})"
            )
        }
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            format!("the server's certificate has expired ({tls})")
        }
        rustls::Error::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            format!("the server's certificate is not valid yet ({tls})")
        }
        rustls::Error::InvalidCertificate(other) => {
            format!("the server's certificate was rejected: {other}")
        }
        other => other.to_string(),
    };
    format!(
        "TLS handshake with {target} failed (sslmode={}): {why}",
        mode.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> (String, TlsSettings) {
        split_tls_params(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn the_default_is_prefer_without_roots() {
        let (rest, settings) = split("postgres://u:p@h:5432/db");
        assert_eq!(rest, "postgres://u:p@h:5432/db");
        assert_eq!(
            settings,
            TlsSettings {
                mode: SslMode::Prefer,
                roots: None
            }
        );
    }

    #[test]
    fn tls_parameters_are_taken_off_and_the_rest_kept() {
        let (rest, settings) = split(
            "postgres://u:p@h/db?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=5",
        );
        assert_eq!(
            rest,
            "postgres://u:p@h/db?application_name=x&connect_timeout=5"
        );
        assert_eq!(settings.mode, SslMode::VerifyFull);
        assert_eq!(settings.roots, Some(Roots::File("/etc/ca.pem".into())));

        let (rest, settings) = split("postgresql://h/db?sslmode=disable");
        assert_eq!(rest, "postgresql://h/db");
        assert_eq!(settings.mode, SslMode::Disable);
    }

    #[test]
    fn every_libpq_mode_is_read_and_the_last_one_wins() {
        for (name, mode) in [
            ("disable", SslMode::Disable),
            ("prefer", SslMode::Prefer),
            ("require", SslMode::Require),
        ] {
            assert_eq!(
                split(&format!("postgres://h/db?sslmode={name}")).1.mode,
                mode
            );
        }
        let (_, s) = split("postgres://h/db?sslmode=verify-ca&sslrootcert=/ca.pem");
        assert_eq!(s.mode, SslMode::VerifyCa);
        let (_, s) = split("postgres://h/db?sslmode=disable&sslmode=require");
        assert_eq!(s.mode, SslMode::Require);
    }

    #[test]
    fn an_unknown_sslmode_is_refused_with_the_modes_listed() {
        for bad in ["allow", "verify_full", "REQUIRE", ""] {
            let err = split_tls_params(&format!("postgres://h/db?sslmode={bad}")).unwrap_err();
            assert_eq!(
                err,
                format!(
                    "unknown sslmode {bad:?}: use disable, prefer, require, verify-ca or verify-full"
                )
            );
        }
    }

    #[test]
    fn verifying_modes_need_roots() {
        let err = split_tls_params("postgres://h/db?sslmode=verify-full").unwrap_err();
        assert!(
            err.contains("sslmode=verify-full needs sslrootcert"),
            "{err}"
        );
        let err = split_tls_params("postgres://h/db?sslmode=verify-ca").unwrap_err();
        assert!(err.contains("sslmode=verify-ca needs sslrootcert"), "{err}");
        assert!(split_tls_params("postgres://h/db?sslrootcert=").is_err());
    }

    #[test]
    fn system_roots_mean_verify_full() {
        let (_, s) = split("postgres://h/db?sslrootcert=system");
        assert_eq!(s.mode, SslMode::VerifyFull);
        assert_eq!(s.roots, Some(Roots::System));
        let err =
            split_tls_params("postgres://h/db?sslrootcert=system&sslmode=require").unwrap_err();
        assert_eq!(
            err,
            "sslmode=require may not be used with sslrootcert=system (use verify-full)"
        );
    }

    #[test]
    fn a_question_mark_in_the_password_is_not_a_query() {
        let (rest, s) = split("postgres://u:p?w@h/db?sslmode=require");
        assert_eq!(rest, "postgres://u:p?w@h/db");
        assert_eq!(s.mode, SslMode::Require);
    }

    #[test]
    fn a_missing_or_empty_root_file_is_named() {
        let missing = TlsSettings {
            mode: SslMode::VerifyFull,
            roots: Some(Roots::File("/nonexistent/ca.pem".into())),
        };
        let err = client_config(&missing).map(|_| ()).unwrap_err();
        assert!(
            err.starts_with("cannot read sslrootcert /nonexistent/ca.pem:"),
            "{err}"
        );

        let dir = tempfile::tempdir().expect("temp dir");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let settings = TlsSettings {
            mode: SslMode::VerifyCa,
            roots: Some(Roots::File(empty.clone())),
        };
        let err = client_config(&settings).map(|_| ()).unwrap_err();
        assert_eq!(
            err,
            format!("sslrootcert {} holds no PEM certificate", empty.display())
        );
    }

    #[test]
    fn disable_needs_no_tls_configuration() {
        let settings = TlsSettings {
            mode: SslMode::Disable,
            roots: None,
        };
        assert!(client_config(&settings).expect("config").is_none());
        let settings = TlsSettings {
            mode: SslMode::Require,
            roots: None,
        };
        assert!(client_config(&settings).expect("config").is_some());
    }
}
