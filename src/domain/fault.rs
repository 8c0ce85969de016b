//! Fault rules of the sandbox (`POST /admin/v1/tenants/{slug}/faults`): which requests of a tenant
//! get a forced error or a delay, read by the API's input rules, and the path glob they match by.

use serde::Serialize;
use serde_json::{Map, Value};

use super::errors::ValidationErrors;
use super::input::{Body, Patch};

/// The statuses a rule may force, each answered with the API's own body for it.
pub const STATUSES: [u16; 3] = [429, 500, 503];
/// Longest delay a rule may add, in milliseconds (the request timeout still applies).
pub const MAX_DELAY_MS: i64 = 30_000;
/// Largest `Retry-After` a rule may send, in seconds.
pub const MAX_RETRY_AFTER: i64 = 3_600;
/// Largest `times`.
pub const MAX_TIMES: i64 = 1_000_000;
/// Longest path pattern.
pub const MAX_PATTERN: usize = 255;
/// Most rules one tenant may have.
pub const MAX_RULES: usize = 100;
/// Methods a rule may name.
pub const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// The 409 when a tenant has [`MAX_RULES`] rules already.
pub fn too_many_rules() -> String {
    format!(
        "The tenant already has {MAX_RULES} fault rules, the most it may have; delete some first."
    )
}

/// A rule as created (its id and the remaining count are the holder's).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultRule {
    /// `None`: any method.
    pub method: Option<String>,
    /// The glob over the path after `/external/api/v1` (see [`glob_matches`]).
    pub path: String,
    /// `None`: the request is only delayed, then runs.
    pub status: Option<u16>,
    /// The `Retry-After` seconds of a 429 or 503 (429 without it sends 1).
    pub retry_after: Option<u64>,
    pub delay_ms: u64,
    /// How many matching requests it applies to; `None`: until deleted.
    pub times: Option<u64>,
    /// Chance that a matching request is affected (a request it spares does not count).
    pub probability: f64,
}

impl FaultRule {
    /// Whether the rule is about this request (`path` is after the API base, without the query).
    pub fn applies_to(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && glob_matches(&self.path, path)
    }
}

/// A bounded integer field; `None` when absent or null.
fn ranged(body: &mut Body<'_>, key: &str, min: i64, max: i64) -> Option<i64> {
    match body.integer(key) {
        Patch::Set(n) if (min..=max).contains(&n) => Some(n),
        Patch::Set(_) => {
            body.error(
                key,
                format!("The {key} field must be between {min} and {max}."),
            );
            None
        }
        _ => None,
    }
}

/// Reads a rule body; every error at once.
pub fn parse(object: &Map<String, Value>) -> Result<FaultRule, ValidationErrors> {
    let mut body = Body::new(object);
    let method = match body.string("method", 10) {
        Patch::Set(m) => {
            let upper = m.to_ascii_uppercase();
            if METHODS.contains(&upper.as_str()) {
                Some(upper)
            } else {
                body.error(
                    "method",
                    "The selected method is invalid. Use GET, POST, PUT, PATCH or DELETE.",
                );
                None
            }
        }
        _ => None,
    };
    let path = match body.string("path", MAX_PATTERN) {
        Patch::Set(p) if p.starts_with('/') => Some(p),
        Patch::Set(_) => {
            body.error("path", "The path field must start with /.");
            None
        }
        _ => {
            if !body.errors.has("path") {
                body.required("path");
            }
            None
        }
    };
    let status = match body.integer("status") {
        Patch::Set(s) => match u16::try_from(s).ok().filter(|s| STATUSES.contains(s)) {
            Some(s) => Some(s),
            None => {
                body.error(
                    "status",
                    "The selected status is invalid. Use 429, 500 or 503.",
                );
                None
            }
        },
        _ => None,
    };
    let retry_after = ranged(&mut body, "retry_after", 0, MAX_RETRY_AFTER);
    if retry_after.is_some() && status.is_some_and(|s| s == 500) {
        body.error(
            "retry_after",
            "The retry after field is only allowed with status 429 or 503.",
        );
    }
    let delay_ms = ranged(&mut body, "delay_ms", 0, MAX_DELAY_MS).unwrap_or(0);
    let times = ranged(&mut body, "times", 1, MAX_TIMES);
    let probability = match body.raw("probability") {
        None | Some(Value::Null) => 1.0,
        Some(Value::Number(n)) => match n.as_f64().filter(|p| (0.0..=1.0).contains(p)) {
            Some(p) => p,
            None => {
                body.error(
                    "probability",
                    "The probability field must be between 0 and 1.",
                );
                1.0
            }
        },
        Some(_) => {
            body.error("probability", "The probability field must be a number.");
            1.0
        }
    };
    if status.is_none()
        && delay_ms == 0
        && !body.errors.has("status")
        && !body.errors.has("delay_ms")
    {
        body.error(
            "status",
            "The status field is required when delay ms is absent or 0.",
        );
    }
    let errors = body.errors;
    match path {
        Some(path) if errors.is_empty() => Ok(FaultRule {
            method,
            path,
            status,
            retry_after: retry_after.and_then(|r| u64::try_from(r).ok()),
            delay_ms: u64::try_from(delay_ms).unwrap_or(0),
            times: times.and_then(|t| u64::try_from(t).ok()),
            probability,
        }),
        _ => Err(errors),
    }
}

/// Whether `path` matches `pattern`: `*` is any run of characters within one path segment (no
/// `/`), `**` any run including `/`, `?` one character other than `/`; everything else is itself.
/// Time is bounded by the product of the two lengths.
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Token {
        Char(char),
        One,
        Star,
        DoubleStar,
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                Token::DoubleStar
            }
            '*' => Token::Star,
            '?' => Token::One,
            c => Token::Char(c),
        });
    }
    let s: Vec<char> = path.chars().collect();
    let m = s.len();
    // Dynamic programming from the end: `next[j]` says whether the tokens after the current one
    // match `s[j..]`. At most 255 tokens × 8 KiB of path.
    let mut next = vec![false; m + 1];
    next[m] = true;
    for token in tokens.iter().rev() {
        let mut here = vec![false; m + 1];
        for j in (0..=m).rev() {
            here[j] = match token {
                Token::Star => next[j] || (j < m && s[j] != '/' && here[j + 1]),
                Token::DoubleStar => next[j] || (j < m && here[j + 1]),
                Token::One => j < m && s[j] != '/' && next[j + 1],
                Token::Char(c) => j < m && s[j] == *c && next[j + 1],
            };
        }
        next = here;
    }
    next[0]
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

    #[test]
    fn globs_match_within_and_across_segments() {
        let cases = [
            ("/contacts", "/contacts", true),
            ("/contacts", "/contacts/1", false),
            ("/contacts/*", "/contacts/1", true),
            ("/contacts/*", "/contacts", false),
            ("/contacts/*", "/contacts/1/tags", false),
            ("/contacts/**", "/contacts/1/tags", true),
            ("/contacts*", "/contacts", true),
            ("/contacts*", "/contacts/1", false),
            ("/**", "/anything/at/all", true),
            ("/*/1", "/companies/1", true),
            ("/*/1", "/companies/12", false),
            ("/contacts/?", "/contacts/7", true),
            ("/contacts/?", "/contacts/77", false),
            ("/a**b", "/a/x/b", true),
            ("/a**b", "/a/x/c", false),
        ];
        for (pattern, path, want) in cases {
            assert_eq!(glob_matches(pattern, path), want, "{pattern} vs {path}");
        }
    }

    #[test]
    fn a_long_pattern_of_stars_stays_fast() {
        let pattern = format!("/{}x", "*".repeat(250));
        let path = format!("/{}", "a".repeat(8000));
        let started = std::time::Instant::now();
        assert!(!glob_matches(&pattern, &path));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn a_full_rule_reads_and_matches_by_method_and_path() {
        let rule = parse(&obj(
            json!({"method": "post", "path": "/contacts/*", "status": 429,
            "retry_after": 2, "delay_ms": 0, "times": 2, "probability": 1.0}),
        ))
        .unwrap();
        assert_eq!(rule.method.as_deref(), Some("POST"));
        assert_eq!(
            (rule.status, rule.retry_after, rule.times),
            (Some(429), Some(2), Some(2))
        );
        assert!(rule.applies_to("POST", "/contacts/5"));
        assert!(!rule.applies_to("GET", "/contacts/5"));
        let any = parse(&obj(json!({"path": "/contacts", "delay_ms": 100}))).unwrap();
        assert!(any.applies_to("DELETE", "/contacts"));
        assert_eq!((any.status, any.times, any.probability), (None, None, 1.0));
    }

    #[test]
    fn bad_rules_report_every_error() {
        let e = parse(&obj(
            json!({"method": "TRACE", "path": "contacts", "status": 404,
            "retry_after": -1, "delay_ms": 30001, "times": 0, "probability": 1.5}),
        ))
        .unwrap_err();
        let keys: Vec<&str> = e.entries().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "method",
                "path",
                "status",
                "retry_after",
                "delay_ms",
                "times",
                "probability"
            ]
        );
        let e = parse(&obj(json!({}))).unwrap_err();
        let keys: Vec<&str> = e.entries().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["path", "status"]);
        let e = parse(&obj(json!({"path": "/x", "status": 500, "retry_after": 3}))).unwrap_err();
        assert!(e.has("retry_after"));
        let e = parse(&obj(
            json!({"path": "/x", "status": 503, "probability": "1"}),
        ))
        .unwrap_err();
        assert_eq!(
            e.entries()[0].1,
            ["The probability field must be a number."]
        );
    }
}
