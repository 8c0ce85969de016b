//! The admin API's inputs (tenants, tokens, snapshots, seeding, the journal's `limit`), read by the
//! same rules as the tenant API's bodies, and its messages.

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Timestamp;
use super::errors::ValidationErrors;
use super::input::{Body, MAX_STRING, Patch, label};

/// Most characters of a tenant slug (a DNS label).
pub const MAX_SLUG: usize = 63;
/// Most characters of a snapshot name.
pub const MAX_SNAPSHOT_NAME: usize = 63;
/// Most snapshots one tenant keeps.
pub const MAX_SNAPSHOTS: i64 = 20;
/// Most rows (records, links, values) one snapshot holds: it is read, stored and restored whole.
pub const MAX_SNAPSHOT_ROWS: usize = 200_000;
/// Most contacts and companies one seed request makes.
pub const MAX_SEED_CONTACTS: i64 = 10_000;
pub const MAX_SEED_COMPANIES: i64 = 2_000;
/// The journal's `limit`: default and bound.
pub const DEFAULT_JOURNAL_LIMIT: usize = 50;
pub const MAX_JOURNAL_LIMIT: usize = 1_000;

/// The 409 of the journal's endpoints when the server keeps no journal.
pub const JOURNAL_OFF: &str =
    "The request journal is off: start the server with --journal N (ROLODEX_JOURNAL).";
pub const SLUG_TAKEN: &str = "The slug has already been taken.";
pub const SNAPSHOT_NAME_TAKEN: &str = "The name has already been taken.";

/// The 409 when a tenant already keeps [`MAX_SNAPSHOTS`].
pub fn too_many_snapshots() -> String {
    format!(
        "The tenant already has {MAX_SNAPSHOTS} snapshots, the most it may keep; delete one first."
    )
}

/// The 409 when a tenant has more than [`MAX_SNAPSHOT_ROWS`] rows to snapshot.
pub fn snapshot_too_large() -> String {
    format!("The tenant has more than {MAX_SNAPSHOT_ROWS} rows, the most a snapshot may hold.")
}

/// The 409 when a snapshot no longer fits the schema (a migration removed what it holds).
pub fn snapshot_incompatible(detail: &str) -> String {
    format!("The snapshot cannot be restored into the current schema: {detail}.")
}

/// A tenant slug: 1 to 63 lowercase ASCII letters, digits and `-` (as in `acme.api.…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(s: &str) -> Option<Slug> {
        let valid = !s.is_empty()
            && s.len() <= MAX_SLUG
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        valid.then(|| Slug(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A snapshot name: 1 to 63 ASCII letters, digits, `-`, `_` and `.` (it is a path segment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotName(String);

impl SnapshotName {
    pub fn parse(s: &str) -> Option<SnapshotName> {
        let valid = !s.is_empty()
            && s.len() <= MAX_SNAPSHOT_NAME
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && s != "."
            && s != "..";
        valid.then(|| SnapshotName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A required string field that must match `parse`; `rule` says what it must look like.
fn required_shaped<T>(
    body: &mut Body<'_>,
    key: &str,
    max: usize,
    parse: impl Fn(&str) -> Option<T>,
    rule: &str,
) -> Option<T> {
    match body.string(key, max) {
        Patch::Set(s) => {
            let parsed = parse(&s);
            if parsed.is_none() {
                body.error(key, format!("The {} field {rule}", label(key)));
            }
            parsed
        }
        Patch::Null | Patch::Absent => {
            if !body.errors.has(key) {
                body.required(key);
            }
            None
        }
    }
}

/// `POST /admin/v1/tenants`: `{"slug": "t1"}`.
pub fn parse_new_tenant(object: &Map<String, Value>) -> Result<Slug, ValidationErrors> {
    let mut body = Body::new(object);
    let slug = required_shaped(
        &mut body,
        "slug",
        MAX_SLUG,
        Slug::parse,
        "must only contain lowercase letters, digits and dashes.",
    );
    match slug {
        Some(slug) if body.errors.is_empty() => Ok(slug),
        _ => Err(body.errors),
    }
}

/// `POST /admin/v1/tenants/{slug}/tokens`: `{"name": "ci"}` (optional, at most 255 characters).
pub fn parse_new_token(object: &Map<String, Value>) -> Result<Option<String>, ValidationErrors> {
    let mut body = Body::new(object);
    let name = body.string("name", MAX_STRING).into_option();
    body.errors.into_result(name)
}

/// `POST /admin/v1/tenants/{slug}/snapshots`: `{"name": "before"}`.
pub fn parse_new_snapshot(object: &Map<String, Value>) -> Result<SnapshotName, ValidationErrors> {
    let mut body = Body::new(object);
    let name = required_shaped(
        &mut body,
        "name",
        MAX_SNAPSHOT_NAME,
        SnapshotName::parse,
        "must only contain letters, digits, dashes, underscores and dots.",
    );
    match name {
        Some(name) if body.errors.is_empty() => Ok(name),
        _ => Err(body.errors),
    }
}

/// What a seed request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedRequest {
    pub contacts: usize,
    pub companies: usize,
    /// `None`: the server picks one (and answers with it).
    pub seed: Option<u64>,
}

impl SeedRequest {
    /// The rules a seed request follows wherever it comes from (the admin API, the CLI).
    pub fn check(
        contacts: i64,
        companies: i64,
        seed: Option<i64>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        check_count(&mut errors, "contacts", Some(contacts), MAX_SEED_CONTACTS);
        check_count(
            &mut errors,
            "companies",
            Some(companies),
            MAX_SEED_COMPANIES,
        );
        check_seed(&mut errors, seed);
        Self::finish(contacts, companies, seed, errors)
    }

    fn finish(
        contacts: i64,
        companies: i64,
        seed: Option<i64>,
        mut errors: ValidationErrors,
    ) -> Result<Self, ValidationErrors> {
        if contacts > 0 && companies == 0 && !errors.has("companies") {
            errors.add(
                "companies",
                "The companies field must be at least 1 when contacts are requested.",
            );
        }
        errors.into_result(SeedRequest {
            contacts: usize::try_from(contacts).unwrap_or(0),
            companies: usize::try_from(companies).unwrap_or(0),
            seed: seed.and_then(|s| u64::try_from(s).ok()),
        })
    }
}

fn check_count(errors: &mut ValidationErrors, key: &str, n: Option<i64>, max: i64) {
    if n.is_some_and(|n| !(0..=max).contains(&n)) {
        errors.add(key, format!("The {key} field must be between 0 and {max}."));
    }
}

fn check_seed(errors: &mut ValidationErrors, seed: Option<i64>) {
    if seed.is_some_and(|s| s < 0) {
        errors.add("seed", "The seed field must be at least 0.");
    }
}

/// `POST /admin/v1/tenants/{slug}/seed`: `{"contacts": 200, "companies": 40, "seed": 42}`; every
/// field optional (0 contacts, 0 companies, a random seed).
pub fn parse_seed(object: &Map<String, Value>) -> Result<SeedRequest, ValidationErrors> {
    let mut body = Body::new(object);
    let contacts = body.integer("contacts").into_option();
    check_count(&mut body.errors, "contacts", contacts, MAX_SEED_CONTACTS);
    let companies = body.integer("companies").into_option();
    check_count(&mut body.errors, "companies", companies, MAX_SEED_COMPANIES);
    let seed = body.integer("seed").into_option();
    check_seed(&mut body.errors, seed);
    // A companies field that could not be read is reported already; do not add "at least 1".
    let companies = match companies {
        None if body.errors.has("companies") => 1,
        other => other.unwrap_or(0),
    };
    SeedRequest::finish(contacts.unwrap_or(0), companies, seed, body.errors)
}

/// `?limit=N` of `GET …/requests`: 1 to [`MAX_JOURNAL_LIMIT`], default [`DEFAULT_JOURNAL_LIMIT`].
pub fn parse_journal_limit(pairs: &[(String, String)]) -> Result<usize, ValidationErrors> {
    let Some((_, raw)) = pairs.iter().rev().find(|(k, _)| k == "limit") else {
        return Ok(DEFAULT_JOURNAL_LIMIT);
    };
    let message = format!("The limit field must be an integer between 1 and {MAX_JOURNAL_LIMIT}.");
    match raw.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_JOURNAL_LIMIT).contains(&n) => Ok(n),
        _ => Err(ValidationErrors::single("limit", message)),
    }
}

/// Whether `token` has the form of a token Rolodex issues: `rdx_` and 40 ASCII letters or digits
/// (what `--bootstrap-token` must look like).
pub fn is_issued_token_form(token: &str) -> bool {
    token
        .strip_prefix(super::auth::TOKEN_PREFIX)
        .is_some_and(|rest| rest.len() == 40 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The admin token, kept only as its SHA-256 and compared in constant time.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AdminKey([u8; 32]);

/// Shortest and longest admin token accepted.
pub const ADMIN_TOKEN_CHARS: std::ops::RangeInclusive<usize> = 16..=200;

impl AdminKey {
    /// The key of `token`: 16 to 200 visible ASCII characters, else `None` (a short admin token
    /// would be guessable).
    pub fn of(token: &str) -> Option<AdminKey> {
        let fits =
            ADMIN_TOKEN_CHARS.contains(&token.len()) && token.bytes().all(|b| b.is_ascii_graphic());
        fits.then(|| AdminKey(Sha256::digest(token.as_bytes()).into()))
    }

    /// Whether `presented` is the admin token: hashed first, so the comparison takes the same
    /// time whatever was sent.
    pub fn matches(&self, presented: &str) -> bool {
        let hash: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        self.0.ct_eq(&hash).into()
    }
}

impl std::fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminKey(..)")
    }
}

/// A tenant as `GET /admin/v1/tenants` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct TenantSummary {
    pub slug: String,
    pub created_at: Timestamp,
    /// Live API tokens.
    pub tokens: i64,
    pub snapshots: i64,
    /// Rows per record table (`contacts`, `companies`, `tags`...).
    pub records: Map<String, Value>,
}

/// A new tenant, with its first token (shown once).
#[derive(Debug, Clone, Serialize)]
pub struct NewTenant {
    pub slug: String,
    pub token: String,
}

/// A new token of a tenant (the secret shown once).
#[derive(Debug, Clone, Serialize)]
pub struct NewToken {
    pub id: i64,
    pub name: Option<String>,
    pub token: String,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, Serialize)]
pub struct TokenSummary {
    pub id: i64,
    pub name: Option<String>,
    /// The first characters, to recognise it by.
    pub prefix: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// When it was last used, to the minute (`null`: not since this was recorded).
    pub last_used_at: Option<Timestamp>,
}

/// A stored snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotSummary {
    pub name: String,
    pub created_at: Timestamp,
    /// Rows it holds (records, links, values).
    pub rows: i64,
}

/// What a seed made.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct SeedCounts {
    /// The seed used (the one sent, or the one picked): sending it again on an empty tenant
    /// makes the same records.
    pub seed: u64,
    pub companies: usize,
    pub contacts: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn keys(e: &ValidationErrors) -> Vec<&str> {
        e.entries().iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn slugs_are_dns_labels_in_lower_case() {
        for ok in ["t1", "acme", "a-b-c", &"x".repeat(63)] {
            assert!(Slug::parse(ok).is_some(), "{ok}");
        }
        for bad in ["", "Acme", "a_b", "a.b", "é", &"x".repeat(64), "a b"] {
            assert!(Slug::parse(bad).is_none(), "{bad}");
        }
        let e = parse_new_tenant(&obj(json!({"slug": "Bad Slug"}))).unwrap_err();
        assert_eq!(
            e.entries()[0].1,
            ["The slug field must only contain lowercase letters, digits and dashes."]
        );
        let e = parse_new_tenant(&obj(json!({}))).unwrap_err();
        assert_eq!(e.entries()[0].1, ["The slug field is required."]);
        let e = parse_new_tenant(&obj(json!({"slug": 5}))).unwrap_err();
        assert_eq!(e.entries()[0].1, ["The slug field must be a string."]);
        let e = parse_new_tenant(&obj(json!({"slug": "x".repeat(64)}))).unwrap_err();
        assert_eq!(
            e.entries()[0].1,
            ["The slug field must not be greater than 63 characters."]
        );
        assert_eq!(
            parse_new_tenant(&obj(json!({"slug": " t1 "}))).unwrap(),
            Slug("t1".into())
        );
    }

    #[test]
    fn snapshot_names_are_path_segments() {
        for ok in ["before", "v1.2", "A_b-c"] {
            assert!(SnapshotName::parse(ok).is_some(), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a b", "%41", &"x".repeat(64)] {
            assert!(SnapshotName::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn seed_requests_report_every_error() {
        let e =
            parse_seed(&obj(json!({"contacts": -1, "companies": "x", "seed": -5}))).unwrap_err();
        assert_eq!(keys(&e), ["contacts", "companies", "seed"]);
        let e = parse_seed(&obj(json!({"contacts": 10001, "companies": 2001}))).unwrap_err();
        assert_eq!(
            e.entries()[0].1,
            ["The contacts field must be between 0 and 10000."]
        );
        assert_eq!(keys(&e), ["contacts", "companies"]);
        let e = parse_seed(&obj(json!({"contacts": 5}))).unwrap_err();
        assert_eq!(keys(&e), ["companies"]);
        assert_eq!(
            parse_seed(&obj(
                json!({"contacts": "200", "companies": 40, "seed": 42})
            ))
            .unwrap(),
            SeedRequest {
                contacts: 200,
                companies: 40,
                seed: Some(42)
            }
        );
        assert_eq!(
            parse_seed(&obj(json!({}))).unwrap(),
            SeedRequest {
                contacts: 0,
                companies: 0,
                seed: None
            }
        );
    }

    #[test]
    fn the_admin_key_matches_only_its_token() {
        assert!(AdminKey::of("short").is_none());
        assert!(
            AdminKey::of("sixteen chars!!!").is_none(),
            "spaces are not visible"
        );
        assert!(AdminKey::of(&"x".repeat(201)).is_none());
        let key = AdminKey::of("admin-secret-0123456789").unwrap();
        assert!(key.matches("admin-secret-0123456789"));
        assert!(!key.matches("admin-secret-012345678"));
        assert!(!key.matches(""));
        assert_eq!(format!("{key:?}"), "AdminKey(..)");
    }

    #[test]
    fn issued_tokens_are_rdx_and_forty_alphanumerics() {
        assert!(is_issued_token_form(&format!(
            "rdx_{}",
            "aZ0".repeat(13) + "x"
        )));
        assert!(!is_issued_token_form(&format!("rdx_{}", "a".repeat(39))));
        assert!(!is_issued_token_form(&format!("rdx_{}", "a".repeat(41))));
        assert!(!is_issued_token_form(&format!("rdx_{}-", "a".repeat(39))));
        assert!(!is_issued_token_form(&format!("RDX_{}", "a".repeat(40))));
    }

    #[test]
    fn the_journal_limit_is_bounded() {
        let q = |v: &str| vec![("limit".to_owned(), v.to_owned())];
        assert_eq!(parse_journal_limit(&[]).unwrap(), 50);
        assert_eq!(parse_journal_limit(&q("1")).unwrap(), 1);
        assert_eq!(parse_journal_limit(&q("1000")).unwrap(), 1000);
        for bad in ["0", "1001", "x", "-1", ""] {
            assert!(parse_journal_limit(&q(bad)).is_err(), "{bad}");
        }
    }
}
