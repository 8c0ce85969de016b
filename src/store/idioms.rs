//! SQL idioms that differ between the dialects, as [`Dialect`] methods, so repositories write
//! each one once.

use crate::store::Dialect;

impl Dialect {
    /// Whether a write transaction must lock the rows it reads before writing them. PostgreSQL
    /// runs concurrent write transactions (at READ COMMITTED), so a read-modify-write locks its
    /// rows; SQLite runs one write transaction at a time (its single writer), so it never needs
    /// to, and a statement that only takes locks is skipped there.
    pub fn locks_rows(self) -> bool {
        match self {
            Dialect::Postgres => true,
            Dialect::Sqlite => false,
        }
    }

    /// The clause ending a `SELECT` that locks the rows it reads (of the tables named by
    /// `aliases`, or of every table when empty) until the transaction ends; empty where rows need
    /// no lock (see [`Dialect::locks_rows`]).
    pub fn for_update(self, aliases: &[&str]) -> String {
        self.lock_clause("FOR UPDATE", aliases)
    }

    /// Like [`Dialect::for_update`], but the lock does not block inserting rows that refer to
    /// the locked ones (`FOR NO KEY UPDATE`: those only take a key-share lock).
    pub fn for_no_key_update(self, aliases: &[&str]) -> String {
        self.lock_clause("FOR NO KEY UPDATE", aliases)
    }

    fn lock_clause(self, lock: &str, aliases: &[&str]) -> String {
        match (self.locks_rows(), aliases) {
            (false, _) => String::new(),
            (true, []) => format!(" {lock}"),
            (true, aliases) => format!(" {lock} OF {}", aliases.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_postgres_locks_rows() {
        assert_eq!(Dialect::Postgres.for_update(&[]), " FOR UPDATE");
        assert_eq!(Dialect::Postgres.for_update(&["c"]), " FOR UPDATE OF c");
        assert_eq!(
            Dialect::Postgres.for_no_key_update(&[]),
            " FOR NO KEY UPDATE"
        );
        assert_eq!(Dialect::Sqlite.for_update(&["c"]), "");
        assert_eq!(Dialect::Sqlite.for_no_key_update(&[]), "");
    }
}
