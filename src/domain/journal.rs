//! What the request journal keeps of an exchange: bodies as JSON with every secret replaced, and
//! bounded in size.

use serde_json::Value;

/// What a secret is replaced with.
pub const REDACTED: &str = "***";
/// Largest body kept, in bytes as sent; a larger one is replaced by a note of its size.
pub const MAX_KEPT_BODY: usize = 64 * 1024;

/// Whether a JSON key or query parameter names a secret: passwords (`password`,
/// `b2b_portal_password`, `password_confirmation`...), tokens (`token`, `access_token`...), and
/// `secret`, `api_key`, `authorization`. Case is ignored.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("password")
        || key.contains("secret")
        || key == "token"
        || key.ends_with("_token")
        || key.ends_with("-token")
        || key == "api_key"
        || key == "apikey"
        || key == "authorization"
}

/// Replaces the value of every secret key, at any depth, with [`REDACTED`].
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if is_secret_key(key) {
                    *v = Value::String(REDACTED.to_owned());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// A body as the journal keeps it: `null` when empty; the JSON with secrets redacted; a note of
/// its size when it is larger than [`MAX_KEPT_BODY`] or not JSON (it could not be redacted, so it
/// is not kept).
pub fn kept_body(bytes: &[u8]) -> Value {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    if bytes.len() > MAX_KEPT_BODY {
        return Value::String(format!(
            "({} bytes, not kept: over {MAX_KEPT_BODY})",
            bytes.len()
        ));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut json) => {
            redact(&mut json);
            json
        }
        Err(_) => Value::String(format!("({} bytes, not JSON: not kept)", bytes.len())),
    }
}

/// The query string with the value of every secret parameter redacted (as sent otherwise).
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_key(&decode(name)) => format!("{name}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn decode(name: &str) -> String {
    percent_encoding::percent_decode_str(&name.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let mut v = json!({
            "first_name": "Ann",
            "password": "hunter22",
            "b2b_portal_password": "x",
            "nested": [{"token": "rdx_abc", "Password_Confirmation": "y", "keep": 1}],
            "access_token": "t",
            "token_count": 3
        });
        redact(&mut v);
        assert_eq!(
            v,
            json!({
                "first_name": "Ann",
                "password": "***",
                "b2b_portal_password": "***",
                "nested": [{"token": "***", "Password_Confirmation": "***", "keep": 1}],
                "access_token": "***",
                "token_count": 3
            })
        );
    }

    #[test]
    fn bodies_are_kept_as_json_only_and_bounded() {
        assert_eq!(kept_body(b""), Value::Null);
        assert_eq!(
            kept_body(b"{\"password\":\"p\"}"),
            json!({"password": "***"})
        );
        let text = kept_body(b"{\"password\": \"hunter22\"");
        assert!(!text.to_string().contains("hunter22"), "{text}");
        let big = format!("{{\"a\": \"{}\"}}", "x".repeat(MAX_KEPT_BODY));
        assert!(
            kept_body(big.as_bytes())
                .as_str()
                .is_some_and(|s| s.contains("not kept"))
        );
    }

    #[test]
    fn secret_query_parameters_are_redacted() {
        assert_eq!(
            redact_query("page=2&token=abc&api%5Fkey=k&q=x"),
            "page=2&token=***&api%5Fkey=***&q=x"
        );
    }
}
