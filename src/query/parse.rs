//! Parsing of list query strings (contract section 6) into a [`ListQuery`]; no SQL here.
//!
//! Every problem is collected into one [`ValidationErrors`], keyed by the parameter's raw name as
//! sent (`email[gt]`, `page`, `sort`), so a client sees all of its mistakes in one 422.

use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use super::field::{FieldType, ListField, Op};
use crate::domain::errors::ValidationErrors;
use crate::domain::limits::{MAX_FILTERS, MAX_LIST_VALUES, too_many_items};

/// The largest accepted page size (`per_page` / `limit`).
pub const MAX_PER_PAGE: u64 = 100;
const SECONDS_PER_DAY: i64 = 86_400;

/// The parsed value of a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// `set` / `notset`, which take no value.
    None,
    Str(String),
    Strs(Vec<String>),
    Int(i64),
    Ints(Vec<i64>),
    Bool(bool),
    /// An RFC 3339 instant as Unix seconds (fraction truncated).
    Instant(i64),
    /// A `YYYY-MM-DD` UTC day: `[start, end)` in Unix seconds.
    Day {
        start: i64,
        end: i64,
    },
}

/// One `field[op]=value` condition on the list's field type `F`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter<F> {
    /// The field, aliases resolved.
    pub field: F,
    pub op: Op,
    pub operand: Operand,
}

impl<F: ListField> Filter<F> {
    pub fn kind(&self) -> FieldType {
        self.field.kind()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sort<F> {
    pub field: F,
    pub descending: bool,
}

/// The requested page; `page` is 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u64,
    pub per_page: u64,
}

impl Page {
    /// Rows to skip. Saturates at `i64::MAX` so it always fits an SQL `OFFSET` bound as `i64`.
    pub fn offset(&self) -> u64 {
        self.page
            .saturating_sub(1)
            .saturating_mul(self.per_page)
            .min(i64::MAX as u64)
    }

    /// The Laravel paginator meta: `{current_page, from, last_page, per_page, to, total}`.
    /// `from`/`to` are null on an empty page (including a page past the end); `last_page` is at least 1.
    pub fn meta(&self, total: u64) -> serde_json::Value {
        let per_page = self.per_page.max(1);
        let last_page = total.div_ceil(per_page).max(1);
        let offset = self.offset();
        let (from, to) = if offset < total {
            (
                Some(offset + 1),
                Some(offset.saturating_add(per_page).min(total)),
            )
        } else {
            (None, None)
        };
        json!({
            "current_page": self.page,
            "from": from,
            "last_page": last_page,
            "per_page": self.per_page,
            "to": to,
            "total": total,
        })
    }
}

/// A request for one page of the list whose fields are `F`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery<F> {
    pub page: Page,
    /// ANDed, in request order.
    pub filters: Vec<Filter<F>>,
    /// At least one of these must hold (ORed, then ANDed with `filters`); empty: no condition. The
    /// API's query language has no OR; the console's search box (one term over several fields)
    /// sets it.
    pub any_of: Vec<Filter<F>>,
    /// Always ends with the [`ListField::ID`] tie-break (unless it was already sorted on explicitly).
    pub sort: Vec<Sort<F>>,
}

/// Parses decoded query-string `pairs` (name, value), in request order, for the list whose fields
/// are `F`.
pub fn parse<F: ListField>(pairs: &[(String, String)]) -> Result<ListQuery<F>, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut page = None;
    let mut per_page = None;
    let mut limit = None;
    let mut sort = None;
    let mut filters = Vec::new();

    // A repeated reserved parameter: each occurrence is validated and the last one wins, as in PHP.
    for (name, value) in pairs {
        match name.as_str() {
            // A stray `&` or `=x` yields an empty name; there is nothing to key an error by.
            "" => {}
            "page" => collect(&mut errors, name, parse_page(value), &mut page),
            "per_page" => collect(
                &mut errors,
                name,
                parse_size(value, "per page"),
                &mut per_page,
            ),
            "limit" => collect(&mut errors, name, parse_size(value, "limit"), &mut limit),
            "sort" => {
                if let Some(s) = parse_sort::<F>(value, &mut errors) {
                    sort = Some(s);
                }
            }
            // Past the bound the rest is not parsed: one error, bounded work.
            _ if filters.len() >= MAX_FILTERS => {
                errors.add("filters", too_many_items("filters", MAX_FILTERS));
            }
            _ => match parse_filter::<F>(name, value) {
                Ok(filter) => filters.push(filter),
                Err(message) => errors.add(name.as_str(), message),
            },
        }
    }

    let page = Page {
        page: page.unwrap_or(1),
        per_page: per_page.or(limit).unwrap_or(F::DEFAULT_PER_PAGE),
    };
    let mut sort = sort.unwrap_or_default();
    if !sort.iter().any(|s| s.field == F::ID) {
        sort.push(Sort {
            field: F::ID,
            descending: false,
        });
    }
    errors.into_result(ListQuery {
        page,
        filters,
        any_of: Vec::new(),
        sort,
    })
}

fn collect<T>(
    errors: &mut ValidationErrors,
    name: &str,
    r: Result<T, String>,
    slot: &mut Option<T>,
) {
    match r {
        Ok(v) => *slot = Some(v),
        Err(message) => errors.add(name, message),
    }
}

/// A decimal integer: optional `-`, then ASCII digits; surrounding whitespace is tolerated.
/// Out-of-range values are not integers, like PHP's `FILTER_VALIDATE_INT`.
fn parse_int(value: &str) -> Option<i64> {
    let v = value.trim();
    let digits = v.strip_prefix('-').unwrap_or(v);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

fn parse_page(value: &str) -> Result<u64, String> {
    let n = parse_int(value).ok_or("The page field must be an integer.")?;
    u64::try_from(n)
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| "The page field must be at least 1.".to_owned())
}

/// `per_page` / `limit`; `label` is the Laravel attribute name used in messages.
fn parse_size(value: &str, label: &str) -> Result<u64, String> {
    let n = parse_int(value).ok_or_else(|| format!("The {label} field must be an integer."))?;
    u64::try_from(n)
        .ok()
        .filter(|n| (1..=MAX_PER_PAGE).contains(n))
        .ok_or_else(|| format!("The {label} field must be between 1 and {MAX_PER_PAGE}."))
}

/// `field[:asc|:desc],...`; `None` when it had errors (recorded on `sort`).
fn parse_sort<F: ListField>(value: &str, errors: &mut ValidationErrors) -> Option<Vec<Sort<F>>> {
    let mut sorts: Vec<Sort<F>> = Vec::new();
    let mut ok = true;
    // Empty parts (`sort=`, a trailing comma) are skipped, so an empty value means the default order.
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, direction) = match part.split_once(':') {
            Some((n, d)) => (n.trim(), d.trim()),
            None => (part, ""),
        };
        let descending = if direction.is_empty() || direction.eq_ignore_ascii_case("asc") {
            false
        } else if direction.eq_ignore_ascii_case("desc") {
            true
        } else {
            errors.add("sort", "The sort direction must be asc or desc.");
            ok = false;
            false
        };
        let Some(field) = sort_field::<F>(name) else {
            errors.add("sort", format!("Sorting by {name} is not supported."));
            ok = false;
            continue;
        };
        // A repeated field could never change the order again; the first mention decides.
        if !sorts.iter().any(|s| s.field == field) {
            sorts.push(Sort { field, descending });
        }
    }
    ok.then_some(sorts)
}

/// The sortable field named `name` (canonical names only).
fn sort_field<F: ListField>(name: &str) -> Option<F> {
    F::ALL.iter().copied().find(|f| {
        let spec = f.spec();
        spec.sortable && spec.name == name
    })
}

/// The field a filter names, by its canonical name or an alias.
fn filter_field<F: ListField>(name: &str) -> Option<F> {
    F::ALL.iter().copied().find(|f| {
        let spec = f.spec();
        spec.name == name || spec.aliases.contains(&name)
    })
}

/// Splits `field` or `field[op]`; `None` for any other shape (`a[b][c]`, `email[]`, `a]`).
fn split_name(raw: &str) -> Option<(&str, Option<&str>)> {
    let Some((base, rest)) = raw.split_once('[') else {
        return (!raw.contains(']')).then_some((raw, None));
    };
    let op = rest.strip_suffix(']')?;
    let bad = |s: &str| s.is_empty() || s.contains(['[', ']']);
    if bad(base) || bad(op) {
        return None;
    }
    Some((base, Some(op)))
}

/// One filter parameter; the error is the message for the raw parameter name.
fn parse_filter<F: ListField>(raw: &str, value: &str) -> Result<Filter<F>, String> {
    let (name, op_name) =
        split_name(raw).ok_or_else(|| format!("Filtering by {raw} is not supported."))?;
    let field =
        filter_field::<F>(name).ok_or_else(|| format!("Filtering by {name} is not supported."))?;
    if value.contains('\0') {
        // PostgreSQL cannot compare text with NUL in it; refuse it on both backends alike.
        return Err(format!("The {raw} filter must not contain NUL characters."));
    }
    let op_name = op_name.unwrap_or("eq");
    let kind = field.kind();
    let op = Op::from_name(op_name)
        .filter(|&op| kind.allows(op))
        .ok_or_else(|| format!("The {op_name} operator is not supported for {name}."))?;
    let operand = parse_operand(kind, op, raw, value)?;
    Ok(Filter { field, op, operand })
}

fn parse_operand(ty: FieldType, op: Op, raw: &str, value: &str) -> Result<Operand, String> {
    match op {
        Op::Set | Op::NotSet => Ok(Operand::None),
        Op::In | Op::NotIn => parse_list(ty, raw, value),
        _ => parse_scalar(ty, raw, value),
    }
}

fn parse_list(ty: FieldType, raw: &str, value: &str) -> Result<Operand, String> {
    let items: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take(MAX_LIST_VALUES + 1)
        .collect();
    if items.len() > MAX_LIST_VALUES {
        return Err(format!(
            "The {raw} filter must not have more than {MAX_LIST_VALUES} items."
        ));
    }
    if items.is_empty() {
        return Err(format!("The {raw} filter needs at least one value."));
    }
    match ty {
        FieldType::Number => items
            .iter()
            .map(|s| parse_int(s))
            .collect::<Option<Vec<_>>>()
            .map(Operand::Ints)
            .ok_or_else(|| format!("The {raw} filter must be a list of integers.")),
        _ => Ok(Operand::Strs(
            items.into_iter().map(str::to_owned).collect(),
        )),
    }
}

fn parse_scalar(ty: FieldType, raw: &str, value: &str) -> Result<Operand, String> {
    match ty {
        // Kept verbatim: string comparisons are exact and case-sensitive.
        FieldType::String | FieldType::Tag if value.is_empty() => {
            Err(format!("The {raw} filter needs a value."))
        }
        FieldType::String | FieldType::Tag => Ok(Operand::Str(value.to_owned())),
        FieldType::Number => parse_int(value)
            .map(Operand::Int)
            .ok_or_else(|| format!("The {raw} filter must be an integer.")),
        FieldType::Boolean => parse_bool(value)
            .map(Operand::Bool)
            .ok_or_else(|| format!("The {raw} filter must be true or false.")),
        FieldType::Date => parse_date(value).ok_or_else(|| {
            format!("The {raw} filter must be a date (YYYY-MM-DD) or an RFC 3339 date-time.")
        }),
    }
}

fn parse_bool(value: &str) -> Option<bool> {
    let v = value.trim();
    if v == "1" || v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v == "0" || v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A `YYYY-MM-DD` day or an RFC 3339 instant. An unescaped `+` in an offset (`+02:00`) arrives
/// decoded as a space, so a failed value containing spaces is retried with them turned back.
fn parse_date(value: &str) -> Option<Operand> {
    parse_date_exact(value).or_else(|| {
        value
            .contains(' ')
            .then(|| value.replace(' ', "+"))
            .and_then(|v| parse_date_exact(&v))
    })
}

fn parse_date_exact(value: &str) -> Option<Operand> {
    // The shape check keeps `[year]` from accepting signs or other widths.
    let is_day = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if is_day {
        let day = Date::parse(value, format_description!("[year]-[month]-[day]")).ok()?;
        let start = day.midnight().assume_utc().unix_timestamp();
        return Some(Operand::Day {
            start,
            end: start + SECONDS_PER_DAY,
        });
    }
    OffsetDateTime::parse(value, &Rfc3339)
        .ok()
        .map(|t| Operand::Instant(t.unix_timestamp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::query::field::{FieldSpec, list_fields};

    list_fields! {
        /// A list with a field of every type, an alias, and fields only sorted on in these tests.
        pub enum TestField {
            Id,
            Email,
            Phone,
            CompanyName,
            CompanyId,
            Tag,
            IsPrimary,
            CreatedAt,
            FirstName,
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
                TestField::Phone => FieldSpec::new("phone", String).aliases(&["phone_1"]),
                TestField::CompanyName => FieldSpec::new("company.name", String),
                TestField::CompanyId => FieldSpec::new("company_id", Number),
                TestField::Tag => FieldSpec::new("tag", Tag),
                TestField::IsPrimary => FieldSpec::new("is_primary", Boolean),
                TestField::CreatedAt => FieldSpec::new("created_at", Date).sortable(),
                TestField::FirstName => FieldSpec::new("first_name", String).sortable(),
                TestField::LastName => FieldSpec::new("last_name", String).sortable(),
            }
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn ok(list: &[(&str, &str)]) -> ListQuery<TestField> {
        parse(&pairs(list)).expect("should parse")
    }

    fn err(list: &[(&str, &str)]) -> Vec<(String, Vec<String>)> {
        parse::<TestField>(&pairs(list))
            .expect_err("should fail")
            .entries()
            .to_vec()
    }

    /// The single error of a request with one bad parameter.
    fn one_err(list: &[(&str, &str)]) -> (String, String) {
        let e = err(list);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].1.len(), 1, "{e:?}");
        (e[0].0.clone(), e[0].1[0].clone())
    }

    fn filter(list: &[(&str, &str)]) -> Filter<TestField> {
        let q = ok(list);
        assert_eq!(q.filters.len(), 1);
        q.filters[0].clone()
    }

    fn operand(name: &str, value: &str) -> Operand {
        filter(&[(name, value)]).operand
    }

    fn assert_err(name: &str, value: &str, message: &str) {
        assert_eq!(
            one_err(&[(name, value)]),
            (name.to_owned(), message.to_owned())
        );
    }

    fn id_asc() -> Sort<TestField> {
        Sort {
            field: TestField::Id,
            descending: false,
        }
    }

    #[test]
    fn defaults() {
        let q = ok(&[]);
        assert_eq!(
            q.page,
            Page {
                page: 1,
                per_page: 10
            }
        );
        assert!(q.filters.is_empty());
        assert_eq!(q.sort, vec![id_asc()]);
    }

    #[test]
    fn paging_values_and_bounds() {
        assert_eq!(
            ok(&[("page", "3"), ("per_page", "100")]).page,
            Page {
                page: 3,
                per_page: 100
            }
        );
        assert_eq!(ok(&[("limit", "1")]).page.per_page, 1);
        assert_err("page", "0", "The page field must be at least 1.");
        assert_err("page", "-2", "The page field must be at least 1.");
        assert_err("page", "abc", "The page field must be an integer.");
        assert_err("page", "1.5", "The page field must be an integer.");
        assert_err("page", "", "The page field must be an integer.");
        assert_err(
            "page",
            "99999999999999999999",
            "The page field must be an integer.",
        );
        assert_err(
            "per_page",
            "0",
            "The per page field must be between 1 and 100.",
        );
        assert_err(
            "per_page",
            "101",
            "The per page field must be between 1 and 100.",
        );
        assert_err("per_page", "x", "The per page field must be an integer.");
        assert_err("limit", "500", "The limit field must be between 1 and 100.");
        assert_err("limit", "ten", "The limit field must be an integer.");
    }

    #[test]
    fn per_page_wins_over_limit_but_both_are_validated() {
        assert_eq!(ok(&[("limit", "5"), ("per_page", "7")]).page.per_page, 7);
        assert_eq!(ok(&[("per_page", "7"), ("limit", "5")]).page.per_page, 7);
        assert_err("limit", "0", "The limit field must be between 1 and 100.");
        let e = err(&[("per_page", "7"), ("limit", "0"), ("page", "x")]);
        let keys: Vec<&str> = e.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["limit", "page"]);
    }

    #[test]
    fn all_errors_are_collected() {
        let e = err(&[
            ("page", "0"),
            ("email[gt]", "x"),
            ("nope", "1"),
            ("sort", "bogus"),
            ("id", "x"),
        ]);
        let keys: Vec<&str> = e.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["page", "email[gt]", "nope", "sort", "id"]);
    }

    #[test]
    fn offset_and_meta() {
        let p = Page {
            page: 3,
            per_page: 10,
        };
        assert_eq!(p.offset(), 20);
        assert_eq!(
            p.meta(25),
            json!({"current_page": 3, "from": 21, "last_page": 3, "per_page": 10, "to": 25, "total": 25})
        );
        // Key order is part of the wire format.
        let keys: Vec<String> = p
            .meta(25)
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "current_page",
                "from",
                "last_page",
                "per_page",
                "to",
                "total"
            ]
        );
        assert_eq!(
            Page {
                page: 1,
                per_page: 10
            }
            .meta(0),
            json!({"current_page": 1, "from": null, "last_page": 1, "per_page": 10, "to": null, "total": 0})
        );
        assert_eq!(
            Page {
                page: 5,
                per_page: 10
            }
            .meta(25),
            json!({"current_page": 5, "from": null, "last_page": 3, "per_page": 10, "to": null, "total": 25})
        );
        assert_eq!(
            Page {
                page: 2,
                per_page: 10
            }
            .meta(20),
            json!({"current_page": 2, "from": 11, "last_page": 2, "per_page": 10, "to": 20, "total": 20})
        );
        assert_eq!(
            Page {
                page: u64::MAX,
                per_page: 100
            }
            .offset(),
            i64::MAX as u64
        );
    }

    #[test]
    fn bare_name_means_eq_and_aliases_resolve() {
        let f = filter(&[("phone_1", "555")]);
        assert_eq!(f.field.name(), "phone");
        assert_eq!(f.op, Op::Eq);
        assert_eq!(f.operand, Operand::Str("555".into()));
        assert_eq!(
            filter(&[("company.name[contains]", "Acme")]).field.name(),
            "company.name"
        );
    }

    #[test]
    fn string_operators() {
        for op in ["eq", "neq", "contains", "notcontains"] {
            let f = filter(&[(&format!("email[{op}]"), " A@b ")]);
            assert_eq!(f.op.name(), op);
            assert_eq!(f.kind(), FieldType::String);
            // Not trimmed and case kept.
            assert_eq!(f.operand, Operand::Str(" A@b ".into()));
        }
        assert_eq!(
            operand("email[in]", " a , ,b,"),
            Operand::Strs(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            operand("email[notin]", "a"),
            Operand::Strs(vec!["a".into()])
        );
        assert_eq!(operand("email[set]", ""), Operand::None);
        assert_eq!(operand("email[notset]", "ignored"), Operand::None);
        assert_err("email", "", "The email filter needs a value.");
        assert_err(
            "email[contains]",
            "",
            "The email[contains] filter needs a value.",
        );
        assert_err(
            "email[in]",
            " , ",
            "The email[in] filter needs at least one value.",
        );
        for op in ["gt", "gte", "lt", "lte"] {
            let name = format!("email[{op}]");
            assert_err(
                &name,
                "x",
                &format!("The {op} operator is not supported for email."),
            );
        }
    }

    #[test]
    fn number_operators() {
        for (op, expected) in [
            ("eq", Op::Eq),
            ("neq", Op::Neq),
            ("gt", Op::Gt),
            ("gte", Op::Gte),
            ("lt", Op::Lt),
            ("lte", Op::Lte),
        ] {
            let f = filter(&[(&format!("id[{op}]"), "-42")]);
            assert_eq!((f.op, f.operand), (expected, Operand::Int(-42)));
        }
        assert_eq!(
            operand("company_id[in]", "1, 2 ,,3"),
            Operand::Ints(vec![1, 2, 3])
        );
        assert_eq!(operand("company_id[notin]", "7"), Operand::Ints(vec![7]));
        assert_eq!(operand("id[set]", "x"), Operand::None);
        assert_eq!(operand("id[notset]", ""), Operand::None);
        assert_err("id", "abc", "The id filter must be an integer.");
        assert_err("id[gt]", "", "The id[gt] filter must be an integer.");
        assert_err("id[gt]", "1e3", "The id[gt] filter must be an integer.");
        assert_err(
            "id[in]",
            "1,x",
            "The id[in] filter must be a list of integers.",
        );
        assert_err(
            "id[notin]",
            ",",
            "The id[notin] filter needs at least one value.",
        );
        assert_err(
            "id[contains]",
            "1",
            "The contains operator is not supported for id.",
        );
    }

    #[test]
    fn boolean_operators() {
        for (v, b) in [
            ("true", true),
            ("TRUE", true),
            ("1", true),
            ("False", false),
            ("0", false),
        ] {
            assert_eq!(operand("is_primary", v), Operand::Bool(b));
        }
        assert_eq!(filter(&[("is_primary[neq]", "1")]).op, Op::Neq);
        assert_err(
            "is_primary",
            "yes",
            "The is_primary filter must be true or false.",
        );
        assert_err(
            "is_primary",
            "",
            "The is_primary filter must be true or false.",
        );
        assert_err(
            "is_primary[set]",
            "",
            "The set operator is not supported for is_primary.",
        );
        assert_err(
            "is_primary[in]",
            "1",
            "The in operator is not supported for is_primary.",
        );
    }

    #[test]
    fn tag_operators() {
        assert_eq!(operand("tag", "VIP"), Operand::Str("VIP".into()));
        assert_eq!(operand("tag[neq]", "vip"), Operand::Str("vip".into()));
        assert_eq!(
            operand("tag[in]", "a,b"),
            Operand::Strs(vec!["a".into(), "b".into()])
        );
        assert_eq!(operand("tag[notin]", "a"), Operand::Strs(vec!["a".into()]));
        assert_eq!(operand("tag[set]", ""), Operand::None);
        assert_eq!(operand("tag[notset]", ""), Operand::None);
        assert_err("tag", "", "The tag filter needs a value.");
        assert_err(
            "tag[contains]",
            "a",
            "The contains operator is not supported for tag.",
        );
    }

    #[test]
    fn date_days_and_instants() {
        // 2024-01-02T00:00:00Z
        let start = 1_704_153_600;
        for op in ["eq", "neq", "gt", "gte", "lt", "lte"] {
            assert_eq!(
                operand(&format!("created_at[{op}]"), "2024-01-02"),
                Operand::Day {
                    start,
                    end: start + 86_400
                }
            );
        }
        assert_eq!(
            operand("created_at", "2024-01-02T00:00:00Z"),
            Operand::Instant(start)
        );
        assert_eq!(
            operand("created_at", "2024-01-02T00:00:00.999Z"),
            Operand::Instant(start)
        );
        assert_eq!(
            operand("created_at", "2024-01-02T02:00:00+02:00"),
            Operand::Instant(start)
        );
        // `+02:00` sent unescaped arrives as ` 02:00`.
        assert_eq!(
            operand("created_at[gt]", "2024-01-02T02:00:00 02:00"),
            Operand::Instant(start)
        );
        assert_eq!(
            operand("created_at", "2024-01-01T19:00:00-05:00"),
            Operand::Instant(start)
        );
        assert_eq!(operand("created_at[set]", ""), Operand::None);
        assert_eq!(operand("created_at[notset]", "x"), Operand::None);
        let msg = "The created_at[lt] filter must be a date (YYYY-MM-DD) or an RFC 3339 date-time.";
        for bad in [
            "",
            "2024-13-01",
            "2024-02-30",
            "2024-1-2",
            "+2024-01-02",
            "yesterday",
            "2024-01-02T00:00:00",
            "2024-01-02 ",
        ] {
            assert_err("created_at[lt]", bad, msg);
        }
        assert_err(
            "created_at[in]",
            "2024-01-02",
            "The in operator is not supported for created_at.",
        );
        assert_err(
            "created_at[contains]",
            "2024",
            "The contains operator is not supported for created_at.",
        );
    }

    #[test]
    fn unknown_fields_ops_and_shapes() {
        assert_err("nope", "1", "Filtering by nope is not supported.");
        assert_err("nope[gt]", "1", "Filtering by nope is not supported.");
        assert_err(
            "email[like]",
            "a",
            "The like operator is not supported for email.",
        );
        assert_err(
            "email[EQ]",
            "a",
            "The EQ operator is not supported for email.",
        );
        assert_err(
            "phone_1[gt]",
            "1",
            "The gt operator is not supported for phone_1.",
        );
        for raw in [
            "a[b][c]",
            "email[]",
            "email[eq",
            "email]",
            "[eq]",
            "email[eq]x",
        ] {
            assert_err(raw, "1", &format!("Filtering by {raw} is not supported."));
        }
        // Reserved names are only reserved bare.
        assert_err("page[eq]", "1", "Filtering by page is not supported.");
        // Empty names (a stray `&`) are ignored.
        assert_eq!(ok(&[("", "")]).filters, vec![]);
    }

    #[test]
    fn filters_keep_request_order_and_repeat() {
        let q = ok(&[
            ("created_at[gte]", "2024-01-01"),
            ("email", "x"),
            ("created_at[lte]", "2024-01-31"),
        ]);
        let shape: Vec<(&str, Op)> = q.filters.iter().map(|f| (f.field.name(), f.op)).collect();
        assert_eq!(
            shape,
            [
                ("created_at", Op::Gte),
                ("email", Op::Eq),
                ("created_at", Op::Lte)
            ]
        );
    }

    #[test]
    fn sort_parsing() {
        let s = |v: &str| ok(&[("sort", v)]).sort;
        let by = |name: &str, descending| Sort {
            field: sort_field::<TestField>(name).expect("a sortable test field"),
            descending,
        };
        assert_eq!(
            s("last_name:asc,first_name:desc"),
            vec![by("last_name", false), by("first_name", true), id_asc()]
        );
        assert_eq!(
            s(" last_name , created_at : DESC "),
            vec![by("last_name", false), by("created_at", true), id_asc()]
        );
        assert_eq!(
            s("id:desc,last_name"),
            vec![by("id", true), by("last_name", false)]
        );
        assert_eq!(
            s("last_name:desc,last_name:asc"),
            vec![by("last_name", true), id_asc()]
        );
        assert_eq!(s(""), vec![id_asc()]);
        assert_eq!(s("last_name:"), vec![by("last_name", false), id_asc()]);
        assert_err("sort", "email", "Sorting by email is not supported.");
        assert_err(
            "sort",
            "last_name:up",
            "The sort direction must be asc or desc.",
        );
        let e = err(&[("sort", "nope:down,last_name:sideways")]);
        assert_eq!(
            e,
            vec![(
                "sort".to_owned(),
                vec![
                    "The sort direction must be asc or desc.".to_owned(),
                    "Sorting by nope is not supported.".to_owned(),
                ]
            )]
        );
    }

    #[test]
    fn filters_and_list_values_are_bounded() {
        let many: Vec<(String, String)> = (0..MAX_FILTERS + 5)
            .map(|i| ("email[neq]".to_owned(), format!("x{i}")))
            .collect();
        let errors = parse::<TestField>(&many).expect_err("too many filters");
        assert_eq!(
            errors.entries(),
            [(
                "filters".to_owned(),
                vec![format!(
                    "The filters field must not have more than {MAX_FILTERS} items."
                )]
            )]
        );
        let at_bound: Vec<(String, String)> = many[..MAX_FILTERS].to_vec();
        assert_eq!(
            parse::<TestField>(&at_bound).map(|q| q.filters.len()).ok(),
            Some(MAX_FILTERS)
        );

        let ids = |n: usize| (1..=n).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        assert!(matches!(
            operand("id[in]", &ids(MAX_LIST_VALUES)),
            Operand::Ints(v) if v.len() == MAX_LIST_VALUES
        ));
        assert_err(
            "id[in]",
            &ids(MAX_LIST_VALUES + 1),
            &format!("The id[in] filter must not have more than {MAX_LIST_VALUES} items."),
        );
        assert_err(
            "email",
            "a\0b",
            "The email filter must not contain NUL characters.",
        );
    }

    #[test]
    fn op_names_round_trip() {
        use Op::*;
        for op in [
            Eq,
            Neq,
            Contains,
            NotContains,
            Gt,
            Gte,
            Lt,
            Lte,
            In,
            NotIn,
            Set,
            NotSet,
        ] {
            assert_eq!(Op::from_name(op.name()), Some(op));
        }
        assert_eq!(Op::from_name("Eq"), None);
    }
}
