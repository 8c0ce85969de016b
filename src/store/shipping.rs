//! Shipping addresses: SQL for the addresses of companies and their one default.
//!
//! Invariant kept here: a company with addresses has exactly one default (a partial unique index
//! forbids two; [`ensure_default`] repairs "none" after a delete or an unset).

use std::collections::HashMap;

use super::list::{ListFieldSql, SqlField};
use super::{Conn, Row, StoreError, Value};
use crate::domain::Timestamp;
use crate::domain::shipping::ShippingListField;
use crate::domain::shipping::{AddressList, ShippingAddress, ShippingFields};
use crate::query::ListQuery;

/// Where each shipping-address list field lives; `sa` is the address row.
impl ListFieldSql for ShippingListField {
    fn sql(self) -> SqlField {
        use ShippingListField as F;
        SqlField::Scalar(match self {
            F::Id => "sa.id",
            F::FirstName => "sa.first_name",
            F::LastName => "sa.last_name",
            F::Email => "sa.email",
            F::Phone => "sa.phone",
            F::Address => "sa.address",
            F::City => "sa.city",
            F::State => "sa.state",
            F::PostalCode => "sa.postal_code",
            F::Country => "sa.country",
            F::IsDefault => "sa.is_default",
            F::CreatedAt => "sa.created_at",
            F::UpdatedAt => "sa.updated_at",
        })
    }
}

const SELECT: &str = "SELECT sa.id, sa.company_id, co.name AS company_name, sa.first_name, sa.last_name, sa.email, sa.phone, \
     sa.address, sa.address_line_2, sa.city, sa.state, sa.postal_code, sa.country, sa.is_default, \
     sa.created_at, sa.updated_at FROM shipping_addresses sa JOIN companies co ON co.id = sa.company_id";

fn from_row(r: &Row) -> Result<ShippingAddress, StoreError> {
    let fields = ShippingFields {
        first_name: r.text_opt("first_name")?,
        last_name: r.text_opt("last_name")?,
        email: r.text_opt("email")?,
        phone: r.text_opt("phone")?,
        address: r.text_opt("address")?,
        address_line_2: r.text_opt("address_line_2")?,
        city: r.text_opt("city")?,
        state: r.text_opt("state")?,
        postal_code: r.text_opt("postal_code")?,
        country: r.text_opt("country")?,
    };
    Ok(ShippingAddress::new(
        r.int("id")?,
        r.int("company_id")?,
        r.text("company_name")?,
        fields,
        r.bool("is_default")?,
        Timestamp(r.int("created_at")?),
        Timestamp(r.int("updated_at")?),
    ))
}

fn fields_params(f: &ShippingFields) -> Vec<Value> {
    vec![
        f.first_name.clone().into(),
        f.last_name.clone().into(),
        f.email.clone().into(),
        f.phone.clone().into(),
        f.address.clone().into(),
        f.address_line_2.clone().into(),
        f.city.clone().into(),
        f.state.clone().into(),
        f.postal_code.clone().into(),
        f.country.clone().into(),
    ]
}

/// The addresses of each of `company_ids`, oldest first.
pub async fn of_companies(
    c: &mut dyn Conn,
    company_ids: &[i64],
) -> Result<HashMap<i64, Vec<ShippingAddress>>, StoreError> {
    let mut out: HashMap<i64, Vec<ShippingAddress>> = HashMap::new();
    if company_ids.is_empty() {
        return Ok(out);
    }
    let mut params = Vec::with_capacity(1);
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY sa.company_id, sa.created_at, sa.id",
        c.dialect().id_in("sa.company_id", company_ids, &mut params)
    );
    for r in c.query(&sql, &params).await? {
        let a = from_row(&r)?;
        out.entry(a.company_id).or_default().push(a);
    }
    Ok(out)
}

/// One address of a company of the tenant.
pub async fn get(
    c: &mut dyn Conn,
    tenant_id: i64,
    company_id: i64,
    id: i64,
) -> Result<Option<ShippingAddress>, StoreError> {
    let sql = format!("{SELECT} WHERE sa.tenant_id = $1 AND sa.company_id = $2 AND sa.id = $3");
    c.query_opt(&sql, &[tenant_id.into(), company_id.into(), id.into()])
        .await?
        .map(|r| from_row(&r))
        .transpose()
}

/// Adds an address (not the default; see [`make_default`] and [`ensure_default`]).
pub async fn insert(
    c: &mut dyn Conn,
    tenant_id: i64,
    company_id: i64,
    f: &ShippingFields,
) -> Result<i64, StoreError> {
    let mut params: Vec<Value> = vec![tenant_id.into(), company_id.into()];
    params.extend(fields_params(f));
    params.push(c.now().into());
    c.query_one(
        "INSERT INTO shipping_addresses (tenant_id, company_id, first_name, last_name, email, phone, address, \
         address_line_2, city, state, postal_code, country, is_default, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $13) RETURNING id",
        &params,
    )
    .await?
    .int("id")
}

/// Rewrites an address's fields and moves its `updated_at`.
pub async fn update(c: &mut dyn Conn, id: i64, f: &ShippingFields) -> Result<(), StoreError> {
    let mut params = fields_params(f);
    params.push(c.now().into());
    params.push(id.into());
    c.execute(
        "UPDATE shipping_addresses SET first_name = $1, last_name = $2, email = $3, phone = $4, address = $5, \
         address_line_2 = $6, city = $7, state = $8, postal_code = $9, country = $10, updated_at = $11 \
         WHERE id = $12",
        &params,
    )
    .await?;
    Ok(())
}

/// Makes `id` the company's only default address.
pub async fn make_default(c: &mut dyn Conn, company_id: i64, id: i64) -> Result<(), StoreError> {
    let now = c.now();
    c.execute(
        "UPDATE shipping_addresses SET is_default = 0, updated_at = $1 \
         WHERE company_id = $2 AND is_default = 1 AND id <> $3",
        &[now.into(), company_id.into(), id.into()],
    )
    .await?;
    c.execute(
        "UPDATE shipping_addresses SET is_default = 1, updated_at = $1 WHERE id = $2 AND is_default = 0",
        &[now.into(), id.into()],
    )
    .await?;
    Ok(())
}

/// Clears the default flag of `id`.
pub async fn unset_default(c: &mut dyn Conn, id: i64) -> Result<(), StoreError> {
    c.execute(
        "UPDATE shipping_addresses SET is_default = 0, updated_at = $1 WHERE id = $2 AND is_default = 1",
        &[c.now().into(), id.into()],
    )
    .await?;
    Ok(())
}

/// When the company has addresses but no default, its oldest address becomes the default.
/// `except` is an address that should not be chosen while another exists.
pub async fn ensure_default(
    c: &mut dyn Conn,
    company_id: i64,
    except: Option<i64>,
) -> Result<(), StoreError> {
    let has_default = c
        .query_opt(
            "SELECT id FROM shipping_addresses WHERE company_id = $1 AND is_default = 1",
            &[company_id.into()],
        )
        .await?
        .is_some();
    if has_default {
        return Ok(());
    }
    let rows = c
        .query(
            "SELECT id FROM shipping_addresses WHERE company_id = $1 ORDER BY created_at, id",
            &[company_id.into()],
        )
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.int("id")).collect::<Result<_, _>>()?;
    let chosen = ids.iter().find(|id| Some(**id) != except).or(ids.first());
    if let Some(id) = chosen {
        make_default(c, company_id, *id).await?;
    }
    Ok(())
}

/// Deletes one address; false if there was none.
pub async fn delete(c: &mut dyn Conn, id: i64) -> Result<bool, StoreError> {
    Ok(
        c.execute("DELETE FROM shipping_addresses WHERE id = $1", &[id.into()])
            .await?
            > 0,
    )
}

/// Replaces every address of the company with `list` (new ids), its default as flagged.
pub async fn replace_all(
    c: &mut dyn Conn,
    tenant_id: i64,
    company_id: i64,
    list: &AddressList,
) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM shipping_addresses WHERE company_id = $1",
        &[company_id.into()],
    )
    .await?;
    for (i, fields) in list.addresses.iter().enumerate() {
        let id = insert(c, tenant_id, company_id, fields).await?;
        if i == list.default_index {
            make_default(c, company_id, id).await?;
        }
    }
    Ok(())
}

/// One page of a company's addresses and the total.
pub async fn list(
    c: &mut dyn Conn,
    tenant_id: i64,
    company_id: i64,
    q: &ListQuery<ShippingListField>,
) -> Result<(Vec<ShippingAddress>, u64), StoreError> {
    let (rows, total) = super::list::list_page(
        c,
        "FROM shipping_addresses sa",
        SELECT,
        "sa.tenant_id = $1 AND sa.company_id = $2",
        vec![tenant_id.into(), company_id.into()],
        q,
    )
    .await?;
    Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, total))
}
