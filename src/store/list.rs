//! Lists in SQL: a parsed [`ListQuery`] rendered into a WHERE expression and an ORDER BY list, and
//! [`list_page`], which runs them for one page and its total.
//!
//! Each list's field enum (from `domain`) implements [`ListFieldSql`] beside the list's other SQL,
//! with one exhaustive `match`: a field without SQL does not compile.
//!
//! Values are always bound as parameters (`$N` on both backends), never spliced into the text.
//! Dates are compared as integer Unix seconds and booleans as integers 0/1, as the store keeps them.

use super::{Conn, Dialect, Row, StoreError, Value};
use crate::query::{FieldType, Filter, ListField, ListQuery, Op, Operand};

/// Where one list field lives in SQL.
#[derive(Debug, Clone, Copy)]
pub enum SqlField {
    /// An expression on the outer row, e.g. `c.email`, `c.created_at` (dates are integer Unix
    /// seconds, booleans integer 0/1 expressions).
    Scalar(&'static str),
    /// A multi-valued relation as set membership: the outer row's `key` (e.g. `c.id`) must be (or,
    /// for negative operators, must not be) among the rows of `select` (`SELECT lk.contact_id FROM
    /// contact_companies lk`, without WHERE) whose `expr` matches. Positive operators ask for a
    /// matching related row, negative ones for none. Set membership lets the database drive the
    /// search from the relation's index instead of probing every outer row, which is what keeps
    /// `company_id=N` fast on a million contacts.
    Member {
        key: &'static str,
        select: &'static str,
        expr: &'static str,
    },
}

/// A list field's SQL: implemented by each list's field enum, in the store module of its records.
pub trait ListFieldSql: ListField {
    /// Where the field lives. Sortable fields must be [`SqlField::Scalar`] (a relation has no one
    /// value to order by); each list's test checks it with [`sortable_fields_are_scalar`].
    fn sql(self) -> SqlField;

    /// The field's column is NOT NULL on both backends, so its order needs no NULLS clause: on
    /// PostgreSQL one would keep an index built without it from giving the order. The id is
    /// never NULL whatever this says.
    fn never_null(self) -> bool {
        false
    }
}

/// The sortable fields of `F` whose SQL is not a scalar: empty for every list (checked in tests).
pub fn sortable_fields_are_scalar<F: ListFieldSql>() -> Vec<&'static str> {
    F::ALL
        .iter()
        .filter(|f| f.spec().sortable && !matches!(f.sql(), SqlField::Scalar(_)))
        .map(|f| f.name())
        .collect()
}

/// One page of a list and its exact total: the rows must satisfy `scope` (conditions on the first
/// `params`, e.g. the tenant), then the query's filters; they come in its order.
///
/// `from` is the FROM clause counted over (`FROM contacts c`); `select` the full `SELECT ... FROM
/// ...` whose rows are returned for the page.
pub async fn list_page<F: ListFieldSql>(
    c: &mut dyn Conn,
    from: &str,
    select: &str,
    scope: &str,
    params: Vec<Value>,
    q: &ListQuery<F>,
) -> Result<(Vec<Row>, u64), StoreError> {
    list_page_with(c, from, select, scope, params, q, Shortcuts::default()).await
}

/// What a list may know about its own rows that the generic statements cannot.
#[derive(Debug, Default, Clone, Copy)]
pub struct Shortcuts<'a> {
    /// The total when the query has no filters, with its own parameters: e.g. counting a
    /// company's links from their index alone, instead of visiting every linked contact.
    pub unfiltered_count: Option<(&'a str, &'a [Value])>,
    /// The total of this very query, kept by the database, with its own parameters: the caller
    /// has checked that it counts exactly the query's rows (e.g. the contacts with one name,
    /// migrations/sqlite/0012). Wins over counting.
    pub kept_count: Option<(&'a str, &'a [Value])>,
    /// `(sort expression, equivalent expression)`: sort by the second wherever the query sorts by
    /// the first. In `contact_companies sc JOIN contacts c ON c.id = sc.contact_id`, ordering by
    /// `sc.contact_id` instead of `c.id` lets the page be read in index order and stop after
    /// the page, instead of sorting every linked contact.
    pub order_alias: Option<(&'a str, &'a str)>,
    /// A substring index over some of the list's text columns, for `contains` on them.
    pub substring_index: Option<&'a SubstringIndex>,
}

/// A trigram full-text index (SQLite FTS5 with `tokenize = 'trigram case_sensitive 1'`) over some
/// of a list's text columns, keyed by the outer row's rowid. A phrase query of at least
/// [`TRIGRAM`] characters matches exactly the rows whose column contains the phrase, case
/// sensitively: the same rows as `instr(column, term) > 0`, read from the index instead of
/// scanning the tenant's rows.
///
/// The index is brought up to date in batches after the writes (see migrations/sqlite/0008):
/// the rows listed in `pending` may be missing from it or indexed with old values, so the
/// condition takes the index's answer for the other rows and tests the pending ones directly.
#[derive(Debug, Clone, Copy)]
pub struct SubstringIndex {
    /// The outer row's rowid expression, e.g. `c.id`.
    pub key: &'static str,
    /// The FTS5 table.
    pub table: &'static str,
    /// The indexed table, whose columns are named like the index's.
    pub rows: &'static str,
    /// The table of rows not yet (re)indexed: one column, their rowid.
    pub pending: (&'static str, &'static str),
    /// `(list expression, index column)`, e.g. `("c.email", "email")`.
    pub columns: &'static [(&'static str, &'static str)],
}

/// The shortest term a trigram index can find: shorter ones match nothing in it, so they keep the
/// scan.
pub const TRIGRAM: usize = 3;

impl SubstringIndex {
    /// The index column of a list expression, when the index covers it.
    fn column(&self, expr: &str) -> Option<&'static str> {
        self.columns
            .iter()
            .find(|(e, _)| *e == expr)
            .map(|(_, column)| *column)
    }

    /// `(index column, term)` when the filter is a `contains` the index answers.
    fn answers<'f, F: ListFieldSql>(&self, f: &'f Filter<F>) -> Option<(&'static str, &'f str)> {
        let (Op::Contains, SqlField::Scalar(e), Operand::Str(term)) =
            (f.op, f.field.sql(), &f.operand)
        else {
            return None;
        };
        let column = self.column(e)?;
        (term.chars().count() >= TRIGRAM).then_some((column, term.as_str()))
    }

    /// "One of `columns` contains `term`": the index's answer for the rows not pending, and the
    /// pending rows tested directly.
    fn condition(&self, columns: &[&str], term: &str, params: &mut Vec<Value>) -> String {
        // An FTS5 column filter and a quoted phrase; the only character to escape inside the
        // quotes is the quote itself, doubled.
        let query = format!(
            "{{{}}} : \"{}\"",
            columns.join(" "),
            term.replace('"', "\"\"")
        );
        let query = bind(params, Value::Text(query));
        let term = bind(params, Value::Text(term.to_owned()));
        let direct = columns
            .iter()
            .map(|column| format!("instr(x.{column}, {term}) > 0"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let (pending, pending_key) = self.pending;
        // CROSS JOIN keeps this order: the few pending rows first, each looked up by rowid (the
        // planner, seeing an empty pending table in its statistics, would scan the rows instead).
        format!(
            "({key} IN (SELECT rowid FROM {table} WHERE {table} MATCH {query} \
             EXCEPT SELECT {pending_key} FROM {pending} \
             UNION ALL SELECT x.rowid FROM {pending} p CROSS JOIN {rows} x ON x.rowid = p.{pending_key} \
             WHERE {direct}))",
            key = self.key,
            table = self.table,
            rows = self.rows,
        )
    }
}

/// [`list_page`] with [`Shortcuts`].
pub async fn list_page_with<F: ListFieldSql>(
    c: &mut dyn Conn,
    from: &str,
    select: &str,
    scope: &str,
    params: Vec<Value>,
    q: &ListQuery<F>,
    shortcuts: Shortcuts<'_>,
) -> Result<(Vec<Row>, u64), StoreError> {
    let statements = page_statements(c.dialect(), from, select, scope, params, q, shortcuts);
    run_page(c, &statements).await
}

/// Runs a page's statements: the page's rows and the list's total.
pub async fn run_page(
    c: &mut dyn Conn,
    statements: &PageStatements<'_>,
) -> Result<(Vec<Row>, u64), StoreError> {
    if statements.total_in_page {
        let rows = c.query(&statements.page, &statements.params).await?;
        if let Some(total) = statements.total_from_page(&rows)? {
            return Ok((rows, total));
        }
        let count = c
            .query(&statements.count, statements.count_params())
            .await?;
        return Ok((rows, total_of(&count)?));
    }
    // Independent statements: one round trip on PostgreSQL. (A page past the end costs its
    // database no more than the count did: both walk the matching rows.)
    let mut results = c
        .query_batch(&[
            (&statements.count, statements.count_params()),
            (&statements.page, &statements.params),
        ])
        .await?
        .into_iter();
    let (Some(count), Some(rows)) = (results.next(), results.next()) else {
        return Err(StoreError::Decode(
            "a statement of the batch went missing".into(),
        ));
    };
    Ok((rows, total_of(&count)?))
}

/// The statements of [`list_page_with`], for a caller that sends them with others or builds on
/// the page's (e.g. as a subquery).
pub struct PageStatements<'a> {
    /// The total: `SELECT COUNT(*) ...`, or [`Shortcuts::unfiltered_count`]'s.
    pub count: String,
    /// The count's own parameters when it is the shortcut's (else it takes `params`).
    own_count_params: Option<&'a [Value]>,
    /// The page: `select` with the scope, the filters, the order, LIMIT and OFFSET.
    pub page: String,
    /// The page's parameters (and the count's, unless it has its own).
    pub params: Vec<Value>,
    /// Each row of the page also carries the list's total (a window count); run the page first
    /// and the count only if [`PageStatements::total_from_page`] has none.
    pub total_in_page: bool,
}

impl PageStatements<'_> {
    pub fn count_params(&self) -> &[Value] {
        self.own_count_params.unwrap_or(&self.params)
    }

    /// Makes the page return whole rows: `columns` of `table` (aliased as the columns name it)
    /// for each id the page selects, in the page's order. The page still finds, sorts and cuts
    /// its ids alone (an index walk, or a sort of narrow rows), and only its own rows are read
    /// (SQLite: one statement instead of the page and a second lookup of its ids). SQLite only:
    /// the page runs first (a co-routine) and `CROSS JOIN` keeps it the outer loop, so its order
    /// is the result's.
    pub fn read_rows(&mut self, columns: &str, table: &str, key: &str) {
        let total = if self.total_in_page {
            format!(", p.{TOTAL_COLUMN}")
        } else {
            String::new()
        };
        self.page = format!(
            "SELECT {columns}{total} FROM ({}) AS p CROSS JOIN {table} ON {key} = p.id",
            self.page
        );
    }
}

/// Renders [`list_page_with`]'s two statements.
pub fn page_statements<'a, F: ListFieldSql>(
    dialect: Dialect,
    from: &str,
    select: &str,
    scope: &str,
    mut params: Vec<Value>,
    q: &ListQuery<F>,
    shortcuts: Shortcuts<'a>,
) -> PageStatements<'a> {
    let index = shortcuts
        .substring_index
        .filter(|_| dialect == Dialect::Sqlite);
    let (filter, order, searched) =
        render_with(q, dialect, &mut params, shortcuts.order_alias, index);
    let condition = if filter.is_empty() {
        scope.to_owned()
    } else {
        format!("{scope} AND {filter}")
    };
    let (count, own_count_params) = match (shortcuts.kept_count, shortcuts.unfiltered_count) {
        (Some((sql, own)), _) => (sql.to_owned(), Some(own)),
        (None, Some((sql, own))) if filter.is_empty() => (sql.to_owned(), Some(own)),
        _ => (format!("SELECT COUNT(*) {from} WHERE {condition}"), None),
    };
    // A list found through the substring index is read whole and sorted whatever the page, so
    // the page can count it in the same pass instead of a second lookup in the index (see
    // [`PageStatements::total_in_page`]).
    let (page_select, total_in_page) = match select.strip_suffix(from) {
        Some(columns) if searched => (
            format!(
                "{}, COUNT(*) OVER () AS {TOTAL_COLUMN} {from}",
                columns.trim_end()
            ),
            true,
        ),
        _ => (select.to_owned(), false),
    };
    let page = format!(
        "{page_select} WHERE {condition} ORDER BY {order} LIMIT {} OFFSET {}",
        q.page.per_page,
        q.page.offset()
    );
    PageStatements {
        count,
        own_count_params,
        page,
        params,
        total_in_page,
    }
}

/// The column of a page's rows holding the list's total, when [`PageStatements::total_in_page`].
const TOTAL_COLUMN: &str = "list_total";

impl PageStatements<'_> {
    /// The total from the page's rows when they carry it; `None` when the count statement must
    /// run (the page does not count, or is empty: past the last page, or nothing matched).
    pub fn total_from_page(&self, page: &[Row]) -> Result<Option<u64>, StoreError> {
        if !self.total_in_page {
            return Ok(None);
        }
        page.first()
            .map(|row| Ok(u64::try_from(row.int(TOTAL_COLUMN)?).unwrap_or(0)))
            .transpose()
    }
}

/// The total from the rows of a page's count statement.
pub fn total_of(count: &[Row]) -> Result<u64, StoreError> {
    let total = count
        .first()
        .ok_or_else(|| StoreError::Decode("COUNT returned no row".into()))?
        .int(0)?;
    Ok(u64::try_from(total).unwrap_or(0))
}

/// Renders `q`'s filters and order. Parameters are appended to `params`, numbered from
/// `params.len() + 1`, so the caller may bind its own (tenant id, ...) first.
///
/// Returns `(where_clause, order_by_clause)`: the WHERE expression without the keyword (`""` when
/// there are no filters; each filter parenthesised, joined with ` AND `) and the ORDER BY list
/// without the keyword (`c.last_name ASC, c.id ASC`).
///
/// # Panics
/// If a sort field's SQL is not a scalar: a static property of the list's [`ListFieldSql`], which
/// its test checks with [`sortable_fields_are_scalar`].
pub fn render<F: ListFieldSql>(
    q: &ListQuery<F>,
    dialect: Dialect,
    params: &mut Vec<Value>,
) -> (String, String) {
    let (filter, order, _) = render_with(q, dialect, params, None, None);
    (filter, order)
}

/// [`render`], sorting by `order_alias.1` wherever the query sorts by `order_alias.0`, and
/// answering `contains` from `index` where it can; the third value says whether it did.
fn render_with<F: ListFieldSql>(
    q: &ListQuery<F>,
    dialect: Dialect,
    params: &mut Vec<Value>,
    order_alias: Option<(&str, &str)>,
    index: Option<&SubstringIndex>,
) -> (String, String, bool) {
    let searched = std::cell::Cell::new(false);
    let cond = |f: &Filter<F>, params: &mut Vec<Value>| match index
        .and_then(|i| Some((i, i.answers(f)?)))
    {
        Some((i, (column, term))) => {
            searched.set(true);
            i.condition(&[column], term, params)
        }
        None => filter_cond(f, dialect, params),
    };
    let mut where_clause = q
        .filters
        .iter()
        .map(|f| cond(f, params))
        .collect::<Vec<_>>()
        .join(" AND ");
    if !q.any_of.is_empty() {
        let any = match index.and_then(|i| Some((i, one_search(i, &q.any_of)?))) {
            // The console's search box: one term over several indexed columns is one lookup.
            Some((i, (columns, term))) => {
                searched.set(true);
                i.condition(&columns, term, params)
            }
            None => q
                .any_of
                .iter()
                .map(|f| cond(f, params))
                .collect::<Vec<_>>()
                .join(" OR "),
        };
        if !where_clause.is_empty() {
            where_clause.push_str(" AND ");
        }
        where_clause.push_str(&format!("({any})"));
    }

    let order_by = q
        .sort
        .iter()
        .map(|s| {
            let SqlField::Scalar(e) = s.field.sql() else {
                panic!(
                    "store::list: sort field `{}` is not mapped to a scalar",
                    s.field.name()
                );
            };
            let e = match order_alias {
                Some((from, to)) if from == e => to,
                _ => e,
            };
            // SQLite puts NULLs first ascending and last descending; make PostgreSQL agree. Ids
            // and NOT NULL columns have no NULLs: without the NULLS clause PostgreSQL reads them
            // in index order instead of sorting.
            let never_null = s.field.name() == F::ID.name() || s.field.never_null();
            match (dialect, s.descending) {
                (Dialect::Postgres, false) if never_null => format!("{e} ASC"),
                (Dialect::Postgres, true) if never_null => format!("{e} DESC"),
                (Dialect::Sqlite, false) => format!("{e} ASC"),
                (Dialect::Sqlite, true) => format!("{e} DESC"),
                (Dialect::Postgres, false) => format!("{e} ASC NULLS FIRST"),
                (Dialect::Postgres, true) => format!("{e} DESC NULLS LAST"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ");

    (where_clause, order_by, searched.get())
}

/// When every filter of an any-of group is a `contains` of one term that `index` answers: the
/// index columns and the term.
fn one_search<'q, F: ListFieldSql>(
    index: &SubstringIndex,
    any_of: &'q [Filter<F>],
) -> Option<(Vec<&'static str>, &'q str)> {
    let mut columns = Vec::with_capacity(any_of.len());
    let mut term = None;
    for f in any_of {
        let (column, t) = index.answers(f)?;
        if term.is_some_and(|seen| seen != t) {
            return None;
        }
        term = Some(t);
        columns.push(column);
    }
    Some((columns, term?))
}

/// One filter's condition, parenthesised.
fn filter_cond<F: ListFieldSql>(
    f: &Filter<F>,
    dialect: Dialect,
    params: &mut Vec<Value>,
) -> String {
    let cond = match f.field.sql() {
        SqlField::Scalar(e) => scalar_cond(e, f, dialect, params),
        // Negative operators on a relation ask for no matching related row
        // (`company_id[neq]=5` is "not linked to company 5", `tag[notset]` "has no tag").
        SqlField::Member { key, select, expr } => {
            let (negated, cond) = related_parts(expr, f, dialect, params);
            let not = if negated { "NOT " } else { "" };
            format!("{key} {not}IN ({select} WHERE {cond})")
        }
    };
    format!("({cond})")
}

fn bind(params: &mut Vec<Value>, value: Value) -> String {
    params.push(value);
    format!("${}", params.len())
}

/// The operand as bound values (booleans as 0/1, dates as Unix seconds).
fn values(operand: &Operand) -> Vec<Value> {
    match operand {
        Operand::None => vec![],
        Operand::Str(s) => vec![Value::Text(s.clone())],
        Operand::Strs(v) => v.iter().map(|s| Value::Text(s.clone())).collect(),
        Operand::Int(i) | Operand::Instant(i) => vec![Value::Int(*i)],
        Operand::Ints(v) => v.iter().map(|i| Value::Int(*i)).collect(),
        Operand::Bool(b) => vec![Value::from(*b)],
        Operand::Day { start, .. } => vec![Value::Int(*start)],
    }
}

/// Binds the operand as one value. `parse` always yields exactly one for scalar operators; NULL for
/// a hand-built empty operand makes the comparison match nothing rather than fail.
fn bind_one(params: &mut Vec<Value>, operand: &Operand) -> String {
    let value = values(operand).into_iter().next().unwrap_or(Value::Null);
    bind(params, value)
}

/// `expr IN <the operand as one list parameter>`, or `None` for an empty list.
fn in_list(
    e: &str,
    operand: &Operand,
    dialect: Dialect,
    params: &mut Vec<Value>,
) -> Option<String> {
    let list = match operand {
        Operand::Ints(v) if !v.is_empty() => Value::IntList(v.clone()),
        Operand::Strs(v) if !v.is_empty() => Value::TextList(v.clone()),
        _ => return None,
    };
    let param = bind(params, list);
    Some(dialect.in_list(e, &param))
}

fn is_textual(ty: FieldType) -> bool {
    matches!(ty, FieldType::String | FieldType::Tag)
}

/// Case-sensitive substring position (1-based, 0 when absent) on both backends; LIKE would be
/// case-insensitive on SQLite and treat `%`/`_` in the value as wildcards.
fn position(e: &str, needle: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::Sqlite => format!("instr({e}, {needle})"),
        Dialect::Postgres => format!("strpos({e}, {needle})"),
    }
}

/// The condition for a positive operator (`eq`, `contains`, `in`, `gt`..`lte`, `set`). It never has
/// a top-level OR, so it can be ANDed with other conditions without parentheses. A negative
/// operator passed here is treated as its positive counterpart.
fn positive_cond(
    e: &str,
    ty: FieldType,
    op: Op,
    operand: &Operand,
    dialect: Dialect,
    params: &mut Vec<Value>,
) -> String {
    if let (Operand::Day { start, end }, Op::Eq | Op::Neq | Op::Gt | Op::Gte | Op::Lt | Op::Lte) =
        (operand, op)
    {
        return day_cond(e, op, *start, *end, params);
    }
    match op {
        Op::Eq | Op::Neq => format!("{e} = {}", bind_one(params, operand)),
        Op::Gt => format!("{e} > {}", bind_one(params, operand)),
        Op::Gte => format!("{e} >= {}", bind_one(params, operand)),
        Op::Lt => format!("{e} < {}", bind_one(params, operand)),
        Op::Lte => format!("{e} <= {}", bind_one(params, operand)),
        Op::Contains | Op::NotContains => {
            let needle = bind_one(params, operand);
            format!("{} > 0", position(e, &needle, dialect))
        }
        Op::In | Op::NotIn => {
            in_list(e, operand, dialect, params).unwrap_or_else(|| "1 = 0".to_owned())
        }
        Op::Set | Op::NotSet if is_textual(ty) => format!("{e} IS NOT NULL AND {e} <> ''"),
        Op::Set | Op::NotSet => format!("{e} IS NOT NULL"),
    }
}

/// A whole UTC day `[start, end)`: `eq` is that day, `gt` after it, `gte` from its start, `lt`
/// before it, `lte` through its end, `neq` outside it.
fn day_cond(e: &str, op: Op, start: i64, end: i64, params: &mut Vec<Value>) -> String {
    let mut at = |t: i64| bind(params, Value::Int(t));
    match op {
        Op::Neq => {
            let (s, t) = (at(start), at(end));
            format!("{e} < {s} OR {e} >= {t}")
        }
        Op::Gt => format!("{e} >= {}", at(end)),
        Op::Gte => format!("{e} >= {}", at(start)),
        Op::Lt => format!("{e} < {}", at(start)),
        Op::Lte => format!("{e} < {}", at(end)),
        _ => {
            let (s, t) = (at(start), at(end));
            format!("{e} >= {s} AND {e} < {t}")
        }
    }
}

/// A filter on an outer-row expression. Negative operators count NULL as "not equal" for strings
/// and numbers, so `email[neq]=x` also returns contacts without an email.
fn scalar_cond<F: ListField>(
    e: &str,
    f: &Filter<F>,
    dialect: Dialect,
    params: &mut Vec<Value>,
) -> String {
    let kind = f.kind();
    let nullable = matches!(kind, FieldType::String | FieldType::Number | FieldType::Tag);
    match f.op {
        Op::Neq if matches!(f.operand, Operand::Day { .. }) => {
            positive_cond(e, kind, f.op, &f.operand, dialect, params)
        }
        Op::Neq => {
            let v = bind_one(params, &f.operand);
            if nullable {
                format!("{e} IS NULL OR {e} <> {v}")
            } else {
                format!("{e} <> {v}")
            }
        }
        Op::NotContains => {
            let needle = bind_one(params, &f.operand);
            format!("{e} IS NULL OR {} = 0", position(e, &needle, dialect))
        }
        Op::NotIn => match in_list(e, &f.operand, dialect, params) {
            Some(cond) => format!("{e} IS NULL OR NOT ({cond})"),
            None => "1 = 1".to_owned(),
        },
        Op::NotSet if is_textual(kind) => format!("{e} IS NULL OR {e} = ''"),
        Op::NotSet => format!("{e} IS NULL"),
        op => positive_cond(e, kind, op, &f.operand, dialect, params),
    }
}

/// A filter on a multi-valued relation, in two parts: whether it is negated, and the positive
/// condition on the related rows' `expr`.
fn related_parts<F: ListField>(
    expr: &str,
    f: &Filter<F>,
    dialect: Dialect,
    params: &mut Vec<Value>,
) -> (bool, String) {
    let (negated, op) = match f.op {
        Op::Neq => (true, Op::Eq),
        Op::NotContains => (true, Op::Contains),
        Op::NotIn => (true, Op::In),
        Op::NotSet => (true, Op::Set),
        op => (false, op),
    };
    // Tags have no empty names; for them `set` is just "carries some tag".
    let cond = if f.kind() == FieldType::Tag && op == Op::Set {
        format!("{expr} IS NOT NULL")
    } else {
        positive_cond(expr, f.kind(), op, &f.operand, dialect, params)
    };
    (negated, cond)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::company::CompanyListField;
    use crate::domain::contact::ContactListField;
    use crate::domain::shipping::ShippingListField;
    use crate::domain::warehouse::WarehouseListField;
    use crate::query::{FieldSpec, Page, Sort, list_fields, parse};

    const COMPANIES: &str =
        "SELECT lk.contact_id FROM contact_companies lk JOIN companies co ON co.id = lk.company_id";
    const TAGS: &str = "SELECT tg.record_id FROM taggables tg JOIN tags t ON t.id = tg.tag_id";

    list_fields! {
        /// A list with a field of every type and of both SQL shapes.
        pub enum TestField {
            Id,
            Email,
            CompanyId,
            CompanyName,
            Tag,
            HasPortalLogin,
            CreatedAt,
            LastName,
        }
    }

    impl ListField for TestField {
        const ID: Self = TestField::Id;

        fn spec(self) -> FieldSpec {
            use FieldType::*;
            match self {
                TestField::Id => FieldSpec::new("id", Number).sortable(),
                TestField::Email => FieldSpec::new("email", String),
                TestField::CompanyId => FieldSpec::new("company_id", Number),
                TestField::CompanyName => FieldSpec::new("company.name", String),
                TestField::Tag => FieldSpec::new("tag", Tag),
                TestField::HasPortalLogin => FieldSpec::new("has_portal_login", Boolean),
                TestField::CreatedAt => FieldSpec::new("created_at", Date).sortable(),
                TestField::LastName => FieldSpec::new("last_name", String).sortable(),
            }
        }
    }

    impl ListFieldSql for TestField {
        fn sql(self) -> SqlField {
            match self {
                TestField::Id => SqlField::Scalar("c.id"),
                TestField::Email => SqlField::Scalar("c.email"),
                TestField::CompanyId => SqlField::Member {
                    key: "c.id",
                    select: COMPANIES,
                    expr: "lk.company_id",
                },
                TestField::CompanyName => SqlField::Member {
                    key: "c.id",
                    select: COMPANIES,
                    expr: "co.name",
                },
                TestField::Tag => SqlField::Member {
                    key: "c.id",
                    select: TAGS,
                    expr: "t.name",
                },
                TestField::HasPortalLogin => SqlField::Scalar("(c.password_hash IS NOT NULL)"),
                TestField::CreatedAt => SqlField::Scalar("c.created_at"),
                TestField::LastName => SqlField::Scalar("c.last_name"),
            }
        }

        fn never_null(self) -> bool {
            matches!(self, TestField::CreatedAt)
        }
    }

    fn run(dialect: Dialect, list: &[(&str, &str)]) -> (String, String, Vec<Value>) {
        let pairs: Vec<(String, String)> = list
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let q = parse::<TestField>(&pairs).expect("should parse");
        let mut params = Vec::new();
        let (w, o) = render(&q, dialect, &mut params);
        (w, o, params)
    }

    /// The WHERE clause and params of one filter, on SQLite.
    fn lite(name: &str, value: &str) -> (String, Vec<Value>) {
        let (w, _, p) = run(Dialect::Sqlite, &[(name, value)]);
        (w, p)
    }

    fn t(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    fn il(v: &[i64]) -> Value {
        Value::IntList(v.to_vec())
    }

    fn tl(v: &[&str]) -> Value {
        Value::TextList(v.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn lists_are_one_parameter_on_both_dialects() {
        let (w, _, p) = run(
            Dialect::Postgres,
            &[("id[in]", "1,2,3"), ("email[notin]", "a")],
        );
        assert_eq!(
            w,
            "(c.id = ANY($1)) AND (c.email IS NULL OR NOT (c.email = ANY($2)))"
        );
        assert_eq!(p, vec![il(&[1, 2, 3]), tl(&["a"])]);
        // Any length renders the same text: one cached statement for every list size.
        let long = (1..=400)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            run(Dialect::Sqlite, &[("id[in]", &long)]).0,
            run(Dialect::Sqlite, &[("id[in]", "7")]).0
        );
    }

    fn i(n: i64) -> Value {
        Value::Int(n)
    }

    fn check(name: &str, value: &str, sql: &str, params: Vec<Value>) {
        assert_eq!(
            lite(name, value),
            (sql.to_owned(), params),
            "{name}={value}"
        );
    }

    #[test]
    fn no_filters_default_order() {
        let (w, o, p) = run(Dialect::Sqlite, &[]);
        assert_eq!((w.as_str(), o.as_str()), ("", "c.id ASC"));
        assert!(p.is_empty());
        let (_, o, _) = run(Dialect::Postgres, &[]);
        assert_eq!(o, "c.id ASC");
    }

    #[test]
    fn order_by_both_dialects() {
        let sort = &[("sort", "last_name:desc,created_at")];
        assert_eq!(
            run(Dialect::Sqlite, sort).1,
            "c.last_name DESC, c.created_at ASC, c.id ASC"
        );
        assert_eq!(
            run(Dialect::Postgres, sort).1,
            "c.last_name DESC NULLS LAST, c.created_at ASC, c.id ASC"
        );
        // A NOT NULL column needs no NULLS clause either way; a nullable one always has it.
        assert_eq!(
            run(Dialect::Postgres, &[("sort", "created_at:desc,last_name")]).1,
            "c.created_at DESC, c.last_name ASC NULLS FIRST, c.id ASC"
        );
    }

    const SEARCH: SubstringIndex = SubstringIndex {
        key: "c.id",
        table: "t_search",
        rows: "t",
        pending: ("t_pending", "t_id"),
        columns: &[("c.email", "email"), ("c.last_name", "last_name")],
    };

    /// The condition [`SEARCH`] renders for `direct` (the pending rows' test), its parameters
    /// from `$first`.
    fn lookup(first: usize, direct: &str) -> String {
        format!(
            "(c.id IN (SELECT rowid FROM t_search WHERE t_search MATCH ${first} \
             EXCEPT SELECT t_id FROM t_pending \
             UNION ALL SELECT x.rowid FROM t_pending p CROSS JOIN t x ON x.rowid = p.t_id WHERE {direct}))"
        )
    }

    /// The WHERE clause and params of `pairs` (and `any_of`) with [`SEARCH`], on `dialect`.
    fn searched(
        dialect: Dialect,
        pairs: &[(&str, &str)],
        any_of: &[(&str, &str)],
    ) -> (String, Vec<Value>) {
        let owned = |p: &[(&str, &str)]| -> Vec<(String, String)> {
            p.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let mut q = parse::<TestField>(&owned(pairs)).expect("should parse");
        q.any_of = parse::<TestField>(&owned(any_of))
            .expect("should parse")
            .filters;
        let shortcuts = Shortcuts {
            substring_index: Some(&SEARCH),
            ..Shortcuts::default()
        };
        let s = page_statements(
            dialect,
            "FROM t c",
            "SELECT c.id FROM t c",
            "1 = 1",
            vec![],
            &q,
            shortcuts,
        );
        let condition = s.page.split(" WHERE 1 = 1 AND ").nth(1).unwrap_or_default();
        let condition = condition
            .split(" ORDER BY")
            .next()
            .unwrap_or_default()
            .to_owned();
        (condition, s.params)
    }

    #[test]
    fn contains_of_three_characters_or_more_reads_the_substring_index() {
        let (w, p) = searched(Dialect::Sqlite, &[("email[contains]", "abc")], &[]);
        assert_eq!(w, lookup(1, "instr(x.email, $2) > 0"));
        assert_eq!(p, vec![t("{email} : \"abc\""), t("abc")]);
        // Characters, not bytes: two characters of four bytes are too short for a trigram.
        let (w, p) = searched(Dialect::Sqlite, &[("email[contains]", "éé")], &[]);
        assert_eq!(w, "(instr(c.email, $1) > 0)");
        assert_eq!(p, vec![t("éé")]);
    }

    #[test]
    fn the_substring_index_quotes_the_term_as_one_phrase() {
        let (_, p) = searched(
            Dialect::Sqlite,
            &[("last_name[contains]", "O\"Br AND x*")],
            &[],
        );
        assert_eq!(
            p,
            vec![t("{last_name} : \"O\"\"Br AND x*\""), t("O\"Br AND x*")]
        );
    }

    #[test]
    fn the_substring_index_answers_only_what_it_covers() {
        // Negations, other operators and columns without the index keep their conditions.
        let (w, _) = searched(
            Dialect::Sqlite,
            &[
                ("email[notcontains]", "abc"),
                ("email", "abc"),
                ("company.name[contains]", "abc"),
            ],
            &[],
        );
        assert!(!w.contains("MATCH"), "{w}");
        // PostgreSQL has no such index.
        let (w, _) = searched(Dialect::Postgres, &[("email[contains]", "abc")], &[]);
        assert_eq!(w, "(strpos(c.email, $1) > 0)");
    }

    #[test]
    fn a_page_found_through_the_substring_index_counts_itself() {
        let q = parse::<TestField>(&[("email[contains]".to_owned(), "abc".to_owned())])
            .expect("should parse");
        let statements = |shortcuts| {
            page_statements(
                Dialect::Sqlite,
                "FROM t c",
                "SELECT c.id FROM t c",
                "1 = 1",
                vec![],
                &q,
                shortcuts,
            )
        };
        let s = statements(Shortcuts {
            substring_index: Some(&SEARCH),
            ..Shortcuts::default()
        });
        assert!(s.total_in_page);
        assert!(
            s.page
                .starts_with("SELECT c.id, COUNT(*) OVER () AS list_total FROM t c WHERE"),
            "{}",
            s.page
        );
        // Without the index the page is as before and the count runs.
        let s = statements(Shortcuts::default());
        assert!(!s.total_in_page);
        assert!(
            s.page.starts_with("SELECT c.id FROM t c WHERE"),
            "{}",
            s.page
        );
    }

    #[test]
    fn one_term_over_several_indexed_columns_is_one_lookup() {
        let (w, p) = searched(
            Dialect::Sqlite,
            &[],
            &[
                ("email[contains]", "Smith"),
                ("last_name[contains]", "Smith"),
            ],
        );
        assert_eq!(
            w,
            format!(
                "({})",
                lookup(1, "instr(x.email, $2) > 0 OR instr(x.last_name, $2) > 0")
            )
        );
        assert_eq!(p, vec![t("{email last_name} : \"Smith\""), t("Smith")]);
        // Different terms: one lookup each.
        let (w, p) = searched(
            Dialect::Sqlite,
            &[],
            &[
                ("email[contains]", "Smith"),
                ("last_name[contains]", "Jones"),
            ],
        );
        assert_eq!(
            w,
            format!(
                "({} OR {})",
                lookup(1, "instr(x.email, $2) > 0"),
                lookup(3, "instr(x.last_name, $4) > 0")
            )
        );
        assert_eq!(
            p,
            vec![
                t("{email} : \"Smith\""),
                t("Smith"),
                t("{last_name} : \"Jones\""),
                t("Jones")
            ]
        );
    }

    #[test]
    fn order_alias_replaces_only_that_sort_expression() {
        let pairs = [("sort".to_owned(), "last_name:desc".to_owned())];
        let q = parse::<TestField>(&pairs).expect("should parse");
        let mut params = Vec::new();
        let (_, o, _) = render_with(
            &q,
            Dialect::Postgres,
            &mut params,
            Some(("c.id", "sc.contact_id")),
            None,
        );
        assert_eq!(o, "c.last_name DESC NULLS LAST, sc.contact_id ASC");
    }

    #[test]
    fn scalar_string() {
        check("email", "a@b", "(c.email = $1)", vec![t("a@b")]);
        check(
            "email[neq]",
            "a@b",
            "(c.email IS NULL OR c.email <> $1)",
            vec![t("a@b")],
        );
        check(
            "email[contains]",
            "Ab",
            "(instr(c.email, $1) > 0)",
            vec![t("Ab")],
        );
        check(
            "email[notcontains]",
            "Ab",
            "(c.email IS NULL OR instr(c.email, $1) = 0)",
            vec![t("Ab")],
        );
        check(
            "email[in]",
            "a,b",
            "(c.email IN (SELECT value FROM json_each($1)))",
            vec![tl(&["a", "b"])],
        );
        check(
            "email[notin]",
            "a,b",
            "(c.email IS NULL OR NOT (c.email IN (SELECT value FROM json_each($1))))",
            vec![tl(&["a", "b"])],
        );
        check(
            "email[set]",
            "",
            "(c.email IS NOT NULL AND c.email <> '')",
            vec![],
        );
        check(
            "email[notset]",
            "",
            "(c.email IS NULL OR c.email = '')",
            vec![],
        );
    }

    #[test]
    fn postgres_contains_uses_strpos() {
        let (w, _, p) = run(
            Dialect::Postgres,
            &[("email[contains]", "x"), ("email[notcontains]", "y")],
        );
        assert_eq!(
            w,
            "(strpos(c.email, $1) > 0) AND (c.email IS NULL OR strpos(c.email, $2) = 0)"
        );
        assert_eq!(p, vec![t("x"), t("y")]);
    }

    #[test]
    fn scalar_number() {
        check("id", "5", "(c.id = $1)", vec![i(5)]);
        check("id[neq]", "5", "(c.id IS NULL OR c.id <> $1)", vec![i(5)]);
        check("id[gt]", "5", "(c.id > $1)", vec![i(5)]);
        check("id[gte]", "5", "(c.id >= $1)", vec![i(5)]);
        check("id[lt]", "5", "(c.id < $1)", vec![i(5)]);
        check("id[lte]", "5", "(c.id <= $1)", vec![i(5)]);
        check(
            "id[in]",
            "1,2",
            "(c.id IN (SELECT value FROM json_each($1)))",
            vec![il(&[1, 2])],
        );
        check(
            "id[notin]",
            "1",
            "(c.id IS NULL OR NOT (c.id IN (SELECT value FROM json_each($1))))",
            vec![il(&[1])],
        );
        check("id[set]", "", "(c.id IS NOT NULL)", vec![]);
        check("id[notset]", "", "(c.id IS NULL)", vec![]);
    }

    #[test]
    fn scalar_boolean() {
        let e = "(c.password_hash IS NOT NULL)";
        check(
            "has_portal_login",
            "true",
            &format!("({e} = $1)"),
            vec![i(1)],
        );
        check(
            "has_portal_login[neq]",
            "false",
            &format!("({e} <> $1)"),
            vec![i(0)],
        );
    }

    #[test]
    fn scalar_date_instant() {
        let at = "2024-01-02T00:00:00Z";
        let s = 1_704_153_600;
        check("created_at", at, "(c.created_at = $1)", vec![i(s)]);
        check("created_at[neq]", at, "(c.created_at <> $1)", vec![i(s)]);
        check("created_at[gt]", at, "(c.created_at > $1)", vec![i(s)]);
        check("created_at[gte]", at, "(c.created_at >= $1)", vec![i(s)]);
        check("created_at[lt]", at, "(c.created_at < $1)", vec![i(s)]);
        check("created_at[lte]", at, "(c.created_at <= $1)", vec![i(s)]);
        check("created_at[set]", "", "(c.created_at IS NOT NULL)", vec![]);
        check("created_at[notset]", "", "(c.created_at IS NULL)", vec![]);
    }

    #[test]
    fn scalar_date_day() {
        let day = "2024-01-02";
        let (s, e) = (1_704_153_600, 1_704_240_000);
        check(
            "created_at",
            day,
            "(c.created_at >= $1 AND c.created_at < $2)",
            vec![i(s), i(e)],
        );
        check(
            "created_at[neq]",
            day,
            "(c.created_at < $1 OR c.created_at >= $2)",
            vec![i(s), i(e)],
        );
        check("created_at[gt]", day, "(c.created_at >= $1)", vec![i(e)]);
        check("created_at[gte]", day, "(c.created_at >= $1)", vec![i(s)]);
        check("created_at[lt]", day, "(c.created_at < $1)", vec![i(s)]);
        check("created_at[lte]", day, "(c.created_at < $1)", vec![i(e)]);
    }

    #[test]
    fn member_fields() {
        let ex = |cond: &str| format!("(c.id IN ({COMPANIES} WHERE {cond}))");
        let not_ex = |cond: &str| format!("(c.id NOT IN ({COMPANIES} WHERE {cond}))");
        check("company_id", "5", &ex("lk.company_id = $1"), vec![i(5)]);
        check(
            "company_id[neq]",
            "5",
            &not_ex("lk.company_id = $1"),
            vec![i(5)],
        );
        check("company_id[gt]", "5", &ex("lk.company_id > $1"), vec![i(5)]);
        check(
            "company_id[in]",
            "5,6",
            &ex("lk.company_id IN (SELECT value FROM json_each($1))"),
            vec![il(&[5, 6])],
        );
        check(
            "company_id[notin]",
            "5,6",
            &not_ex("lk.company_id IN (SELECT value FROM json_each($1))"),
            vec![il(&[5, 6])],
        );
        check(
            "company_id[set]",
            "",
            &ex("lk.company_id IS NOT NULL"),
            vec![],
        );
        check(
            "company_id[notset]",
            "",
            &not_ex("lk.company_id IS NOT NULL"),
            vec![],
        );
        check(
            "company.name[contains]",
            "Ac",
            &ex("instr(co.name, $1) > 0"),
            vec![t("Ac")],
        );
        check(
            "company.name[notcontains]",
            "Ac",
            &not_ex("instr(co.name, $1) > 0"),
            vec![t("Ac")],
        );
        check(
            "company.name[set]",
            "",
            &ex("co.name IS NOT NULL AND co.name <> ''"),
            vec![],
        );
        check(
            "company.name[notset]",
            "",
            &not_ex("co.name IS NOT NULL AND co.name <> ''"),
            vec![],
        );
    }

    #[test]
    fn tags() {
        let ex = |cond: &str| format!("(c.id IN ({TAGS} WHERE {cond}))");
        let not_ex = |cond: &str| format!("(c.id NOT IN ({TAGS} WHERE {cond}))");
        check("tag", "VIP", &ex("t.name = $1"), vec![t("VIP")]);
        check("tag[neq]", "VIP", &not_ex("t.name = $1"), vec![t("VIP")]);
        check(
            "tag[in]",
            "a,b",
            &ex("t.name IN (SELECT value FROM json_each($1))"),
            vec![tl(&["a", "b"])],
        );
        check(
            "tag[notin]",
            "a,b",
            &not_ex("t.name IN (SELECT value FROM json_each($1))"),
            vec![tl(&["a", "b"])],
        );
        check("tag[set]", "", &ex("t.name IS NOT NULL"), vec![]);
        check("tag[notset]", "", &not_ex("t.name IS NOT NULL"), vec![]);
    }

    #[test]
    fn filters_are_anded_and_numbering_continues() {
        let q = parse::<TestField>(&[
            ("created_at[gte]".to_owned(), "2024-01-01".to_owned()),
            ("created_at[lte]".to_owned(), "2024-01-31".to_owned()),
            ("tag".to_owned(), "x".to_owned()),
        ])
        .expect("should parse");
        // The caller bound its tenant id first.
        let mut params = vec![i(9)];
        let (w, o) = render(&q, Dialect::Postgres, &mut params);
        assert_eq!(
            w,
            format!(
                "(c.created_at >= $2) AND (c.created_at < $3) AND (c.id IN ({TAGS} WHERE t.name = $4))"
            )
        );
        assert_eq!(o, "c.id ASC");
        assert_eq!(
            params,
            vec![i(9), i(1_704_067_200), i(1_706_745_600), t("x")]
        );
    }

    #[test]
    fn hand_built_empty_lists_stay_valid_sql() {
        let q = ListQuery {
            page: Page {
                page: 1,
                per_page: 10,
            },
            any_of: Vec::new(),
            filters: vec![
                Filter {
                    field: TestField::Id,
                    op: Op::In,
                    operand: Operand::Ints(vec![]),
                },
                Filter {
                    field: TestField::Id,
                    op: Op::NotIn,
                    operand: Operand::Ints(vec![]),
                },
            ],
            sort: vec![Sort {
                field: TestField::Id,
                descending: false,
            }],
        };
        let mut params = Vec::new();
        let (w, _) = render(&q, Dialect::Postgres, &mut params);
        assert_eq!(w, "(1 = 0) AND (1 = 1)");
        assert!(params.is_empty());
    }

    #[test]
    fn member_fields_are_driven_by_the_relation() {
        let (w, _, p) = run(Dialect::Sqlite, &[("company_id[notin]", "5,6")]);
        assert_eq!(
            w,
            format!(
                "(c.id NOT IN ({COMPANIES} WHERE lk.company_id IN (SELECT value FROM json_each($1))))"
            )
        );
        assert_eq!(p, vec![il(&[5, 6])]);
    }

    #[test]
    fn every_list_sorts_only_on_scalars() {
        assert_eq!(sortable_fields_are_scalar::<TestField>(), [] as [&str; 0]);
        assert_eq!(
            sortable_fields_are_scalar::<ContactListField>(),
            [] as [&str; 0]
        );
        assert_eq!(
            sortable_fields_are_scalar::<CompanyListField>(),
            [] as [&str; 0]
        );
        assert_eq!(
            sortable_fields_are_scalar::<ShippingListField>(),
            [] as [&str; 0]
        );
        assert_eq!(
            sortable_fields_are_scalar::<WarehouseListField>(),
            [] as [&str; 0]
        );
        assert_eq!(
            sortable_fields_are_scalar::<crate::domain::price_level::PriceLevelListField>(),
            [] as [&str; 0]
        );
    }
}
