//! `rolodex cert`: a local certificate authority and a server certificate signed by it, so that a
//! client which only ever calls `https://SLUG.api.joinluminous.com` (the official Luminous CLI)
//! can reach Rolodex once it trusts the CA (`SSL_CERT_FILE=ca.pem`) and the name resolves to the
//! server (a hosts entry).
//!
//! Choices (docs/compatibility.md, "HTTPS"): ECDSA P-256 keys; the CA may sign server certificates
//! only (path length 0) and is valid for 10 years, the server certificate for 825 days, the
//! longest that macOS and iOS accept; the server certificate carries the extensions strict
//! verifiers require (Python 3.13's `VERIFY_X509_STRICT`: key identifiers, critical basic
//! constraints, the server-auth key purpose).

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};
use tokio_rustls::rustls::pki_types::ServerName;

/// The names a certificate is for when none are given: every tenant's Luminous host name, and
/// this machine.
pub const DEFAULT_HOSTS: [&str; 3] = ["*.api.joinluminous.com", "localhost", "127.0.0.1"];

/// Most names in one certificate.
pub const MAX_HOSTS: usize = 100;

const CA_VALIDITY_DAYS: i64 = 3650;
const SERVER_VALIDITY_DAYS: i64 = 825;

#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error(
        "invalid host {0:?}: give a DNS name (one leading \"*.\" allowed, e.g. \
         *.api.joinluminous.com) or an IP address"
    )]
    BadHost(String),
    #[error("too many hosts: at most {MAX_HOSTS}")]
    TooManyHosts,
    #[error("{} already exists; pass --overwrite to replace it", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}: {error}", path.display())]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot make the certificates: {0}")]
    Generate(#[from] rcgen::Error),
}

/// One name a server certificate is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A DNS name, possibly a wildcard (`*.api.joinluminous.com`).
    Dns(String),
    Ip(IpAddr),
}

impl Host {
    pub fn parse(raw: &str) -> Result<Host, CertError> {
        if let Ok(ip) = raw.parse::<IpAddr>() {
            return Ok(Host::Ip(ip));
        }
        let bad = || CertError::BadHost(raw.to_owned());
        let name = raw.strip_prefix("*.").unwrap_or(raw);
        // rustls's own check of a name a client may ask for (labels, lengths, characters).
        match ServerName::try_from(name) {
            Ok(ServerName::DnsName(_)) if !name.contains('*') => {
                Ok(Host::Dns(raw.to_ascii_lowercase()))
            }
            _ => Err(bad()),
        }
    }

    fn san(&self) -> Result<SanType, CertError> {
        Ok(match self {
            Host::Dns(name) => SanType::DnsName(name.as_str().try_into()?),
            Host::Ip(ip) => SanType::IpAddress(*ip),
        })
    }
}

/// The four files `rolodex cert` writes into its directory.
#[derive(Debug, Clone)]
pub struct CertFiles {
    /// The CA certificate: what clients are told to trust.
    pub ca: PathBuf,
    /// The CA's private key (0600): only needed to sign more certificates.
    pub ca_key: PathBuf,
    /// The server certificate (`--tls-cert`).
    pub cert: PathBuf,
    /// The server's private key (0600, `--tls-key`).
    pub key: PathBuf,
}

impl CertFiles {
    pub fn in_dir(dir: &Path) -> CertFiles {
        CertFiles {
            ca: dir.join("ca.pem"),
            ca_key: dir.join("ca-key.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        }
    }
}

/// The PEM texts of a new CA and a server certificate it signed.
pub struct Generated {
    pub ca: String,
    pub ca_key: String,
    pub cert: String,
    pub key: String,
}

/// A new CA and a server certificate for `hosts`, signed by it, valid from now.
pub fn generate(hosts: &[Host]) -> Result<Generated, CertError> {
    if hosts.len() > MAX_HOSTS {
        return Err(CertError::TooManyHosts);
    }
    let now = OffsetDateTime::now_utc();
    // An hour's slack for clients whose clocks run behind.
    let not_before = now - Duration::hours(1);

    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::default();
    // Its own name per CA (from its key), so two of them in one trust store are told apart, by
    // people and by verifiers that look issuers up by name.
    let key_id = hex::encode(&ca.key_identifier(&ca_key)[..4]);
    ca.distinguished_name = name(&format!("Rolodex local CA {key_id}"));
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_before = not_before;
    ca.not_after = now + Duration::days(CA_VALIDITY_DAYS);
    let ca_cert = ca.self_signed(&ca_key)?;

    let key = KeyPair::generate()?;
    let mut server = CertificateParams::default();
    server.distinguished_name = name(match hosts.first() {
        Some(Host::Dns(first)) => first,
        _ => "rolodex",
    });
    server.subject_alt_names = hosts.iter().map(Host::san).collect::<Result<_, _>>()?;
    server.is_ca = IsCa::ExplicitNoCa;
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server.use_authority_key_identifier_extension = true;
    server.not_before = not_before;
    server.not_after = now + Duration::days(SERVER_VALIDITY_DAYS);
    let issuer = Issuer::new(ca, &ca_key);
    let cert = server.signed_by(&key, &issuer)?;

    Ok(Generated {
        ca: ca_cert.pem(),
        ca_key: ca_key.serialize_pem(),
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Rolodex");
    dn.push(DnType::CommonName, common_name);
    dn
}

/// Generates a CA and a server certificate for `hosts` and writes them into `dir` (created if
/// missing). Refuses when any of the files exists, unless `overwrite`; nothing is written then.
pub fn write(dir: &Path, hosts: &[Host], overwrite: bool) -> Result<CertFiles, CertError> {
    let files = CertFiles::in_dir(dir);
    if !overwrite {
        for path in [&files.ca, &files.ca_key, &files.cert, &files.key] {
            if path.symlink_metadata().is_ok() {
                return Err(CertError::Exists(path.clone()));
            }
        }
    }
    let generated = generate(hosts)?;
    std::fs::create_dir_all(dir).map_err(|error| CertError::Write {
        path: dir.to_path_buf(),
        error,
    })?;
    write_file(&files.ca, &generated.ca, false)?;
    write_file(&files.ca_key, &generated.ca_key, true)?;
    write_file(&files.cert, &generated.cert, false)?;
    write_file(&files.key, &generated.key, true)?;
    Ok(files)
}

/// Writes a new file; a private one is created readable by its owner only (never briefly wider),
/// and a file being replaced is removed first, so it cannot keep wider permissions.
fn write_file(path: &Path, text: &str, private: bool) -> Result<(), CertError> {
    let failed = |error| CertError::Write {
        path: path.to_path_buf(),
        error,
    };
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(failed(e)),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(failed)?;
    file.write_all(text.as_bytes()).map_err(failed)?;
    file.sync_all().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_parse_as_names_wildcards_or_ips() {
        assert_eq!(
            Host::parse("*.api.joinluminous.com").unwrap(),
            Host::Dns("*.api.joinluminous.com".into())
        );
        assert_eq!(
            Host::parse("Acme.Example").unwrap(),
            Host::Dns("acme.example".into())
        );
        assert_eq!(
            Host::parse("127.0.0.1").unwrap(),
            Host::Ip("127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            Host::parse("::1").unwrap(),
            Host::Ip("::1".parse().unwrap())
        );
        for bad in [
            "",
            "*.",
            "*",
            "a b",
            "a.*.b",
            "*.*.b",
            "ex ample.com",
            "é.com",
            "a..b",
        ] {
            assert!(
                matches!(Host::parse(bad), Err(CertError::BadHost(_))),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn too_many_hosts_are_refused() {
        let hosts = vec![Host::Dns("a.example".into()); MAX_HOSTS + 1];
        assert!(matches!(generate(&hosts), Err(CertError::TooManyHosts)));
    }
}
