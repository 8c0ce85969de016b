//! TLS for `rolodex serve --tls-cert FILE --tls-key FILE`: the PEM files, read once at start-up,
//! as a rustls server configuration.
//!
//! Choices (docs/compatibility.md, "HTTPS"): rustls with the ring provider, named here rather than
//! taken from the process default, so another crate enabling a second provider cannot change or
//! break it; TLS 1.3 and 1.2; ALPN offers only `http/1.1`, the protocol the serve loop speaks (a
//! client that asks for `h2` gets HTTP/1.1, as it would from a server without HTTP/2).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Largest certificate or key file read: a chain of a few certificates is a few KiB.
pub const MAX_PEM_FILE_BYTES: u64 = 1024 * 1024;

/// Why the certificate and key cannot be served; every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS {what} file {}: {error}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("the TLS {what} file {} is larger than {MAX_PEM_FILE_BYTES} bytes", path.display())]
    TooLarge { what: &'static str, path: PathBuf },
    #[error("the TLS {what} file {} is not valid PEM: {error}", path.display())]
    Pem {
        what: &'static str,
        path: PathBuf,
        error: pem::Error,
    },
    #[error(
        "the TLS certificate file {} holds no certificate (a PEM block \"BEGIN CERTIFICATE\")",
        path.display()
    )]
    NoCertificate { path: PathBuf },
    #[error(
        "the TLS key file {} holds no private key (a PEM block \"BEGIN PRIVATE KEY\", \
         \"BEGIN RSA PRIVATE KEY\" or \"BEGIN EC PRIVATE KEY\")",
        path.display()
    )]
    NoKey { path: PathBuf },
    #[error(
        "the private key in {} does not belong to the certificate in {}",
        key.display(), cert.display()
    )]
    KeyMismatch { cert: PathBuf, key: PathBuf },
    #[error("cannot use the TLS certificate {} with the key {}: {error}", cert.display(), key.display())]
    Unusable {
        cert: PathBuf,
        key: PathBuf,
        error: rustls::Error,
    },
}

/// A loaded certificate chain and key, ready to accept TLS connections. Cheap to clone.
#[derive(Clone)]
pub struct TlsConfig(Arc<rustls::ServerConfig>);

impl std::fmt::Debug for TlsConfig {
    // The key material stays out of debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfig")
    }
}

impl TlsConfig {
    /// Reads the certificate chain (`cert`: the server's certificate first, then any
    /// intermediates) and its private key (`key`: PKCS#8, PKCS#1 or SEC1), both PEM.
    pub fn load(cert: &Path, key: &Path) -> Result<TlsConfig, TlsError> {
        let cert_pem = read_bounded("certificate", cert)?;
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| TlsError::Pem {
                what: "certificate",
                path: cert.to_path_buf(),
                error,
            })?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate {
                path: cert.to_path_buf(),
            });
        }
        let key_pem = read_bounded("key", key)?;
        let private_key = match PrivateKeyDer::from_pem_slice(&key_pem) {
            Ok(k) => k,
            Err(pem::Error::NoItemsFound) => {
                return Err(TlsError::NoKey {
                    path: key.to_path_buf(),
                });
            }
            Err(error) => {
                return Err(TlsError::Pem {
                    what: "key",
                    path: key.to_path_buf(),
                    error,
                });
            }
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(chain, private_key))
            .map_err(|error| match error {
                rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                    TlsError::KeyMismatch {
                        cert: cert.to_path_buf(),
                        key: key.to_path_buf(),
                    }
                }
                error => TlsError::Unusable {
                    cert: cert.to_path_buf(),
                    key: key.to_path_buf(),
                    error,
                },
            })?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsConfig(Arc::new(config)))
    }

    /// The acceptor the serve loop hands each new connection to.
    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.0.clone())
    }
}

/// The whole file, refusing one over [`MAX_PEM_FILE_BYTES`] (e.g. a device given by mistake).
fn read_bounded(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    let read_error = |error| TlsError::Read {
        what,
        path: path.to_path_buf(),
        error,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_PEM_FILE_BYTES {
        return Err(TlsError::TooLarge {
            what,
            path: path.to_path_buf(),
        });
    }
    Ok(bytes)
}
