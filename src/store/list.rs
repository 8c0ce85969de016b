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
    /// `(sort expression, equivalent expression)`: sort by the second wherever the query sorts by
    /// the first. In `contact_companies sc JOIN contacts c ON c.id = sc.contact_id`, ordering by
    /// `sc.contact_id` instead of `c.id` lets the page be read in index order and stop after
    /// the page, instead of sorting every linked contact.
    pub order_alias: Option<(&'a str, &'a str)>,
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
}

impl PageStatements<'_> {
    pub fn count_params(&self) -> &[Value] {
        self.own_count_params.unwrap_or(&self.params)
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
    let (filter, order) = render_with(q, dialect, &mut params, shortcuts.order_alias);
    let condition = if filter.is_empty() {
        scope.to_owned()
    } else {
        format!("{scope} AND {filter}")
    };
    let (count, own_count_params) = match shortcuts.unfiltered_count {
        Some((sql, own)) if filter.is_empty() => (sql.to_owned(), Some(own)),
        _ => (format!("SELECT COUNT(*) {from} WHERE {condition}"), None),
    };
    let page = format!(
        "{select} WHERE {condition} ORDER BY {order} LIMIT {} OFFSET {}",
        q.page.per_page,
        q.page.offset()
    );
    PageStatements {
        count,
        own_count_params,
        page,
        params,
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
    render_with(q, dialect, params, None)
}

/// [`render`], sorting by `order_alias.1` wherever the query sorts by `order_alias.0`.
fn render_with<F: ListFieldSql>(
    q: &ListQuery<F>,
    dialect: Dialect,
    params: &mut Vec<Value>,
    order_alias: Option<(&str, &str)>,
) -> (String, String) {
    let mut where_clause = q
        .filters
        .iter()
        .map(|f| filter_cond(f, dialect, params))
        .collect::<Vec<_>>()
        .join(" AND ");
    if !q.any_of.is_empty() {
        let any = q
            .any_of
            .iter()
            .map(|f| filter_cond(f, dialect, params))
            .collect::<Vec<_>>()
            .join(" OR ");
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
            // are never NULL: without the NULLS clause PostgreSQL reads them in index order
            // instead of sorting.
            let never_null = s.field.name() == F::ID.name();
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

    (where_clause, order_by)
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
            "c.last_name DESC NULLS LAST, c.created_at ASC NULLS FIRST, c.id ASC"
        );
    }

    #[test]
    fn order_alias_replaces_only_that_sort_expression() {
        let pairs = [("sort".to_owned(), "last_name:desc".to_owned())];
        let q = parse::<TestField>(&pairs).expect("should parse");
        let mut params = Vec::new();
        let (_, o) = render_with(
            &q,
            Dialect::Postgres,
            &mut params,
            Some(("c.id", "sc.contact_id")),
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
