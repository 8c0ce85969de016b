//! Companies: SQL for the company rows and their tags.

use serde_json::Map;

use super::{Conn, Row, StoreError, Value, now_seconds, placeholders};
use crate::domain::Timestamp;
use crate::domain::company::{Company, CompanyFields};

const COLUMNS: &str = "co.id, co.status, co.name, co.created_at, co.updated_at, ct.name, co.parent_company_id, \
     co.phone, co.address, co.address_line_2, co.city, co.state, co.postal_code, co.country, co.fein, \
     co.tax_exempt, co.tax_rate, co.notes, co.payment_term, co.due_date_days";

pub async fn insert(c: &mut dyn Conn, tenant_id: i64, f: &CompanyFields) -> Result<i64, StoreError> {
    let now = now_seconds();
    c.query_one(
        "INSERT INTO companies (tenant_id, name, phone, address, address_line_2, city, state, postal_code, \
         country, fein, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
         RETURNING id",
        &[
            tenant_id.into(),
            f.name.as_str().into(),
            f.phone.clone().into(),
            f.address.clone().into(),
            f.address_line_2.clone().into(),
            f.city.clone().into(),
            f.state.clone().into(),
            f.postal_code.clone().into(),
            f.country.clone().into(),
            f.fein.clone().into(),
            now.into(),
        ],
    )
    .await?
    .int(0)
}

fn company_from_row(r: &Row) -> Result<Company, StoreError> {
    let fields = CompanyFields {
        name: r.text(2)?,
        phone: r.text_opt(7)?,
        address: r.text_opt(8)?,
        address_line_2: r.text_opt(9)?,
        city: r.text_opt(10)?,
        state: r.text_opt(11)?,
        postal_code: r.text_opt(12)?,
        country: r.text_opt(13)?,
        fein: r.text_opt(14)?,
    };
    Ok(Company {
        id: r.int(0)?,
        status: r.text(1)?,
        full_address: fields.full_address(),
        name: fields.name,
        created_at: Timestamp(r.int(3)?),
        updated_at: Timestamp(r.int(4)?),
        client_type: r.text_opt(5)?,
        parent_company_id: r.int_opt(6)?,
        phone: fields.phone,
        address: fields.address,
        address_line_2: fields.address_line_2,
        city: fields.city,
        state: fields.state,
        postal_code: fields.postal_code,
        country: fields.country,
        fein: fields.fein,
        tax_exempt: r.bool(15)?,
        tax_rate: r.real_opt(16)?,
        notes: r.text_opt(17)?,
        payment_term: r.text_opt(18)?,
        due_date_days: r.int_opt(19)?,
        tags: Vec::new(),
        custom_fields: Map::new(),
        default_shipping: None,
        shipping_addresses: Vec::new(),
        shipping_first_name: None,
        shipping_last_name: None,
        shipping_email: None,
        shipping_phone: None,
        shipping_address: None,
        shipping_city: None,
        shipping_state: None,
        shipping_postal_code: None,
        shipping_country: None,
        shipping_full_address: None,
    })
}

pub async fn get(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<Option<Company>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM companies co LEFT JOIN client_types ct ON ct.id = co.client_type_id \
         WHERE co.tenant_id = $1 AND co.id = $2"
    );
    let Some(row) = c.query_opt(&sql, &[tenant_id.into(), id.into()]).await? else {
        return Ok(None);
    };
    let mut company = company_from_row(&row)?;
    company.tags = super::contacts::tags_of(c, "company_tags", "company_id", id).await?;
    Ok(Some(company))
}

/// Which of `ids` are companies of the tenant.
pub async fn existing_ids(c: &mut dyn Conn, tenant_id: i64, ids: &[i64]) -> Result<Vec<i64>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id FROM companies WHERE tenant_id = $1 AND id IN ({})",
        placeholders(1, ids.len())
    );
    let mut params: Vec<Value> = vec![tenant_id.into()];
    params.extend(ids.iter().map(|id| Value::Int(*id)));
    c.query(&sql, &params).await?.iter().map(|r| r.int(0)).collect()
}

/// Whether the company exists in the tenant.
pub async fn exists(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<bool, StoreError> {
    Ok(!existing_ids(c, tenant_id, &[id]).await?.is_empty())
}
