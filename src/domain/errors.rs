//! The 422 error collection shared by every validation in the crate.
//!
//! Errors keep the order in which they were found: the first one becomes the response's `message`,
//! and fields are listed in the order the rules ran (which follows the contract's field order).
//!
//! Recording is O(1) per error (a path index beside the ordered list), and at most
//! [`MAX_ERROR_FIELDS`] fields are kept: a body of 80,000 bad array items costs linear time and a
//! bounded answer, not a quadratic scan on an async worker.

use std::collections::HashMap;
use std::fmt;

use super::limits::MAX_ERROR_FIELDS;

/// All validation failures of one request, keyed by dotted field path (`company_ids.1`, `email[gt]`).
#[derive(Debug, Clone, Default)]
pub struct ValidationErrors {
    entries: Vec<(String, Vec<String>)>,
    /// Path → position in `entries`.
    index: HashMap<String, usize>,
    /// Errors dropped because [`MAX_ERROR_FIELDS`] fields were already recorded.
    dropped: usize,
}

impl PartialEq for ValidationErrors {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries && self.dropped == other.dropped
    }
}

impl Eq for ValidationErrors {}

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// An error set holding a single message, for rules that fail on their own.
    pub fn single(path: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(path, message);
        errors
    }

    /// Records `message` for `path`; a path keeps its first-seen position. Past
    /// [`MAX_ERROR_FIELDS`] fields, new fields are only counted.
    pub fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        let path = path.into();
        let message = message.into();
        match self.index.get(&path) {
            Some(&at) => {
                let messages = &mut self.entries[at].1;
                // A field has a handful of messages at most, so this scan stays short.
                if !messages.contains(&message) {
                    messages.push(message)
                }
            }
            None if self.entries.len() >= MAX_ERROR_FIELDS => self.dropped += 1,
            None => {
                self.index.insert(path.clone(), self.entries.len());
                self.entries.push((path, vec![message]));
            }
        }
    }

    pub fn has(&self, path: &str) -> bool {
        self.index.contains_key(path)
    }

    /// True when some recorded path is `prefix` followed by `.` (an element of an array field).
    pub fn has_under(&self, prefix: &str) -> bool {
        self.entries.iter().any(|(p, _)| {
            p.strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('.'))
        })
    }

    /// Every error recorded or dropped: grows with each new field, even past the bound.
    pub fn count(&self) -> usize {
        self.entries.len() + self.dropped
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn merge(&mut self, other: ValidationErrors) {
        for (path, messages) in other.entries {
            for message in messages {
                self.add(path.clone(), message);
            }
        }
        self.dropped += other.dropped;
    }

    /// `Ok(value)` when nothing was recorded, else these errors.
    pub fn into_result<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// `(path, messages)` in the order found.
    pub fn entries(&self) -> &[(String, Vec<String>)] {
        &self.entries
    }

    /// The Laravel-style summary: the first message, then ` (and N more error[s])`.
    pub fn summary(&self) -> String {
        let mut all = self.entries.iter().flat_map(|(_, m)| m.iter());
        let Some(first) = all.next() else {
            return "The given data was invalid.".to_owned();
        };
        match all.count() + self.dropped {
            0 => first.clone(),
            1 => format!("{first} (and 1 more error)"),
            n => format!("{first} (and {n} more errors)"),
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

impl std::error::Error for ValidationErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts_messages_not_fields() {
        let mut e = ValidationErrors::new();
        e.add("a", "A is bad.");
        assert_eq!(e.summary(), "A is bad.");
        e.add("a", "A is worse.");
        assert_eq!(e.summary(), "A is bad. (and 1 more error)");
        e.add("b", "B is bad.");
        assert_eq!(e.summary(), "A is bad. (and 2 more errors)");
        assert_eq!(e.entries()[0].0, "a");
        assert_eq!(e.entries()[1].0, "b");
    }

    #[test]
    fn recording_is_bounded_and_counts_what_it_drops() {
        let mut e = ValidationErrors::new();
        for i in 0..80_000 {
            e.add(format!("tags.{i}"), "The tags field must be a string.");
        }
        assert_eq!(e.entries().len(), MAX_ERROR_FIELDS);
        assert!(e.has("tags.0") && !e.has(&format!("tags.{MAX_ERROR_FIELDS}")));
        assert!(e.has_under("tags") && !e.has_under("tag"));
        assert_eq!(
            e.summary(),
            "The tags field must be a string. (and 79999 more errors)"
        );
    }
}
