//! Companies: SQL for company rows, client types, parents, the company list and deletion.
//! Tags, shipping addresses and custom values have their own modules; [`views`] assembles them.

use std::collections::HashMap;

use super::list::{ListFieldSql, SqlField};
use super::records::lock_clause;
use super::{Conn, Row, StoreError, Value, custom_fields, price_levels, shipping, tags};
use crate::domain::company::CompanyListField;
use crate::domain::company::{ClientType, Company, CompanyFields, CompanyParts, CompanyRecord};
use crate::domain::input::name_key;
use crate::domain::{RecordKind, Timestamp};
use crate::query::ListQuery;

/// Where each company list field lives; `co` is the companies row.
impl ListFieldSql for CompanyListField {
    fn sql(self) -> SqlField {
        use CompanyListField as F;
        match self {
            F::Id => SqlField::Scalar("co.id"),
            F::Name => SqlField::Scalar("co.name"),
            F::Status => SqlField::Scalar("co.status"),
            F::Type => SqlField::Scalar(
                "(SELECT ct.name FROM client_types ct WHERE ct.id = co.client_type_id)",
            ),
            F::City => SqlField::Scalar("co.city"),
            F::State => SqlField::Scalar("co.state"),
            F::Country => SqlField::Scalar("co.country"),
            F::PostalCode => SqlField::Scalar("co.postal_code"),
            F::Phone => SqlField::Scalar("co.phone"),
            F::PaymentTerm => SqlField::Scalar("co.payment_term"),
            F::TaxExempt => SqlField::Scalar("co.tax_exempt"),
            F::ParentCompanyId => SqlField::Scalar("co.parent_company_id"),
            F::PriceLevelId => SqlField::Scalar("co.price_level_id"),
            F::Tag => SqlField::Member {
                key: "co.id",
                select: "SELECT ctg.company_id FROM company_tags ctg JOIN tags tg ON tg.id = ctg.tag_id",
                expr: "tg.name",
            },
            F::CreatedAt => SqlField::Scalar("co.created_at"),
            F::UpdatedAt => SqlField::Scalar("co.updated_at"),
        }
    }

    fn never_null(self) -> bool {
        use CompanyListField as F;
        // migrations/*/0001_init.sql: the name and the timestamps.
        matches!(self, F::Id | F::Name | F::CreatedAt | F::UpdatedAt)
    }
}

/// The row columns of a [`CompanyRecord`], as [`record_from_row`] reads them (by name).
const RECORD_COLUMNS: &str = "co.name, co.phone, co.address, co.address_line_2, co.city, co.state, co.postal_code, \
     co.country, co.fein, co.client_type_id, co.parent_company_id, co.notes, co.tax_exempt, co.tax_rate, \
     co.payment_term, co.due_date_days, co.price_level_id";

fn record_from_row(r: &Row) -> Result<CompanyRecord, StoreError> {
    Ok(CompanyRecord {
        fields: CompanyFields {
            name: r.text("name")?,
            phone: r.text_opt("phone")?,
            address: r.text_opt("address")?,
            address_line_2: r.text_opt("address_line_2")?,
            city: r.text_opt("city")?,
            state: r.text_opt("state")?,
            postal_code: r.text_opt("postal_code")?,
            country: r.text_opt("country")?,
            fein: r.text_opt("fein")?,
        },
        client_type_id: r.int_opt("client_type_id")?,
        parent_company_id: r.int_opt("parent_company_id")?,
        notes: r.text_opt("notes")?,
        tax_exempt: r.bool("tax_exempt")?,
        tax_rate: r.real_opt("tax_rate")?,
        payment_term: r.text_opt("payment_term")?,
        due_date_days: r.int_opt("due_date_days")?,
        price_level_id: r.int_opt("price_level_id")?,
    })
}

fn record_params(r: &CompanyRecord) -> Vec<Value> {
    let f = &r.fields;
    vec![
        f.name.as_str().into(),
        f.phone.clone().into(),
        f.address.clone().into(),
        f.address_line_2.clone().into(),
        f.city.clone().into(),
        f.state.clone().into(),
        f.postal_code.clone().into(),
        f.country.clone().into(),
        f.fein.clone().into(),
        r.client_type_id.into(),
        r.parent_company_id.into(),
        r.notes.clone().into(),
        r.tax_exempt.into(),
        r.tax_rate.into(),
        r.payment_term.clone().into(),
        r.due_date_days.into(),
        r.price_level_id.into(),
    ]
}

/// Inserts the company row; tags, addresses and custom values are written separately.
pub async fn insert(
    c: &mut dyn Conn,
    tenant_id: i64,
    r: &CompanyRecord,
) -> Result<i64, StoreError> {
    let mut params = record_params(r);
    params.push(tenant_id.into());
    params.push(c.now().into());
    c.query_one(
        "INSERT INTO companies (name, phone, address, address_line_2, city, state, postal_code, country, fein, \
         client_type_id, parent_company_id, notes, tax_exempt, tax_rate, payment_term, due_date_days, price_level_id, \
         tenant_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19) RETURNING id",
        &params,
    )
    .await?
    .int("id")
}

/// Rewrites the company row and moves `updated_at`.
pub async fn update_row(c: &mut dyn Conn, id: i64, r: &CompanyRecord) -> Result<(), StoreError> {
    let mut params = record_params(r);
    params.push(c.now().into());
    params.push(id.into());
    c.execute(
        "UPDATE companies SET name = $1, phone = $2, address = $3, address_line_2 = $4, city = $5, state = $6, \
         postal_code = $7, country = $8, fein = $9, client_type_id = $10, parent_company_id = $11, notes = $12, \
         tax_exempt = $13, tax_rate = $14, payment_term = $15, due_date_days = $16, price_level_id = $17, \
         updated_at = $18 WHERE id = $19",
        &params,
    )
    .await?;
    Ok(())
}

/// The company's row, read (and on PostgreSQL locked) inside the transaction.
pub async fn load(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
) -> Result<Option<CompanyRecord>, StoreError> {
    let lock = lock_clause(RecordKind::Company, c.dialect());
    let sql = format!(
        "SELECT {RECORD_COLUMNS} FROM companies co WHERE co.tenant_id = $1 AND co.id = $2{lock}"
    );
    c.query_opt(&sql, &[tenant_id.into(), id.into()])
        .await?
        .map(|r| record_from_row(&r))
        .transpose()
}

/// The company objects for `ids`, in that order (missing ids are skipped). The client type is a
/// scalar subquery, not a LEFT JOIN: SQLite re-prepares a LEFT JOIN with bound parameters at every
/// execution (see `SqliteDb::reprepared`). Price levels are a second query keyed by the distinct
/// levels the page names, run only when some company has one (a level has seven columns: seven
/// scalar subqueries per company would cost more).
pub async fn views(
    c: &mut dyn Conn,
    tenant_id: i64,
    ids: &[i64],
) -> Result<Vec<Company>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut params: Vec<Value> = vec![tenant_id.into()];
    let sql = format!(
        "SELECT co.id, co.status, co.created_at, co.updated_at, \
         (SELECT ct.name FROM client_types ct WHERE ct.id = co.client_type_id) AS client_type, \
         {RECORD_COLUMNS} FROM companies co WHERE co.tenant_id = $1 AND {}",
        c.dialect().id_in("co.id", ids, &mut params)
    );
    let rows = c.query(&sql, &params).await?;
    let mut level_ids: Vec<i64> = Vec::new();
    for r in &rows {
        if let Some(level) = r.int_opt("price_level_id")?
            && !level_ids.contains(&level)
        {
            level_ids.push(level);
        }
    }
    let levels = price_levels::of_ids(c, tenant_id, &level_ids).await?;
    let mut tags = tags::of_many(c, RecordKind::Company, ids).await?;
    let mut custom = custom_fields::values_of(c, ids).await?;
    let mut addresses = shipping::of_companies(c, ids).await?;
    let mut by_id: HashMap<i64, Company> = HashMap::with_capacity(rows.len());
    for r in &rows {
        let id = r.int("id")?;
        let record = record_from_row(r)?;
        let price_level = record
            .price_level_id
            .and_then(|level| levels.get(&level).cloned());
        let parts = CompanyParts {
            id,
            status: r.text("status")?,
            created_at: Timestamp(r.int("created_at")?),
            updated_at: Timestamp(r.int("updated_at")?),
            client_type: r.text_opt("client_type")?,
            record,
            price_level,
            tags: tags.remove(&id).unwrap_or_default(),
            custom_fields: custom.remove(&id).unwrap_or_default(),
            shipping_addresses: addresses.remove(&id).unwrap_or_default(),
        };
        by_id.insert(id, Company::new(parts));
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

pub async fn get(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<Option<Company>, StoreError> {
    Ok(views(c, tenant_id, &[id]).await?.into_iter().next())
}

/// One page of the tenant's companies and the total.
pub async fn list(
    c: &mut dyn Conn,
    tenant_id: i64,
    q: &ListQuery<CompanyListField>,
) -> Result<(Vec<Company>, u64), StoreError> {
    let (rows, total) = super::list::list_page(
        c,
        "FROM companies co",
        "SELECT co.id FROM companies co",
        "co.tenant_id = $1",
        vec![tenant_id.into()],
        q,
    )
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.int("id")).collect::<Result<_, _>>()?;
    Ok((views(c, tenant_id, &ids).await?, total))
}

/// Which of `ids` are companies of the tenant.
pub async fn existing_ids(
    c: &mut dyn Conn,
    tenant_id: i64,
    ids: &[i64],
) -> Result<Vec<i64>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut params: Vec<Value> = vec![tenant_id.into()];
    let sql = format!(
        "SELECT id FROM companies WHERE tenant_id = $1 AND {}",
        c.dialect().id_in("id", ids, &mut params)
    );
    c.query(&sql, &params)
        .await?
        .iter()
        .map(|r| r.int("id"))
        .collect()
}

/// Whether the company exists in the tenant.
pub async fn exists(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<bool, StoreError> {
    Ok(!existing_ids(c, tenant_id, &[id]).await?.is_empty())
}

/// The ancestors of a company, nearest first, at most `limit` of them (stops at a repeat, so
/// damaged data cannot loop). More than `limit` means a hierarchy deeper than allowed.
pub async fn ancestors(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
    limit: usize,
) -> Result<Vec<i64>, StoreError> {
    let mut out = Vec::new();
    let mut current = id;
    while out.len() <= limit {
        let parent = c
            .query_opt(
                "SELECT parent_company_id FROM companies WHERE tenant_id = $1 AND id = $2",
                &[tenant_id.into(), current.into()],
            )
            .await?
            .map(|r| r.int_opt("parent_company_id"))
            .transpose()?
            .flatten();
        match parent {
            Some(p) if p != id && !out.contains(&p) => {
                out.push(p);
                current = p;
            }
            Some(p) => {
                out.push(p);
                return Ok(out);
            }
            None => return Ok(out),
        }
    }
    Ok(out)
}

/// On PostgreSQL, locks the contacts linked to the company (in id order) for the transaction.
/// Contact updates lock their contact before touching a company, so a company delete takes the
/// same order — contacts, then the company — and the two cannot deadlock.
pub async fn lock_linked_contacts(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
) -> Result<(), StoreError> {
    if !c.dialect().locks_rows() {
        return Ok(());
    }
    let lock = lock_clause(RecordKind::Contact, c.dialect());
    let sql = format!(
        "SELECT c.id FROM contacts c WHERE c.tenant_id = $1 AND c.id IN \
         (SELECT lk.contact_id FROM contact_companies lk WHERE lk.company_id = $2) ORDER BY c.id{lock}"
    );
    c.query(&sql, &[tenant_id.into(), id.into()]).await?;
    Ok(())
}

/// How many contacts of the tenant are linked to this company and to no other.
pub async fn sole_company_contacts(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
) -> Result<u64, StoreError> {
    let n = c
        .query_one(
            "SELECT COUNT(*) AS n FROM contacts c WHERE c.tenant_id = $1 \
             AND EXISTS (SELECT 1 FROM contact_companies lk WHERE lk.contact_id = c.id AND lk.company_id = $2) \
             AND NOT EXISTS (SELECT 1 FROM contact_companies lo WHERE lo.contact_id = c.id AND lo.company_id <> $2)",
            &[tenant_id.into(), id.into()],
        )
        .await?
        .int("n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Deletes a company that no contact has as its only company: contacts whose primary company it
/// was get their earliest remaining link as the new primary; every linked contact loses the link
/// and moves its `updated_at`; children lose their parent; tags, addresses and custom values go.
pub async fn delete(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<(), StoreError> {
    let now = c.now();
    c.execute(
        "UPDATE contacts SET primary_company_id = (SELECT lk.company_id FROM contact_companies lk \
         WHERE lk.contact_id = contacts.id AND lk.company_id <> $2 ORDER BY lk.position, lk.company_id LIMIT 1), \
         updated_at = $3 WHERE tenant_id = $1 AND primary_company_id = $2",
        &[tenant_id.into(), id.into(), now.into()],
    )
    .await?;
    c.execute(
        "UPDATE contacts SET updated_at = $1 WHERE id IN (SELECT contact_id FROM contact_companies WHERE company_id = $2)",
        &[now.into(), id.into()],
    )
    .await?;
    c.execute(
        "UPDATE companies SET parent_company_id = NULL, updated_at = $1 WHERE tenant_id = $2 AND parent_company_id = $3",
        &[now.into(), tenant_id.into(), id.into()],
    )
    .await?;
    for table in [
        "contact_companies",
        "company_tags",
        "company_custom_values",
        "shipping_addresses",
    ] {
        c.execute(
            &format!("DELETE FROM {table} WHERE company_id = $1"),
            &[id.into()],
        )
        .await?;
    }
    c.execute(
        "DELETE FROM companies WHERE tenant_id = $1 AND id = $2",
        &[tenant_id.into(), id.into()],
    )
    .await?;
    Ok(())
}

/// Whether the client type exists in the tenant.
pub async fn client_type_exists(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
) -> Result<bool, StoreError> {
    Ok(c.query_opt(
        "SELECT id FROM client_types WHERE tenant_id = $1 AND id = $2",
        &[tenant_id.into(), id.into()],
    )
    .await?
    .is_some())
}

/// The tenant's client type with this name (case-insensitive), created if missing.
pub async fn ensure_client_type(
    c: &mut dyn Conn,
    tenant_id: i64,
    name: &str,
) -> Result<i64, StoreError> {
    let key = name_key(name);
    c.execute(
        "INSERT INTO client_types (tenant_id, name, name_key, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, name_key) DO NOTHING",
        &[
            tenant_id.into(),
            name.into(),
            key.as_str().into(),
            c.now().into(),
        ],
    )
    .await?;
    c.query_one(
        "SELECT id FROM client_types WHERE tenant_id = $1 AND name_key = $2",
        &[tenant_id.into(), key.into()],
    )
    .await?
    .int("id")
}

/// The tenant's client types, by name.
pub async fn client_types(c: &mut dyn Conn, tenant_id: i64) -> Result<Vec<ClientType>, StoreError> {
    c.query(
        "SELECT id, name FROM client_types WHERE tenant_id = $1 ORDER BY name_key, id",
        &[tenant_id.into()],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(ClientType {
            id: r.int("id")?,
            name: r.text("name")?,
        })
    })
    .collect()
}
