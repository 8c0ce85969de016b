//! Contacts: SQL for contact rows, their company links, tags and portal logins.

use std::collections::HashMap;

use super::{Conn, Row, StoreError, Value};
use crate::domain::contact::{
    CompanyRef, Contact, ContactCompany, ContactFields, ContactState, Link, LinkFlags, Links,
};
use crate::domain::input::name_key;
use crate::domain::{Tag, Timestamp};
use crate::query::{FieldType, FilterField, ListQuery, Schema, SqlField, SqlMapping};

/// §4.7: what `GET /contacts` (and a company's contacts) may filter and sort on.
pub const LIST_SCHEMA: Schema = Schema {
    filters: &[
        FilterField {
            name: "id",
            aliases: &[],
            ty: FieldType::Number,
        },
        FilterField {
            name: "first_name",
            aliases: &[],
            ty: FieldType::String,
        },
        FilterField {
            name: "last_name",
            aliases: &[],
            ty: FieldType::String,
        },
        FilterField {
            name: "full_name",
            aliases: &[],
            ty: FieldType::String,
        },
        FilterField {
            name: "email",
            aliases: &[],
            ty: FieldType::String,
        },
        FilterField {
            name: "phone",
            aliases: &["phone_1"],
            ty: FieldType::String,
        },
        FilterField {
            name: "phone_2",
            aliases: &[],
            ty: FieldType::String,
        },
        FilterField {
            name: "status",
            aliases: &[],
            ty: FieldType::String,
        },
        FilterField {
            name: "company_id",
            aliases: &[],
            ty: FieldType::Number,
        },
        FilterField {
            name: "company.name",
            aliases: &[],
            ty: FieldType::String,
        },
        FilterField {
            name: "tag",
            aliases: &[],
            ty: FieldType::Tag,
        },
        FilterField {
            name: "is_primary",
            aliases: &[],
            ty: FieldType::Boolean,
        },
        FilterField {
            name: "has_portal_login",
            aliases: &[],
            ty: FieldType::Boolean,
        },
        FilterField {
            name: "created_at",
            aliases: &[],
            ty: FieldType::Date,
        },
        FilterField {
            name: "updated_at",
            aliases: &[],
            ty: FieldType::Date,
        },
    ],
    sorts: &[
        "id",
        "first_name",
        "last_name",
        "email",
        "created_at",
        "updated_at",
    ],
    default_per_page: 10,
};

/// Where each field of [`LIST_SCHEMA`] lives; `c` is the contacts row.
pub const LIST_MAPPING: SqlMapping = SqlMapping {
    fields: &[
        ("id", SqlField::Scalar("c.id")),
        ("first_name", SqlField::Scalar("c.first_name")),
        ("last_name", SqlField::Scalar("c.last_name")),
        ("full_name", SqlField::Scalar("c.full_name")),
        ("email", SqlField::Scalar("c.email")),
        ("phone", SqlField::Scalar("c.phone_1")),
        ("phone_2", SqlField::Scalar("c.phone_2")),
        ("status", SqlField::Scalar("c.status")),
        (
            "company_id",
            SqlField::Member {
                key: "c.id",
                select: "SELECT lk.contact_id FROM contact_companies lk",
                expr: "lk.company_id",
            },
        ),
        (
            "company.name",
            SqlField::Member {
                key: "c.id",
                select: "SELECT lk.contact_id FROM contact_companies lk JOIN companies lco ON lco.id = lk.company_id",
                expr: "lco.name",
            },
        ),
        (
            "tag",
            SqlField::Member {
                key: "c.id",
                select: "SELECT ctg.contact_id FROM contact_tags ctg JOIN tags tg ON tg.id = ctg.tag_id",
                expr: "tg.name",
            },
        ),
        (
            "is_primary",
            SqlField::Scalar(
                "(SELECT lk.is_primary FROM contact_companies lk \
                 WHERE lk.contact_id = c.id AND lk.company_id = c.primary_company_id)",
            ),
        ),
        (
            "has_portal_login",
            SqlField::Scalar(
                "(CASE WHEN EXISTS (SELECT 1 FROM portal_logins pl WHERE pl.contact_id = c.id) THEN 1 ELSE 0 END)",
            ),
        ),
        ("created_at", SqlField::Scalar("c.created_at")),
        ("updated_at", SqlField::Scalar("c.updated_at")),
    ],
};

fn fields_params(f: &ContactFields) -> [Value; 8] {
    [
        f.first_name.as_str().into(),
        f.last_name.clone().into(),
        f.full_name().into(),
        f.email.clone().into(),
        f.phone_1.clone().into(),
        f.phone_2.clone().into(),
        f.receiving_bank_name.clone().into(),
        f.receiving_bank_address.clone().into(),
    ]
}

/// Inserts the contact row; links, tags and login are written separately.
pub async fn insert(
    c: &mut dyn Conn,
    tenant_id: i64,
    fields: &ContactFields,
    primary_company_id: i64,
) -> Result<i64, StoreError> {
    let now = c.now();
    let mut params: Vec<Value> = vec![tenant_id.into()];
    params.extend(fields_params(fields));
    params.push(primary_company_id.into());
    params.push(now.into());
    c.query_one(
        "INSERT INTO contacts (tenant_id, first_name, last_name, full_name, email, phone_1, phone_2, \
         receiving_bank_name, receiving_bank_address, primary_company_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
        &params,
    )
    .await?
    .int(0)
}

/// Writes the columns that differ between `before` and `after` and moves `updated_at`. Only
/// changed columns are set, so the indexes of unchanged ones are not rewritten: that halves the
/// pages a typical one-field update dirties.
pub async fn update_row(
    c: &mut dyn Conn,
    id: i64,
    before: (&ContactFields, i64),
    after: (&ContactFields, i64),
) -> Result<(), StoreError> {
    const COLUMNS: [&str; 8] = [
        "first_name",
        "last_name",
        "full_name",
        "email",
        "phone_1",
        "phone_2",
        "receiving_bank_name",
        "receiving_bank_address",
    ];
    let old = fields_params(before.0);
    let new = fields_params(after.0);
    let mut sets = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    for ((column, old), new) in COLUMNS.iter().zip(old).zip(new) {
        if old != new {
            params.push(new);
            sets.push(format!("{column} = ${}", params.len()));
        }
    }
    if before.1 != after.1 {
        params.push(after.1.into());
        sets.push(format!("primary_company_id = ${}", params.len()));
    }
    params.push(c.now().into());
    sets.push(format!("updated_at = ${}", params.len()));
    params.push(id.into());
    let sql = format!(
        "UPDATE contacts SET {} WHERE id = ${}",
        sets.join(", "),
        params.len()
    );
    c.execute(&sql, &params).await?;
    Ok(())
}

pub async fn touch(c: &mut dyn Conn, id: i64) -> Result<(), StoreError> {
    c.execute(
        "UPDATE contacts SET updated_at = $1 WHERE id = $2",
        &[c.now().into(), id.into()],
    )
    .await?;
    Ok(())
}

/// Locks the contact row for the rest of the transaction (PostgreSQL; SQLite's writer is single).
async fn lock_contact(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
) -> Result<Option<Row>, StoreError> {
    let lock = c.dialect().for_update(&["c"]);
    let sql = format!(
        "SELECT c.first_name, c.last_name, c.email, c.phone_1, c.phone_2, c.receiving_bank_name, \
         c.receiving_bank_address, c.primary_company_id, pl.email FROM contacts c \
         LEFT JOIN portal_logins pl ON pl.contact_id = c.id WHERE c.tenant_id = $1 AND c.id = $2{lock}"
    );
    c.query_opt(&sql, &[tenant_id.into(), id.into()]).await
}

/// Which parts of a contact's state an update needs beyond the row and the login.
#[derive(Debug, Clone, Copy, Default)]
pub struct StateParts {
    pub links: bool,
    pub tags: bool,
}

/// What an update may change, read (and on PostgreSQL locked) inside the transaction. Links and
/// tags are read only when asked for: left out, they stay empty on both sides of the comparison
/// and are not written. Most updates touch neither, and they run on the one SQLite writer.
pub async fn load_state(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
    parts: StateParts,
) -> Result<Option<ContactState>, StoreError> {
    let Some(r) = lock_contact(c, tenant_id, id).await? else {
        return Ok(None);
    };
    let fields = ContactFields {
        first_name: r.text(0)?,
        last_name: r.text_opt(1)?,
        email: r.text_opt(2)?,
        phone_1: r.text_opt(3)?,
        phone_2: r.text_opt(4)?,
        receiving_bank_name: r.text_opt(5)?,
        receiving_bank_address: r.text_opt(6)?,
    };
    let primary_company_id = r.int(7)?;
    let login_email = r.text_opt(8)?;
    if !parts.links {
        let tags = if parts.tags {
            tag_names(c, id).await?
        } else {
            Vec::new()
        };
        let links = Links {
            primary_company_id,
            links: Vec::new(),
        };
        return Ok(Some(ContactState {
            fields,
            links,
            tags,
            login_email,
        }));
    }
    let links = c
        .query(
            "SELECT company_id, is_primary, receive_quotation_pdf, receive_purchase_order_pdf, \
             receive_purchase_order_invoice_pdf FROM contact_companies WHERE contact_id = $1 ORDER BY position",
            &[id.into()],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(Link {
                company_id: r.int(0)?,
                flags: LinkFlags {
                    is_primary: r.bool(1)?,
                    receive_quotation_pdf: r.bool(2)?,
                    receive_purchase_order_pdf: r.bool(3)?,
                    receive_purchase_order_invoice_pdf: r.bool(4)?,
                },
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let tags = if parts.tags {
        tag_names(c, id).await?
    } else {
        Vec::new()
    };
    Ok(Some(ContactState {
        fields,
        links: Links {
            primary_company_id,
            links,
        },
        tags,
        login_email,
    }))
}

async fn tag_names(c: &mut dyn Conn, id: i64) -> Result<Vec<String>, StoreError> {
    Ok(tags_of(c, "contact_tags", "contact_id", id)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect())
}

/// Makes the contact's links exactly `links` (in order), and enforces one primary contact per
/// company: a link with `is_primary` clears it on the company's other contacts.
pub async fn write_links(
    c: &mut dyn Conn,
    contact_id: i64,
    links: &Links,
) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM contact_companies WHERE contact_id = $1",
        &[contact_id.into()],
    )
    .await?;
    for (position, link) in links.links.iter().enumerate() {
        if link.flags.is_primary {
            if c.dialect().locks_rows() {
                // Concurrent "make me the primary contact" requests for one company queue here
                // instead of colliding on the one-primary index (NO KEY: links being inserted
                // elsewhere, which only share-lock the company's key, are not held up).
                let sql = format!(
                    "SELECT id FROM companies WHERE id = $1{}",
                    c.dialect().for_no_key_update(&[])
                );
                c.execute(&sql, &[link.company_id.into()]).await?;
            }
            // Other contacts that lose the flag have changed too.
            c.execute(
                "UPDATE contacts SET updated_at = $1 WHERE id IN (SELECT contact_id FROM contact_companies \
                 WHERE company_id = $2 AND is_primary = 1 AND contact_id <> $3)",
                &[c.now().into(), link.company_id.into(), contact_id.into()],
            )
            .await?;
            c.execute(
                "UPDATE contact_companies SET is_primary = 0 WHERE company_id = $1 AND is_primary = 1 AND contact_id <> $2",
                &[link.company_id.into(), contact_id.into()],
            )
            .await?;
        }
        let f = link.flags;
        c.execute(
            "INSERT INTO contact_companies (contact_id, company_id, position, is_primary, receive_quotation_pdf, \
             receive_purchase_order_pdf, receive_purchase_order_invoice_pdf) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                contact_id.into(),
                link.company_id.into(),
                (position as i64).into(),
                f.is_primary.into(),
                f.receive_quotation_pdf.into(),
                f.receive_purchase_order_pdf.into(),
                f.receive_purchase_order_invoice_pdf.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// The tenant's tags with these names (matched case-insensitively), creating the missing ones.
pub async fn ensure_tags(
    c: &mut dyn Conn,
    tenant_id: i64,
    names: &[String],
) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(names.len());
    let now = c.now();
    for name in names {
        let key = name_key(name);
        // ON CONFLICT keeps two racing creators of one tag from failing (PostgreSQL).
        c.execute(
            "INSERT INTO tags (tenant_id, name, name_key, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, name_key) DO NOTHING",
            &[
                tenant_id.into(),
                name.as_str().into(),
                key.as_str().into(),
                now.into(),
            ],
        )
        .await?;
        let id = c
            .query_one(
                "SELECT id FROM tags WHERE tenant_id = $1 AND name_key = $2",
                &[tenant_id.into(), key.into()],
            )
            .await?
            .int(0)?;
        ids.push(id);
    }
    Ok(ids)
}

/// Replaces the tags of a record. `table`/`key` name the link table (`contact_tags`/`contact_id`).
pub async fn replace_tags(
    c: &mut dyn Conn,
    tenant_id: i64,
    table: &'static str,
    key: &'static str,
    record_id: i64,
    names: &[String],
) -> Result<(), StoreError> {
    let tag_ids = ensure_tags(c, tenant_id, names).await?;
    c.execute(
        &format!("DELETE FROM {table} WHERE {key} = $1"),
        &[record_id.into()],
    )
    .await?;
    for tag_id in tag_ids {
        c.execute(
            &format!("INSERT INTO {table} ({key}, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"),
            &[record_id.into(), tag_id.into()],
        )
        .await?;
    }
    Ok(())
}

fn tag_from_row(r: &Row, offset: usize) -> Result<Tag, StoreError> {
    Ok(Tag {
        id: r.int(offset)?,
        name: r.text(offset + 1)?,
        description: r.text_opt(offset + 2)?,
        icon: r.text_opt(offset + 3)?,
        color: r.text_opt(offset + 4)?,
    })
}

/// The tags of one record, ordered by name.
pub async fn tags_of(
    c: &mut dyn Conn,
    table: &'static str,
    key: &'static str,
    record_id: i64,
) -> Result<Vec<Tag>, StoreError> {
    let sql = format!(
        "SELECT tg.id, tg.name, tg.description, tg.icon, tg.color FROM {table} l JOIN tags tg ON tg.id = l.tag_id \
         WHERE l.{key} = $1 ORDER BY tg.name_key, tg.name, tg.id"
    );
    c.query(&sql, &[record_id.into()])
        .await?
        .iter()
        .map(|r| tag_from_row(r, 0))
        .collect()
}

/// The contact's email (`Some(None)`: it has none), or `None` when the tenant has no such contact.
/// Reads without locking.
pub async fn email_of(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
) -> Result<Option<Option<String>>, StoreError> {
    c.query_opt(
        "SELECT email FROM contacts WHERE tenant_id = $1 AND id = $2",
        &[tenant_id.into(), id.into()],
    )
    .await?
    .map(|r| r.text_opt(0))
    .transpose()
}

/// The contact owning the tenant's login with this email (case-insensitive), if any.
pub async fn login_owner(
    c: &mut dyn Conn,
    tenant_id: i64,
    email: &str,
) -> Result<Option<i64>, StoreError> {
    c.query_opt(
        "SELECT contact_id FROM portal_logins WHERE tenant_id = $1 AND email_key = $2",
        &[tenant_id.into(), name_key(email).into()],
    )
    .await?
    .map(|r| r.int(0))
    .transpose()
}

/// Creates the contact's login or sets its email and password hash.
pub async fn upsert_login(
    c: &mut dyn Conn,
    tenant_id: i64,
    contact_id: i64,
    email: &str,
    password_hash: &str,
) -> Result<(), StoreError> {
    let now = c.now();
    c.execute(
        "INSERT INTO portal_logins (contact_id, tenant_id, email, email_key, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (contact_id) DO UPDATE SET email = excluded.email, \
         email_key = excluded.email_key, password_hash = excluded.password_hash, updated_at = excluded.updated_at",
        &[
            contact_id.into(),
            tenant_id.into(),
            email.into(),
            name_key(email).into(),
            password_hash.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn move_login_email(
    c: &mut dyn Conn,
    contact_id: i64,
    email: &str,
) -> Result<(), StoreError> {
    c.execute(
        "UPDATE portal_logins SET email = $1, email_key = $2, updated_at = $3 WHERE contact_id = $4",
        &[email.into(), name_key(email).into(), c.now().into(), contact_id.into()],
    )
    .await?;
    Ok(())
}

/// Deletes a contact with its links, tags and login (by cascade); false if there was none.
pub async fn delete(c: &mut dyn Conn, tenant_id: i64, id: i64) -> Result<bool, StoreError> {
    // Lock the contact row first, as updates do: taking locks in the same order keeps a delete and an
    // update of one contact from deadlocking on PostgreSQL.
    if lock_contact(c, tenant_id, id).await?.is_none() {
        return Ok(false);
    }
    // The cascades are declared, but deleting the dependents explicitly keeps this independent of
    // whether the connection enforces foreign keys.
    for table in ["contact_companies", "contact_tags", "portal_logins"] {
        c.execute(
            &format!("DELETE FROM {table} WHERE contact_id = $1"),
            &[id.into()],
        )
        .await?;
    }
    let n = c
        .execute(
            "DELETE FROM contacts WHERE tenant_id = $1 AND id = $2",
            &[tenant_id.into(), id.into()],
        )
        .await?;
    Ok(n > 0)
}

/// The contact objects for `ids`, in that order (missing ids are skipped).
pub async fn views(
    c: &mut dyn Conn,
    tenant_id: i64,
    ids: &[i64],
) -> Result<Vec<Contact>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut params = vec![Value::from(tenant_id)];
    let member = c.dialect().id_in("c.id", ids, &mut params);
    let rows = c
        .query(
            &format!(
                "SELECT c.id, c.created_at, c.updated_at, c.status, c.first_name, c.last_name, c.email, c.phone_1, \
                 c.phone_2, c.full_name, c.receiving_bank_name, c.receiving_bank_address, c.primary_company_id, \
                 EXISTS (SELECT 1 FROM portal_logins pl WHERE pl.contact_id = c.id) \
                 FROM contacts c WHERE c.tenant_id = $1 AND {member}"
            ),
            &params,
        )
        .await?;
    let mut params = Vec::with_capacity(1);
    let member = c.dialect().id_in("lk.contact_id", ids, &mut params);
    let link_rows = c
        .query(
            &format!(
                "SELECT lk.contact_id, lk.company_id, co.name, lk.is_primary, lk.receive_quotation_pdf, \
                 lk.receive_purchase_order_pdf, lk.receive_purchase_order_invoice_pdf \
                 FROM contact_companies lk JOIN companies co ON co.id = lk.company_id \
                 WHERE {member} ORDER BY lk.contact_id, lk.position"
            ),
            &params,
        )
        .await?;
    let mut params = Vec::with_capacity(1);
    let member = c.dialect().id_in("l.contact_id", ids, &mut params);
    let tag_rows = c
        .query(
            &format!(
                "SELECT l.contact_id, tg.id, tg.name, tg.description, tg.icon, tg.color FROM contact_tags l \
                 JOIN tags tg ON tg.id = l.tag_id WHERE {member} \
                 ORDER BY l.contact_id, tg.name_key, tg.name, tg.id"
            ),
            &params,
        )
        .await?;

    let mut companies: HashMap<i64, Vec<ContactCompany>> = HashMap::new();
    for r in &link_rows {
        companies
            .entry(r.int(0)?)
            .or_default()
            .push(ContactCompany {
                id: r.int(1)?,
                name: r.text(2)?,
                is_primary: r.bool(3)?,
                receive_quotation_pdf: r.bool(4)?,
                receive_purchase_order_pdf: r.bool(5)?,
                receive_purchase_order_invoice_pdf: r.bool(6)?,
            });
    }
    let mut tags: HashMap<i64, Vec<Tag>> = HashMap::new();
    for r in &tag_rows {
        tags.entry(r.int(0)?).or_default().push(tag_from_row(r, 1)?);
    }

    let mut by_id: HashMap<i64, Contact> = HashMap::with_capacity(rows.len());
    for r in &rows {
        let id = r.int(0)?;
        let primary_company_id = r.int(12)?;
        let mut linked = companies.remove(&id).unwrap_or_default();
        // Primary company first, then the others in link order.
        if let Some(pos) = linked.iter().position(|l| l.id == primary_company_id) {
            let primary = linked.remove(pos);
            linked.insert(0, primary);
        }
        let primary = linked
            .first()
            .filter(|l| l.id == primary_company_id)
            .cloned();
        let phone = r.text_opt(7)?;
        by_id.insert(
            id,
            Contact {
                id,
                created_at: Timestamp(r.int(1)?),
                updated_at: Timestamp(r.int(2)?),
                status: r.text(3)?,
                first_name: r.text(4)?,
                last_name: r.text_opt(5)?,
                email: r.text_opt(6)?,
                phone: phone.clone(),
                phone_1: phone,
                phone_2: r.text_opt(8)?,
                full_name: r.text(9)?,
                receiving_bank_name: r.text_opt(10)?,
                receiving_bank_address: r.text_opt(11)?,
                company_id: primary.as_ref().map(|p| p.id),
                company: primary.as_ref().map(|p| CompanyRef {
                    id: p.id,
                    name: p.name.clone(),
                }),
                is_primary: primary.as_ref().is_some_and(|p| p.is_primary),
                receive_quotation_pdf: primary.as_ref().is_some_and(|p| p.receive_quotation_pdf),
                receive_purchase_order_pdf: primary
                    .as_ref()
                    .is_some_and(|p| p.receive_purchase_order_pdf),
                receive_purchase_order_invoice_pdf: primary
                    .as_ref()
                    .is_some_and(|p| p.receive_purchase_order_invoice_pdf),
                has_portal_login: r.bool(13)?,
                companies: linked,
                tags: tags.remove(&id).unwrap_or_default(),
            },
        );
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// One page of the tenant's contacts (optionally only those linked to `company_id`) and the total.
pub async fn list(
    c: &mut dyn Conn,
    tenant_id: i64,
    company_id: Option<i64>,
    q: &ListQuery,
) -> Result<(Vec<Contact>, u64), StoreError> {
    let (scope, params) = match company_id {
        // Driven from the link index: the company's contacts, not every contact of the tenant.
        Some(company_id) => (
            "c.tenant_id = $1 AND c.id IN (SELECT sc.contact_id FROM contact_companies sc WHERE sc.company_id = $2)",
            vec![tenant_id.into(), company_id.into()],
        ),
        None => ("c.tenant_id = $1", vec![tenant_id.into()]),
    };
    let (rows, total) = super::list_page(
        c,
        "FROM contacts c",
        "SELECT c.id FROM contacts c",
        scope,
        params,
        q,
        &LIST_MAPPING,
    )
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.int(0)).collect::<Result<_, _>>()?;
    Ok((views(c, tenant_id, &ids).await?, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_field_has_sql() {
        assert!(LIST_MAPPING.missing(&LIST_SCHEMA).is_empty());
    }
}
