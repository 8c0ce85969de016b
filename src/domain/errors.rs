//! The 422 error collection shared by every validation in the crate.
//!
//! Errors keep the order in which they were found: the first one becomes the response's `message`,
//! and fields are listed in the order the rules ran (which follows the contract's field order).

use std::fmt;

/// All validation failures of one request, keyed by dotted field path (`company_ids.1`, `email[gt]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors {
    entries: Vec<(String, Vec<String>)>,
}

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

    /// Records `message` for `path`; a path keeps its first-seen position.
    pub fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        let path = path.into();
        let message = message.into();
        match self.entries.iter_mut().find(|(p, _)| *p == path) {
            Some((_, messages)) => {
                if !messages.contains(&message) {
                    messages.push(message)
                }
            }
            None => self.entries.push((path, vec![message])),
        }
    }

    pub fn has(&self, path: &str) -> bool {
        self.entries.iter().any(|(p, _)| p == path)
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
        match all.count() {
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
}
