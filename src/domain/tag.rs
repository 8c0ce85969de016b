//! Bodies of the tag endpoints (§5.5): `{"tags": ["name", ...]}`.

use serde_json::{Map, Value};

use super::input::{Body, Draft, MAX_STRING, Patch, dedupe_names};
use super::limits::MAX_TAGS_PER_REQUEST;

/// Reads `tags`: an array of names (each a non-empty string of at most 255 characters), repeats
/// dropped case-insensitively. With `null_is_empty` (replacing), `null` means no tags; otherwise
/// the field is required.
pub fn parse_names(object: &Map<String, Value>, null_is_empty: bool) -> Draft<Vec<String>> {
    let mut body = Body::new(object);
    let names = match body.string_array("tags", MAX_STRING, MAX_TAGS_PER_REQUEST) {
        Patch::Set(names) => dedupe_names(names),
        Patch::Null if null_is_empty => Vec::new(),
        Patch::Null | Patch::Absent => {
            if !body.errors.has("tags") && !body.errors.has_under("tags") {
                body.required("tags");
            }
            Vec::new()
        }
    };
    Draft::new(names, body.errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_are_required_unless_replacing_with_null() {
        let empty = Map::new();
        assert!(
            parse_names(&empty, false)
                .finish()
                .is_err_and(|e| e.has("tags"))
        );
        assert!(
            parse_names(&empty, true)
                .finish()
                .is_err_and(|e| e.has("tags"))
        );
        let null = json!({"tags": null})
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(parse_names(&null, true).finish().is_ok());
        let bad = json!({"tags": ["a", 3]})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let p = parse_names(&bad, false).finish();
        assert!(p.is_err_and(|e| e.has("tags.1") && !e.has("tags")));
        let dup = json!({"tags": ["VIP", "vip", "x"]})
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            parse_names(&dup, false).finish().ok(),
            Some(vec!["VIP".to_owned(), "x".to_owned()])
        );
    }
}
