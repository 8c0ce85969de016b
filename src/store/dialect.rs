//! The two SQL dialects the store speaks, and the idioms that differ between them.

use super::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// `expr` is among the values of the list bound at `param` (one [`Value::IntList`] or
    /// [`Value::TextList`]). The text does not depend on the list's length, so any list size is one
    /// cached statement and one parameter (no statement-cache growth, no parameter-count limit).
    pub fn in_list(self, expr: &str, param: &str) -> String {
        match self {
            Dialect::Sqlite => format!("{expr} IN (SELECT value FROM json_each({param}))"),
            Dialect::Postgres => format!("{expr} = ANY({param})"),
        }
    }

    /// `expr IN ($n)` for one id (the hot single-record path keeps its plain statement), else
    /// [`Dialect::in_list`]; binds into `params`. Not `expr = $n`: with the planner statistics
    /// SQLite keeps (STAT4), a bound value compared with `=` makes SQLite re-prepare the
    /// statement at every execution (measured: two thirds of the single-contact throughput).
    pub fn id_in(self, expr: &str, ids: &[i64], params: &mut Vec<Value>) -> String {
        if let [id] = ids {
            params.push(Value::Int(*id));
            return format!("{expr} IN (${})", params.len());
        }
        params.push(Value::IntList(ids.to_vec()));
        self.in_list(expr, &format!("${}", params.len()))
    }
}
