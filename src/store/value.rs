//! Backend-neutral SQL parameters and result rows.
//!
//! All SQL in the store is written once, with `$1`-style placeholders, and bound with these values;
//! each backend converts them to its driver's types. Booleans are stored as integers 0/1 and
//! timestamps as integer Unix seconds on every backend, so four kinds of scalar are enough (plus
//! lists, bound as one parameter).

use std::fmt;
use std::sync::Arc;

use super::StoreError;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    /// A whole list as ONE parameter (see [`super::Dialect::in_list`]): the SQL text stays the same
    /// whatever the list's length, so one cached statement serves every size.
    IntList(Vec<i64>),
    TextList(Vec<String>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Int(i64::from(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The column names of one statement's result, shared by all its rows: decoding by name costs
/// a short scan of this list, not a copy of the names per row.
#[derive(Debug, Default)]
pub struct Columns {
    names: Vec<String>,
    /// Names that occur more than once: reading one of them by name is an error, not a guess.
    repeated: Vec<String>,
}

impl Columns {
    pub fn new(names: Vec<String>) -> Arc<Self> {
        let mut repeated: Vec<String> = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) && !repeated.contains(name) {
                repeated.push(name.clone());
            }
        }
        Arc::new(Self { names, repeated })
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// How a column is picked out of a row: by name (what repositories use, so a SELECT list can
/// change without shifting every read), or by position (for a single unnamed result such as
/// `SELECT 1`).
pub trait ColumnIndex: Copy + fmt::Display {
    fn position(self, columns: &Columns) -> Option<usize>;
}

impl ColumnIndex for &str {
    fn position(self, columns: &Columns) -> Option<usize> {
        if !columns.repeated.is_empty() && columns.repeated.iter().any(|r| r == self) {
            return None;
        }
        columns.names.iter().position(|n| n == self)
    }
}

impl ColumnIndex for usize {
    fn position(self, columns: &Columns) -> Option<usize> {
        (self < columns.names.len()).then_some(self)
    }
}

/// One result row: its values in SELECT order, with the statement's column names.
#[derive(Debug, Clone)]
pub struct Row {
    columns: Arc<Columns>,
    values: Vec<Value>,
}

impl Row {
    /// `values` must be in the order of `columns`.
    pub fn new(columns: Arc<Columns>, values: Vec<Value>) -> Self {
        Self { columns, values }
    }

    /// Every value, in SELECT order (for code that copies rows whole).
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    fn get(&self, column: impl ColumnIndex) -> Result<&Value, StoreError> {
        column
            .position(&self.columns)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| StoreError::Decode(format!("no (single) column {column}")))
    }

    pub fn int(&self, column: impl ColumnIndex) -> Result<i64, StoreError> {
        match self.get(column)? {
            Value::Int(v) => Ok(*v),
            other => Err(StoreError::Decode(format!(
                "column {column}: expected integer, got {other:?}"
            ))),
        }
    }

    pub fn int_opt(&self, column: impl ColumnIndex) -> Result<Option<i64>, StoreError> {
        match self.get(column)? {
            Value::Null => Ok(None),
            _ => self.int(column).map(Some),
        }
    }

    pub fn bool(&self, column: impl ColumnIndex) -> Result<bool, StoreError> {
        Ok(self.int(column)? != 0)
    }

    pub fn real_opt(&self, column: impl ColumnIndex) -> Result<Option<f64>, StoreError> {
        match self.get(column)? {
            Value::Null => Ok(None),
            Value::Real(v) => Ok(Some(*v)),
            Value::Int(v) => Ok(Some(*v as f64)),
            other => Err(StoreError::Decode(format!(
                "column {column}: expected number, got {other:?}"
            ))),
        }
    }

    pub fn text(&self, column: impl ColumnIndex) -> Result<String, StoreError> {
        match self.get(column)? {
            Value::Text(v) => Ok(v.clone()),
            other => Err(StoreError::Decode(format!(
                "column {column}: expected text, got {other:?}"
            ))),
        }
    }

    pub fn text_opt(&self, column: impl ColumnIndex) -> Result<Option<String>, StoreError> {
        match self.get(column)? {
            Value::Null => Ok(None),
            _ => self.text(column).map(Some),
        }
    }

    /// [`Row::text`], moving the value out of the row (left NULL) instead of copying it: for
    /// rows read once, such as a page of contacts.
    pub fn take_text(&mut self, column: impl ColumnIndex) -> Result<String, StoreError> {
        let value = column
            .position(&self.columns)
            .and_then(|i| self.values.get_mut(i))
            .ok_or_else(|| StoreError::Decode(format!("no (single) column {column}")))?;
        match value {
            Value::Text(v) => Ok(std::mem::take(v)),
            other => Err(StoreError::Decode(format!(
                "column {column}: expected text, got {other:?}"
            ))),
        }
    }

    /// [`Row::text_opt`], moving the value out of the row as [`Row::take_text`] does.
    pub fn take_text_opt(
        &mut self,
        column: impl ColumnIndex,
    ) -> Result<Option<String>, StoreError> {
        match self.get(column)? {
            Value::Null => Ok(None),
            _ => self.take_text(column).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(names: &[&str], values: Vec<Value>) -> Row {
        Row::new(
            Columns::new(names.iter().map(|n| (*n).to_owned()).collect()),
            values,
        )
    }

    #[test]
    fn columns_are_read_by_name_or_position() {
        let r = row(
            &["id", "email", "score"],
            vec![Value::Int(7), Value::Null, Value::Real(1.5)],
        );
        assert_eq!(r.int("id").ok(), Some(7));
        assert_eq!(r.int(0).ok(), Some(7));
        assert_eq!(r.text_opt("email").ok(), Some(None));
        assert_eq!(r.real_opt("score").ok(), Some(Some(1.5)));
        assert!(r.int("missing").is_err());
        assert!(r.int(3).is_err());
        assert!(r.text("id").is_err());
    }

    #[test]
    fn a_repeated_name_is_an_error_not_a_guess() {
        let r = row(
            &["name", "name", "id"],
            vec![
                Value::Text("a".into()),
                Value::Text("b".into()),
                Value::Int(1),
            ],
        );
        assert!(r.text("name").is_err());
        assert_eq!(r.text(1).ok().as_deref(), Some("b"));
        assert_eq!(r.int("id").ok(), Some(1));
    }
}
