//! Bodies of the tag endpoints (§5.5): `{"tags": ["name", ...]}`.

use serde_json::{Map, Value};

use super::Tag;
use super::input::{Body, Draft, MAX_STRING, Patch, dedupe_names};
use super::limits::MAX_TAGS_PER_REQUEST;

/// One of the tenant's tags with how many records carry it (the console's tag settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagUsage {
    pub tag: Tag,
    pub contacts: u64,
    pub companies: u64,
}

/// What renaming a tag did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renamed {
    /// The tag has the new name (a change of case included).
    Renamed,
    /// Another tag already had the name (case-insensitively): the records carrying the renamed
    /// tag now carry that one, and the renamed tag is gone.
    Merged { into: i64 },
    /// The name was already the tag's, as spelled.
    Unchanged,
}

/// Reads a tag's new name: `name`, a non-empty string of at most 255 characters (trimmed), the
/// same rule as a name in `tags`.
pub fn parse_rename(object: &Map<String, Value>) -> Draft<String> {
    let mut body = Body::new(object);
    let name = match body.string("name", MAX_STRING) {
        Patch::Set(name) => name,
        Patch::Null | Patch::Absent => {
            if !body.errors.has("name") {
                body.required("name");
            }
            String::new()
        }
    };
    Draft::new(name, body.errors)
}

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
    fn a_new_name_is_required_trimmed_and_bounded() {
        let of = |v: Value| parse_rename(&v.as_object().cloned().unwrap_or_default()).finish();
        assert_eq!(
            of(json!({"name": "  Key account "})).ok(),
            Some("Key account".to_owned())
        );
        assert!(of(json!({})).is_err_and(|e| e.has("name")));
        assert!(of(json!({"name": "   "})).is_err_and(|e| e.has("name")));
        assert!(of(json!({"name": "x".repeat(256)})).is_err_and(|e| e.has("name")));
        assert!(of(json!({"name": 3})).is_err_and(|e| e.has("name")));
    }

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
