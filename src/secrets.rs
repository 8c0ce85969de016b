//! Secrets kept out of what Rolodex prints. A database URL may carry a password (in its user
//! information, `postgres://user:PASSWORD@host/db`, or as a `password=` parameter); every message,
//! log line and `Debug` output that names a database shows it through [`redact_url`] (or a
//! [`DatabaseUrl`], whose `Display` and `Debug` do so), never the URL as given.

use std::fmt;

/// What a password is replaced with.
pub const MASK: &str = "***";

/// `url` with its password replaced by [`MASK`]: `postgres://user:***@host/db`. Everything else is
/// kept, so a message still names the user, host and database. A URL that does not parse is masked
/// as text: whatever sits between the user's `:` and the `@` ending the user information, which is
/// all a connection string parser could take for the password. SQLite URLs carry no credentials
/// and are returned as they are.
pub fn redact_url(url: &str) -> String {
    if url.starts_with("sqlite:") {
        return url.to_owned();
    }
    let parsed_with_password = url::Url::parse(url).ok().and_then(|mut parsed| {
        (parsed.password().is_some() && parsed.set_password(Some(MASK)).is_ok())
            .then(|| parsed.to_string())
    });
    // Otherwise not a URL, or a text the URL parser reads differently from a connection string
    // parser (`postgres://u:1234#x@host` parses as host `u`, port 1234): mask by the text.
    let masked = parsed_with_password.unwrap_or_else(|| mask_user_password(url));
    mask_password_parameters(&masked)
}

/// Masks the text between the first `:` of the user information and its end, the last `@` after
/// `://` (the last, not the first: a password with an unencoded `@` is masked whole).
fn mask_user_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + "://".len();
    let rest = &url[authority_start..];
    let Some(at) = rest.rfind('@') else {
        return url.to_owned();
    };
    let Some(colon) = rest[..at].find(':') else {
        return url.to_owned();
    };
    format!(
        "{}{}:{MASK}{}",
        &url[..authority_start],
        &rest[..colon],
        &rest[at..]
    )
}

/// Masks the value of every `password=` parameter (of a URL's query or a `key=value` connection
/// string; libpq and tokio-postgres take the password from either).
fn mask_password_parameters(text: &str) -> String {
    const KEY: &str = "password=";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let found = rest
            .as_bytes()
            .windows(KEY.len())
            .enumerate()
            .find(|&(i, window)| {
                window.eq_ignore_ascii_case(KEY.as_bytes())
                    && (i == 0 || matches!(rest.as_bytes()[i - 1], b'?' | b'&' | b' ' | b'\t'))
            })
            .map(|(i, _)| i);
        let Some(start) = found else {
            out.push_str(rest);
            return out;
        };
        let value_start = start + KEY.len();
        out.push_str(&rest[..value_start]);
        out.push_str(MASK);
        let value = &rest[value_start..];
        let value_len = if let Some(quoted) = value.strip_prefix('\'') {
            // A quoted key-value: up to the closing quote (or the end, if there is none).
            quoted.find('\'').map_or(value.len(), |end| end + 2)
        } else {
            value
                .find(|c: char| c == '&' || c == '#' || c.is_whitespace())
                .unwrap_or(value.len())
        };
        rest = &value[value_len..];
    }
}

/// A database URL as given on the command line or in the environment. It prints (`Display` and
/// `Debug`) without its password, so neither a message nor a `{:?}` of the options holding it can
/// show it; [`DatabaseUrl::expose`] gives the URL itself, for connecting.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL with its password, to open the database with (never to print).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        Self(url)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl")
            .field(&redact_url(&self.0))
            .finish()
    }
}

/// A secret given on the command line or in the environment (the admin token, the bootstrap
/// token): it prints (`Display` and `Debug`) as `***`; [`Secret::expose`] gives the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value itself (never to print).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::from("rdx_hunter2".to_owned());
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
        assert_eq!(s.expose(), "rdx_hunter2");
    }

    #[test]
    fn the_password_of_a_url_is_masked() {
        assert_eq!(
            redact_url("postgres://user:s3cret@db.example.com:5432/rolodex"),
            "postgres://user:***@db.example.com:5432/rolodex"
        );
        assert_eq!(
            redact_url("postgresql://user:s3cret@localhost/db?application_name=x"),
            "postgresql://user:***@localhost/db?application_name=x"
        );
    }

    #[test]
    fn a_password_without_a_user_is_masked() {
        assert_eq!(
            redact_url("postgres://:s3cret@localhost/db"),
            "postgres://:***@localhost/db"
        );
    }

    #[test]
    fn a_percent_encoded_at_sign_in_the_password_is_masked_whole() {
        let redacted = redact_url("postgres://user:p%40ss%2Fw@localhost/db");
        assert_eq!(redacted, "postgres://user:***@localhost/db");
    }

    #[test]
    fn an_unencoded_at_sign_or_slash_in_the_password_is_masked_whole() {
        assert_eq!(
            redact_url("postgres://user:p@ss@localhost/db"),
            "postgres://user:***@localhost/db"
        );
        assert_eq!(
            redact_url("postgres://user:pa/ss@localhost/db"),
            "postgres://user:***@localhost/db"
        );
        // Parses as host `user`, port 1234 and a fragment; the password is still masked.
        assert_eq!(
            redact_url("postgres://user:1234#x@localhost/db"),
            "postgres://user:***@localhost/db"
        );
    }

    #[test]
    fn a_url_that_does_not_parse_is_masked_as_text() {
        assert_eq!(
            redact_url("postgres://user:s3cret@localhost:notaport/db"),
            "postgres://user:***@localhost:notaport/db"
        );
        assert_eq!(
            redact_url("postgres://user:s3cret@[::1/db"),
            "postgres://user:***@[::1/db"
        );
    }

    #[test]
    fn password_parameters_are_masked() {
        assert_eq!(
            redact_url("postgres://user@localhost/db?password=s3cret&sslmode=disable"),
            "postgres://user@localhost/db?password=***&sslmode=disable"
        );
        assert_eq!(
            redact_url("postgres://localhost/db?sslmode=disable&PASSWORD=s3cret"),
            "postgres://localhost/db?sslmode=disable&PASSWORD=***"
        );
        assert_eq!(
            redact_url("host=localhost password='s3 cret' user=me"),
            "host=localhost password=*** user=me"
        );
        assert_eq!(
            redact_url("host=localhost password=s3cret"),
            "host=localhost password=***"
        );
        // Only a parameter named `password`, not one that ends so.
        assert_eq!(
            redact_url("postgres://localhost/db?oldpassword=x"),
            "postgres://localhost/db?oldpassword=x"
        );
    }

    #[test]
    fn urls_without_a_password_are_unchanged() {
        for url in [
            "postgres://user@localhost/db",
            "postgres://localhost:5432/db",
            "postgres:///db?host=/run/postgresql",
            "not a url",
            "",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn sqlite_paths_are_unchanged() {
        for url in [
            "sqlite://rolodex.db",
            "sqlite:///var/lib/rolodex/rolodex.db",
            "sqlite://odd:name@dir/x.db",
            "sqlite:relative.db",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn a_database_url_prints_without_its_password() {
        let url = DatabaseUrl::from("postgres://u:s3cret@h/db".to_owned());
        assert_eq!(url.to_string(), "postgres://u:***@h/db");
        let debug = format!("{url:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert_eq!(url.expose(), "postgres://u:s3cret@h/db");
    }
}
