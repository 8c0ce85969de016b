//! Reading request bodies by the contract's shared input rules (§3).
//!
//! Strings are trimmed (except passwords) and empty means null; integers and booleans are read
//! leniently; every problem is recorded in the body's [`ValidationErrors`] and reading goes on, so a
//! request learns all its errors at once.

use serde_json::{Map, Value};

use super::errors::ValidationErrors;
use super::limits::too_many_items;

/// The most characters a plain string field may hold.
pub const MAX_STRING: usize = 255;

/// An optional field of a partial update.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    /// Not in the body: keep the stored value.
    #[default]
    Absent,
    /// `null` or an empty string: clear it.
    Null,
    Set(T),
}

impl<T> Patch<T> {
    /// The value a create request gets: absent and null are both "none".
    pub fn into_option(self) -> Option<T> {
        match self {
            Patch::Set(v) => Some(v),
            _ => None,
        }
    }

    /// The new value for a stored `current`.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Absent => current,
            Patch::Null => None,
            Patch::Set(v) => Some(v),
        }
    }
}

/// How a field is named in messages: `first_name` reads "first name"; nested paths stay as they are.
pub fn label(path: &str) -> String {
    if path.contains('.') {
        path.to_owned()
    } else {
        path.replace('_', " ")
    }
}

/// True for an address with a local part, one `@`, and a dotted domain, without white space,
/// invisible characters or compatibility forms (see [`is_lookalike_char`]).
pub fn is_valid_email(s: &str) -> bool {
    if s.chars()
        .any(|c| c.is_whitespace() || c.is_control() || is_lookalike_char(c))
    {
        return false;
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && domain.split('.').all(|part| !part.is_empty())
        && email_address::EmailAddress::is_valid(s)
}

/// Characters that make two addresses look the same while comparing different: invisible ones
/// (format characters such as U+200B ZERO WIDTH SPACE, U+00AD SOFT HYPHEN, U+FEFF, bidirectional
/// controls, variation selectors, Hangul fillers, tag characters) and compatibility forms whose
/// NFKC form differs from their NFC form (fullwidth `ＡＢＣ`, ligatures such as `ﬁ`, circled and
/// superscript letters).
pub fn is_lookalike_char(c: char) -> bool {
    use unicode_normalization::UnicodeNormalization;
    let invisible = matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    );
    if invisible {
        return true;
    }
    if c.is_ascii() {
        return false;
    }
    let one = [c];
    !one.iter().copied().nfkc().eq(one.iter().copied().nfc())
}

/// The canonical (NFC) form of an e-mail address, in which it is stored and compared: `é` typed
/// precomposed or as `e` + combining accent is one address.
pub fn normalize_email(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect()
}

/// A body as read. Its value is reachable only through [`Draft::finish`], which fails with every
/// error found (while reading, and by the checks the caller adds); [`Draft::peek`] shows what was
/// sent to the checks that need it (which ids to look up, say).
#[derive(Debug, Clone)]
pub struct Draft<T> {
    value: T,
    errors: ValidationErrors,
}

impl<T> Draft<T> {
    pub fn new(value: T, errors: ValidationErrors) -> Self {
        Self { value, errors }
    }

    /// True when reading found nothing wrong (checks may still fail).
    pub fn is_well_formed(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn peek(&self) -> &T {
        &self.value
    }

    /// The errors found so far.
    pub fn errors(&self) -> &ValidationErrors {
        &self.errors
    }

    pub fn finish(self) -> Result<T, ValidationErrors> {
        self.finish_with(|_, _| {})
    }

    /// Applies a rule that may find more errors, giving the next stage of the draft.
    pub fn then<U>(self, rule: impl FnOnce(T, &mut ValidationErrors) -> U) -> Draft<U> {
        let mut errors = self.errors;
        let value = rule(self.value, &mut errors);
        Draft { value, errors }
    }

    /// Runs `checks` (which may add errors) and then finishes.
    pub fn finish_with(
        self,
        checks: impl FnOnce(&T, &mut ValidationErrors),
    ) -> Result<T, ValidationErrors> {
        let mut errors = self.errors;
        checks(&self.value, &mut errors);
        if errors.is_empty() {
            Ok(self.value)
        } else {
            Err(errors)
        }
    }
}

/// An e-mail address that passed [`is_valid_email`], in its canonical NFC form
/// ([`normalize_email`]): the only way to make one is [`Email::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Option<Self> {
        is_valid_email(s).then(|| Self(normalize_email(s)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A required name (a contact's first name, a company's name): trimmed, non-empty, at most
/// [`MAX_STRING`] characters; made only by [`Body::name`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A password as sent (never trimmed), 8 to [`MAX_STRING`] characters; made only by
/// [`Body::password`].
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// A JSON object being read field by field.
pub struct Body<'a> {
    object: &'a Map<String, Value>,
    pub errors: ValidationErrors,
}

impl<'a> Body<'a> {
    pub fn new(object: &'a Map<String, Value>) -> Self {
        Self {
            object,
            errors: ValidationErrors::new(),
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.object.contains_key(key)
    }

    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key)
    }

    /// Every key of the body, for bodies that are themselves maps (custom-field values).
    pub fn keys(&self) -> impl Iterator<Item = &'a String> {
        self.object.keys()
    }

    pub fn error(&mut self, path: &str, message: impl Into<String>) {
        self.errors.add(path, message);
    }

    /// A trimmed string of at most `max` characters.
    pub fn string(&mut self, key: &str, max: usize) -> Patch<String> {
        match self.object.get(key) {
            None => Patch::Absent,
            Some(v) => read_string(v, key, max, &mut self.errors),
        }
    }

    /// Like [`Body::string`], and the value must be a syntactically valid e-mail address; it is
    /// returned in NFC form ([`normalize_email`]).
    pub fn email(&mut self, key: &str) -> Patch<Email> {
        match self.string(key, MAX_STRING) {
            Patch::Set(s) => match Email::parse(&s) {
                Some(email) => Patch::Set(email),
                None => {
                    self.errors.add(
                        key,
                        format!("The {} field must be a valid email address.", label(key)),
                    );
                    Patch::Absent
                }
            },
            Patch::Null => Patch::Null,
            Patch::Absent => Patch::Absent,
        }
    }

    /// A name that may be absent (kept on update) but not cleared: `null` or `""` is "required".
    /// With `required`, absence is an error too.
    pub fn name(&mut self, key: &str, required: bool) -> Option<Name> {
        match self.string(key, MAX_STRING) {
            Patch::Set(s) => Some(Name(s)),
            Patch::Null => {
                self.required(key);
                None
            }
            Patch::Absent => {
                if required && !self.errors.has(key) {
                    self.required(key);
                }
                None
            }
        }
    }

    pub fn required(&mut self, key: &str) {
        self.errors
            .add(key, format!("The {} field is required.", label(key)));
    }

    /// A password: never trimmed; 8 to 255 characters. An empty string counts as null.
    pub fn password(&mut self, key: &str) -> Patch<Password> {
        match self.object.get(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(Value::String(s)) if s.is_empty() => Patch::Null,
            Some(Value::String(s)) => {
                let n = s.chars().count();
                if n < 8 {
                    self.errors.add(
                        key,
                        format!("The {} field must be at least 8 characters.", label(key)),
                    );
                    Patch::Absent
                } else if n > MAX_STRING {
                    self.errors.add(
                        key,
                        format!(
                            "The {} field must not be greater than {MAX_STRING} characters.",
                            label(key)
                        ),
                    );
                    Patch::Absent
                } else {
                    Patch::Set(Password(s.clone()))
                }
            }
            Some(_) => {
                self.errors
                    .add(key, format!("The {} field must be a string.", label(key)));
                Patch::Absent
            }
        }
    }

    /// An integer, given as a JSON integer or a string of digits.
    pub fn integer(&mut self, key: &str) -> Patch<i64> {
        match self.object.get(key) {
            None => Patch::Absent,
            Some(v) => read_integer(v, key, &mut self.errors),
        }
    }

    /// A boolean: `true`, `false`, `1`, `0`, `"1"`, `"0"`, `"true"`, `"false"`.
    pub fn boolean(&mut self, key: &str) -> Patch<bool> {
        match self.object.get(key) {
            None => Patch::Absent,
            Some(v) => read_boolean(v, key, &mut self.errors),
        }
    }

    /// The items of array field `key` when it has at most `max_items`; a longer array is one error
    /// (its items are not looked at, so the work stays bounded) and `None`.
    pub fn bounded_items(
        &mut self,
        key: &str,
        items: &'a [Value],
        max_items: usize,
    ) -> Option<&'a [Value]> {
        if items.len() > max_items {
            self.errors.add(key, too_many_items(&label(key), max_items));
            return None;
        }
        Some(items)
    }

    /// An array of at most `max_items` non-empty strings of at most `max` characters; element
    /// errors keyed `key.N`.
    pub fn string_array(&mut self, key: &str, max: usize, max_items: usize) -> Patch<Vec<String>> {
        match self.object.get(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(Value::Array(items)) => {
                let Some(items) = self.bounded_items(key, items, max_items) else {
                    return Patch::Absent;
                };
                let mut out = Vec::with_capacity(items.len());
                let mut bad = false;
                for (i, item) in items.iter().enumerate() {
                    let path = format!("{key}.{i}");
                    match read_string(item, &path, max, &mut self.errors) {
                        Patch::Set(s) => out.push(s),
                        Patch::Null => {
                            self.errors
                                .add(&path, format!("The {path} field must not be empty."));
                            bad = true;
                        }
                        Patch::Absent => bad = true,
                    }
                }
                if bad { Patch::Absent } else { Patch::Set(out) }
            }
            Some(_) => {
                self.errors
                    .add(key, format!("The {} field must be an array.", label(key)));
                Patch::Absent
            }
        }
    }
}

pub fn read_string(
    v: &Value,
    path: &str,
    max: usize,
    errors: &mut ValidationErrors,
) -> Patch<String> {
    match v {
        Value::Null => Patch::Null,
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                Patch::Null
            } else if t.contains('\0') {
                // PostgreSQL cannot store NUL in text; refuse it everywhere alike.
                errors.add(
                    path,
                    format!("The {} field must not contain NUL characters.", label(path)),
                );
                Patch::Absent
            } else if t.chars().count() > max {
                errors.add(
                    path,
                    format!(
                        "The {} field must not be greater than {max} characters.",
                        label(path)
                    ),
                );
                Patch::Absent
            } else {
                Patch::Set(t.to_owned())
            }
        }
        _ => {
            errors.add(path, format!("The {} field must be a string.", label(path)));
            Patch::Absent
        }
    }
}

pub fn read_integer(v: &Value, path: &str, errors: &mut ValidationErrors) -> Patch<i64> {
    let parsed = match v {
        Value::Null => return Patch::Null,
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Patch::Null;
            }
            if t.bytes().all(|b| b.is_ascii_digit()) {
                t.parse::<i64>().ok()
            } else {
                None
            }
        }
        _ => None,
    };
    match parsed {
        Some(i) => Patch::Set(i),
        None => {
            errors.add(
                path,
                format!("The {} field must be an integer.", label(path)),
            );
            Patch::Absent
        }
    }
}

/// A decimal number written as text, as Laravel's `numeric` rule would take it but stricter: an
/// optional `-`, ASCII digits, and optionally `.` and more digits (`"12"`, `"-3.5"`). No exponent
/// (`"1e3"`), hex (`"0x1"`), `+`, white space (`" 12 "`) or bare point (`".5"`, `"5."`), so a value
/// means the same to every client that reads it back. Returned as a JSON number: an integer when
/// there is no point and it fits, else a float; `None` also for a value too large to be finite.
pub fn decimal_text(s: &str) -> Option<serde_json::Number> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    if fraction.is_none()
        && let Ok(i) = s.parse::<i64>()
    {
        return Some(i.into());
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(serde_json::Number::from_f64)
}

/// A number: a finite JSON number, or a string [`decimal_text`] reads. `null` and `""` are
/// [`Patch::Null`].
pub fn read_number(v: &Value, path: &str, errors: &mut ValidationErrors) -> Patch<f64> {
    let parsed = match v {
        Value::Null => return Patch::Null,
        Value::String(s) if s.is_empty() => return Patch::Null,
        Value::Number(n) => n.as_f64(),
        Value::String(s) => decimal_text(s).and_then(|n| n.as_f64()),
        _ => None,
    };
    match parsed.filter(|f| f.is_finite()) {
        Some(f) => Patch::Set(f),
        None => {
            errors.add(path, format!("The {} field must be a number.", label(path)));
            Patch::Absent
        }
    }
}

pub fn read_boolean(v: &Value, path: &str, errors: &mut ValidationErrors) -> Patch<bool> {
    let parsed = match v {
        Value::Null => return Patch::Null,
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    };
    match parsed {
        Some(b) => Patch::Set(b),
        None => {
            errors.add(
                path,
                format!("The {} field must be true or false.", label(path)),
            );
            Patch::Absent
        }
    }
}

/// Names compared case-insensitively (tags, client types, login emails) are keyed by this form.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// Drops later repeats of a name, compared case-insensitively; keeps the first spelling.
pub fn dedupe_names(names: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names
        .into_iter()
        .filter(|n| seen.insert(name_key(n)))
        .collect()
}

/// Drops later repeats, keeping the order of first appearance.
pub fn dedupe_ids(ids: Vec<i64>) -> Vec<i64> {
    let mut seen = std::collections::HashSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn strings_are_trimmed_and_empty_is_null() {
        let m = body(json!({"a": "  x  ", "b": "   ", "c": null, "d": 5}));
        let mut b = Body::new(&m);
        assert_eq!(b.string("a", 255), Patch::Set("x".into()));
        assert_eq!(b.string("b", 255), Patch::Null);
        assert_eq!(b.string("c", 255), Patch::Null);
        assert_eq!(b.string("z", 255), Patch::Absent);
        assert_eq!(b.string("d", 255), Patch::Absent);
        assert!(b.errors.has("d"));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let ok = "é".repeat(255);
        let long = "é".repeat(256);
        let m = body(json!({"ok": ok, "long": long}));
        let mut b = Body::new(&m);
        assert!(matches!(b.string("ok", 255), Patch::Set(_)));
        assert_eq!(b.string("long", 255), Patch::Absent);
        assert_eq!(b.errors.entries().len(), 1);
    }

    #[test]
    fn lenient_integers_and_booleans() {
        let m = body(
            json!({"i": "123", "j": 7, "k": "1.5", "l": 2.5, "t": "true", "f": 0, "x": "yes", "y": 2}),
        );
        let mut b = Body::new(&m);
        assert_eq!(b.integer("i"), Patch::Set(123));
        assert_eq!(b.integer("j"), Patch::Set(7));
        assert_eq!(b.integer("k"), Patch::Absent);
        assert_eq!(b.integer("l"), Patch::Absent);
        assert_eq!(b.boolean("t"), Patch::Set(true));
        assert_eq!(b.boolean("f"), Patch::Set(false));
        assert_eq!(b.boolean("x"), Patch::Absent);
        assert_eq!(b.boolean("y"), Patch::Absent);
        let keys: Vec<_> = b.errors.entries().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["k", "l", "x", "y"]);
    }

    #[test]
    fn decimal_text_is_plain_decimal_notation() {
        assert_eq!(decimal_text("12"), Some(12.into()));
        assert_eq!(decimal_text("-3.5"), serde_json::Number::from_f64(-3.5));
        assert_eq!(decimal_text("007"), Some(7.into()));
        assert_eq!(decimal_text("12.0").and_then(|n| n.as_f64()), Some(12.0));
        for bad in [
            "", " 12 ", "12 ", "1e3", "0x1", "+1", "-", ".5", "5.", "1.2.3", "--1", "1,5", "NaN",
            "inf", "١٢",
        ] {
            assert_eq!(decimal_text(bad), None, "{bad:?}");
        }
        assert_eq!(decimal_text(&"9".repeat(400)), None);
    }

    #[test]
    fn numbers_are_json_numbers_or_decimal_text() {
        let m = body(json!({"a": 1.5, "b": "-2", "c": "", "d": null, "e": "1e3", "f": true}));
        let mut e = ValidationErrors::new();
        assert_eq!(read_number(&m["a"], "a", &mut e), Patch::Set(1.5));
        assert_eq!(read_number(&m["b"], "b", &mut e), Patch::Set(-2.0));
        assert_eq!(read_number(&m["c"], "c", &mut e), Patch::Null);
        assert_eq!(read_number(&m["d"], "d", &mut e), Patch::Null);
        assert!(e.is_empty());
        assert_eq!(read_number(&m["e"], "e", &mut e), Patch::Absent);
        assert_eq!(read_number(&m["f"], "f", &mut e), Patch::Absent);
        let keys: Vec<_> = e.entries().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["e", "f"]);
    }

    #[test]
    fn email_syntax() {
        for ok in ["a@b.co", "john.smith+x@acme-corp.com", "élodie@example.com"] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "a@b", "ab.com", "a @b.com", "@b.com", "a@.com", "a@b..com", "a@b.com.",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn lookalike_emails_are_invalid_and_accents_are_normalised() {
        for bad in [
            "jo\u{200B}hn@example.com",
            "john@exa\u{00AD}mple.com",
            "\u{FEFF}john@example.com",
            "ｊｏｈｎ@example.com",
            "john@ｅxample.com",
            "\u{FB01}le@example.com",
            "jo\u{202E}hn@example.com",
        ] {
            assert!(!is_valid_email(bad), "{bad:?}");
        }
        let composed = "\u{E9}lodie@example.com";
        let decomposed = "e\u{301}lodie@example.com";
        assert!(is_valid_email(composed) && is_valid_email(decomposed));
        assert_eq!(normalize_email(decomposed), composed);
        let m = body(json!({ "email": decomposed }));
        assert_eq!(
            Body::new(&m)
                .email("email")
                .into_option()
                .map(Email::into_string),
            Some(composed.to_owned())
        );
    }

    #[test]
    fn array_elements_are_keyed_by_index() {
        let m = body(json!({"tags": ["a", "", 4]}));
        let mut b = Body::new(&m);
        assert_eq!(b.string_array("tags", 255, 10), Patch::Absent);
        let keys: Vec<_> = b.errors.entries().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["tags.1", "tags.2"]);
    }

    #[test]
    fn arrays_over_their_bound_are_one_error_and_items_are_not_read() {
        let m = body(json!({"tags": [1, 2, 3]}));
        let mut b = Body::new(&m);
        assert_eq!(b.string_array("tags", 255, 2), Patch::Absent);
        let entries = b.errors.entries();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].0, "tags");
        assert_eq!(
            entries[0].1,
            ["The tags field must not have more than 2 items."]
        );
    }

    #[test]
    fn passwords_are_not_trimmed() {
        let m = body(json!({"p": "  secret  ", "q": "short"}));
        let mut b = Body::new(&m);
        let p = b.password("p").into_option();
        assert_eq!(p.as_ref().map(Password::expose), Some("  secret  "));
        assert_eq!(b.password("q"), Patch::Absent);
        assert!(b.errors.has("q"));
    }
}
