//! Contacts: SQL for contact rows, their company links, tags and portal logins.

use std::collections::HashMap;

use super::list::{ListFieldSql, SqlField, SubstringIndex};
use super::records::lock_clause;
use super::{Conn, Dialect, Row, StoreError, Value, tags};
use crate::domain::contact::ContactListField;
use crate::domain::contact::{
    Contact, ContactCompany, ContactFields, ContactParts, ContactState, Link, LinkFlags, Links,
};
use crate::domain::input::name_key;
use crate::domain::{RecordKind, Timestamp};
use crate::query::{ListQuery, Op, Operand};

/// Where each contact list field lives; `c` is the contacts row.
impl ListFieldSql for ContactListField {
    fn sql(self) -> SqlField {
        use ContactListField as F;
        match self {
            F::Id => SqlField::Scalar("c.id"),
            F::FirstName => SqlField::Scalar("c.first_name"),
            F::LastName => SqlField::Scalar("c.last_name"),
            F::FullName => SqlField::Scalar("c.full_name"),
            F::Email => SqlField::Scalar("c.email"),
            F::Phone => SqlField::Scalar("c.phone_1"),
            F::Phone2 => SqlField::Scalar("c.phone_2"),
            F::Status => SqlField::Scalar("c.status"),
            F::CompanyId => SqlField::Member {
                key: "c.id",
                select: "SELECT lk.contact_id FROM contact_companies lk",
                expr: "lk.company_id",
            },
            F::CompanyName => SqlField::Member {
                key: "c.id",
                select: "SELECT lk.contact_id FROM contact_companies lk JOIN companies lco ON lco.id = lk.company_id",
                expr: "lco.name",
            },
            F::Tag => SqlField::Member {
                key: "c.id",
                select: "SELECT ctg.contact_id FROM contact_tags ctg JOIN tags tg ON tg.id = ctg.tag_id",
                expr: "tg.name",
            },
            F::IsPrimary => SqlField::Scalar(
                "(SELECT lk.is_primary FROM contact_companies lk \
                 WHERE lk.contact_id = c.id AND lk.company_id = c.primary_company_id)",
            ),
            F::HasPortalLogin => SqlField::Scalar(
                "(CASE WHEN EXISTS (SELECT 1 FROM portal_logins pl WHERE pl.contact_id = c.id) THEN 1 ELSE 0 END)",
            ),
            F::CreatedAt => SqlField::Scalar("c.created_at"),
            F::UpdatedAt => SqlField::Scalar("c.updated_at"),
        }
    }

    fn never_null(self) -> bool {
        use ContactListField as F;
        // migrations/*/0001_init.sql: first_name, full_name, status and the timestamps.
        matches!(
            self,
            F::Id | F::FirstName | F::FullName | F::Status | F::CreatedAt | F::UpdatedAt
        )
    }
}

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

/// The plain fields from a row that selects the contact's columns under their own names.
/// The values are moved out of the row.
fn fields_from_row(r: &mut Row) -> Result<ContactFields, StoreError> {
    Ok(ContactFields {
        first_name: r.take_text("first_name")?,
        last_name: r.take_text_opt("last_name")?,
        email: r.take_text_opt("email")?,
        phone_1: r.take_text_opt("phone_1")?,
        phone_2: r.take_text_opt("phone_2")?,
        receiving_bank_name: r.take_text_opt("receiving_bank_name")?,
        receiving_bank_address: r.take_text_opt("receiving_bank_address")?,
    })
}

/// The flags of a row from `contact_companies`.
fn flags_from_row(r: &Row) -> Result<LinkFlags, StoreError> {
    Ok(LinkFlags {
        is_primary: r.bool("is_primary")?,
        receive_quotation_pdf: r.bool("receive_quotation_pdf")?,
        receive_purchase_order_pdf: r.bool("receive_purchase_order_pdf")?,
        receive_purchase_order_invoice_pdf: r.bool("receive_purchase_order_invoice_pdf")?,
    })
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
    .int("id")
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

/// Reads the contact row and locks it for the rest of the transaction (see
/// [`records::lock_clause`]). The login is a scalar subquery, not a LEFT JOIN: SQLite re-prepares
/// a LEFT JOIN with bound parameters at every execution (see `SqliteDb::reprepared`).
async fn lock_contact(
    c: &mut dyn Conn,
    tenant_id: i64,
    id: i64,
) -> Result<Option<Row>, StoreError> {
    let lock = lock_clause(RecordKind::Contact, c.dialect());
    let sql = format!(
        "SELECT c.first_name, c.last_name, c.email, c.phone_1, c.phone_2, c.receiving_bank_name, \
         c.receiving_bank_address, c.primary_company_id, \
         (SELECT pl.email FROM portal_logins pl WHERE pl.contact_id = c.id) AS login_email \
         FROM contacts c WHERE c.tenant_id = $1 AND c.id = $2{lock}"
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
    let Some(mut r) = lock_contact(c, tenant_id, id).await? else {
        return Ok(None);
    };
    let fields = fields_from_row(&mut r)?;
    let primary_company_id = r.int("primary_company_id")?;
    let login_email = r.text_opt("login_email")?;
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
                company_id: r.int("company_id")?,
                flags: flags_from_row(r)?,
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
    Ok(tags::of(c, RecordKind::Contact, id)
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
    .map(|r| r.text_opt("email"))
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
    .map(|r| r.int("contact_id"))
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

/// The columns of a contact's row that its object shows, for [`complete_views`].
const VIEW_COLUMNS: &str = "c.id, c.created_at, c.updated_at, c.status, c.first_name, c.last_name, \
     c.email, c.phone_1, c.phone_2, c.full_name, c.receiving_bank_name, c.receiving_bank_address, \
     c.primary_company_id, EXISTS (SELECT 1 FROM portal_logins pl WHERE pl.contact_id = c.id) AS has_portal_login";

/// The contact objects for `ids`, in that order (missing ids are skipped).
pub async fn views(
    c: &mut dyn Conn,
    tenant_id: i64,
    ids: &[i64],
) -> Result<Vec<Contact>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let dialect = c.dialect();
    if dialect == Dialect::Postgres {
        return views_aggregated(c, tenant_id, ids).await;
    }
    let mut params = vec![Value::from(tenant_id)];
    let member = dialect.id_in("c.id", ids, &mut params);
    let rows = c
        .query(
            &format!("SELECT {VIEW_COLUMNS} FROM contacts c WHERE c.tenant_id = $1 AND {member}"),
            &params,
        )
        .await?;
    let mut by_id: HashMap<i64, Contact> = complete_views(c, rows)
        .await?
        .into_iter()
        .map(|contact| (contact.id, contact))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// The contact objects of `rows` (selecting [`VIEW_COLUMNS`]), in their order, with their links
/// and tags: two statements for all of them, run in turn by SQLite (PostgreSQL reads all three
/// in one, [`views_aggregated`]).
async fn complete_views(c: &mut dyn Conn, rows: Vec<Row>) -> Result<Vec<Contact>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let dialect = c.dialect();
    let ids: Vec<i64> = rows.iter().map(|r| r.int("id")).collect::<Result<_, _>>()?;
    let mut link_params = Vec::with_capacity(1);
    let member = dialect.id_in("lk.contact_id", &ids, &mut link_params);
    // Unordered: each contact's few links are put in `position` order below, cheaper than
    // SQLite sorting the batch.
    let link_sql = format!(
        "SELECT lk.contact_id, lk.position, lk.company_id, co.name AS company_name, lk.is_primary, \
         lk.receive_quotation_pdf, lk.receive_purchase_order_pdf, lk.receive_purchase_order_invoice_pdf \
         FROM contact_companies lk JOIN companies co ON co.id = lk.company_id WHERE {member}"
    );
    let (tag_sql, tag_params) = tags::of_many_statement(dialect, RecordKind::Contact, &ids);
    let mut results = c
        .query_batch(&[(&link_sql, &link_params), (&tag_sql, &tag_params)])
        .await?
        .into_iter();
    let (Some(link_rows), Some(tag_rows)) = (results.next(), results.next()) else {
        return Err(StoreError::Decode(
            "a statement of the batch went missing".into(),
        ));
    };
    let mut tags = tags::of_many_from_rows(&tag_rows)?;

    let mut companies: HashMap<i64, Vec<(i64, ContactCompany)>> = HashMap::new();
    for mut r in link_rows {
        let flags = flags_from_row(&r)?;
        companies.entry(r.int("contact_id")?).or_default().push((
            r.int("position")?,
            ContactCompany {
                id: r.int("company_id")?,
                name: r.take_text("company_name")?,
                is_primary: flags.is_primary,
                receive_quotation_pdf: flags.receive_quotation_pdf,
                receive_purchase_order_pdf: flags.receive_purchase_order_pdf,
                receive_purchase_order_invoice_pdf: flags.receive_purchase_order_invoice_pdf,
            },
        ));
    }

    let mut contacts = Vec::with_capacity(rows.len());
    for mut r in rows {
        let r = &mut r;
        let id = r.int("id")?;
        contacts.push(Contact::new(ContactParts {
            id,
            status: r.take_text("status")?,
            created_at: Timestamp(r.int("created_at")?),
            updated_at: Timestamp(r.int("updated_at")?),
            fields: fields_from_row(r)?,
            full_name: r.take_text("full_name")?,
            primary_company_id: r.int("primary_company_id")?,
            has_portal_login: r.bool("has_portal_login")?,
            companies: companies.remove(&id).map_or_else(Vec::new, |mut links| {
                links.sort_unstable_by_key(|(position, link)| (*position, link.id));
                links.into_iter().map(|(_, link)| link).collect()
            }),
            tags: tags.remove(&id).unwrap_or_default(),
        }));
    }
    Ok(contacts)
}

/// What [`views_aggregated`] selects for the contact `c`: its columns, and its links and tags
/// aggregated into JSON arrays (read back by [`aggregated_view`]). The links are in the order
/// [`views`]' statements give them, and so are the tags. PostgreSQL's `contact_views` function
/// (migrations/postgres/0009) selects the same; a test checks that they agree.
fn aggregated_columns() -> String {
    format!(
        "{VIEW_COLUMNS}, \
         (SELECT json_agg(json_build_array(lk.company_id, co.name, lk.is_primary, lk.receive_quotation_pdf, \
         lk.receive_purchase_order_pdf, lk.receive_purchase_order_invoice_pdf) ORDER BY lk.position)::text \
         FROM contact_companies lk JOIN companies co ON co.id = lk.company_id \
         WHERE lk.contact_id = c.id) AS companies, \
         (SELECT json_agg(json_build_array({}) ORDER BY tg.name_key, tg.name, tg.id)::text \
         FROM contact_tags l JOIN tags tg ON tg.id = l.tag_id WHERE l.contact_id = c.id) AS tags",
        tags::TAG_COLUMNS
    )
}

/// The contact of a row selecting [`aggregated_columns`] (or of `contact_views`).
fn aggregated_view(r: &mut Row) -> Result<Contact, StoreError> {
    Ok(Contact::new(ContactParts {
        id: r.int("id")?,
        status: r.take_text("status")?,
        created_at: Timestamp(r.int("created_at")?),
        updated_at: Timestamp(r.int("updated_at")?),
        fields: fields_from_row(r)?,
        full_name: r.take_text("full_name")?,
        primary_company_id: r.int("primary_company_id")?,
        has_portal_login: r.bool("has_portal_login")?,
        companies: aggregated_links(r.text_opt("companies")?.as_deref())?,
        tags: tags::from_aggregate(r.text_opt("tags")?.as_deref())?,
    }))
}

/// The statement that reads the views of the contacts whose ids `ids_sql` gives (an `ARRAY`
/// expression), in that order, for the tenant `$tenant_param`. PostgreSQL's `contact_views`
/// function where statements are planned at every execution (behind a transaction pooler: the
/// view's subqueries cost more to plan than to run, and PL/pgSQL keeps the function's plan per
/// server connection), the same SELECT written out where the connection keeps plans (a function
/// call costs a little more to run).
fn aggregated_views_sql(c: &dyn Conn, tenant_param: usize, ids_sql: &str) -> String {
    if c.keeps_plans() {
        aggregated_views_select(&format!("${tenant_param}"), ids_sql)
    } else {
        format!("SELECT * FROM contact_views(${tenant_param}, {ids_sql})")
    }
}

/// The SELECT of [`aggregated_views_sql`] (and of `contact_views`, with its arguments as `tenant`
/// and `ids`).
fn aggregated_views_select(tenant: &str, ids: &str) -> String {
    format!(
        "SELECT {} FROM unnest({ids}) WITH ORDINALITY AS p(id, n) JOIN contacts c ON c.id = p.id \
         WHERE c.tenant_id = {tenant} ORDER BY p.n",
        aggregated_columns()
    )
}

/// [`views`] as one statement, for PostgreSQL ([`aggregated_views_sql`]): PostgreSQL parses and
/// plans one statement instead of three, and a read of one contact is a single statement (see
/// `Database::read_in_one_trip`).
async fn views_aggregated(
    c: &mut dyn Conn,
    tenant_id: i64,
    ids: &[i64],
) -> Result<Vec<Contact>, StoreError> {
    // The ids as one `bigint[]` parameter: one statement text whatever their number.
    let params = [Value::from(tenant_id), Value::IntList(ids.to_vec())];
    let sql = aggregated_views_sql(c, 1, "$2");
    // In the order of `ids`, each id once (an id asked for twice is one row).
    let mut by_id: HashMap<i64, Contact> = HashMap::with_capacity(ids.len());
    for mut r in c.query(&sql, &params).await? {
        let contact = aggregated_view(&mut r)?;
        by_id.insert(contact.id, contact);
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// The links [`views_aggregated`] aggregated: `[[company_id, name, is_primary, quotation,
/// purchase order, invoice], ...]`, or NULL for none.
fn aggregated_links(json: Option<&str>) -> Result<Vec<ContactCompany>, StoreError> {
    type Aggregated = (i64, String, i64, i64, i64, i64);
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    let links: Vec<Aggregated> = serde_json::from_str(json)
        .map_err(|e| StoreError::Decode(format!("a contact's aggregated links: {e}")))?;
    Ok(links
        .into_iter()
        .map(
            |(id, name, primary, quotation, order, invoice)| ContactCompany {
                id,
                name,
                is_primary: primary != 0,
                receive_quotation_pdf: quotation != 0,
                receive_purchase_order_pdf: order != 0,
                receive_purchase_order_invoice_pdf: invoice != 0,
            },
        )
        .collect())
}

/// One page of the tenant's contacts (optionally only those linked to `company_id`) and the total;
/// `None` when `company_id` is not one of the tenant's companies. All in one round trip on
/// PostgreSQL ([`list_aggregated`]).
/// The contacts' substring index on SQLite (migrations/sqlite/0008): the names and the e-mail.
const SEARCH: SubstringIndex = SubstringIndex {
    key: "c.id",
    table: "contacts_search",
    rows: "contacts",
    pending: ("contacts_search_pending", "contact_id"),
    columns: &[
        ("c.first_name", "first_name"),
        ("c.last_name", "last_name"),
        ("c.full_name", "full_name"),
        ("c.email", "email"),
    ],
};

pub async fn list(
    c: &mut dyn Conn,
    tenant_id: i64,
    company_id: Option<i64>,
    q: &ListQuery<ContactListField>,
) -> Result<Option<(Vec<Contact>, u64)>, StoreError> {
    let dialect = c.dialect();
    if dialect == Dialect::Sqlite
        && let Some(company_id) = company_id
        && !super::companies::exists(c, tenant_id, company_id).await?
    {
        return Ok(None);
    }
    let unfiltered_params;
    let tenant_params = [Value::Int(tenant_id)];
    // SQLite keeps each tenant's count by name (migrations/sqlite/0012), for the tenant's
    // contacts filtered by one name (a company's contacts count their links instead).
    let name_count_params = match (dialect, counted_name(q)) {
        (Dialect::Sqlite, Some((field, value))) => Some([
            Value::Int(tenant_id),
            Value::from(field),
            Value::from(value),
        ]),
        _ => None,
    };
    let mut statements = match company_id {
        // From the company's links, in their index order: the page stops after its rows instead of
        // collecting and sorting every linked contact, and without filters the total counts index
        // entries only (the company is the tenant's, checked in this snapshot, and links only
        // join records of one tenant; the page checks the tenant anyway, on rows it reads in any
        // case).
        Some(company_id) => {
            unfiltered_params = [Value::Int(company_id)];
            super::list::page_statements(
                dialect,
                "FROM contact_companies sc JOIN contacts c ON c.id = sc.contact_id",
                "SELECT c.id FROM contact_companies sc JOIN contacts c ON c.id = sc.contact_id",
                "sc.company_id IN ($1) AND c.tenant_id = $2",
                vec![company_id.into(), tenant_id.into()],
                q,
                super::list::Shortcuts {
                    unfiltered_count: Some((
                        "SELECT COUNT(*) FROM contact_companies sc WHERE sc.company_id IN ($1)",
                        &unfiltered_params,
                    )),
                    order_alias: Some(("c.id", "sc.contact_id")),
                    substring_index: Some(&SEARCH),
                    ..Default::default()
                },
            )
        }
        None => super::list::page_statements(
            dialect,
            "FROM contacts c",
            "SELECT c.id FROM contacts c",
            "c.tenant_id = $1",
            vec![tenant_id.into()],
            q,
            super::list::Shortcuts {
                // SQLite keeps each tenant's count (migrations/sqlite/0008). PostgreSQL counts
                // the tenant's index entries: one counter row would serialise the tenant's
                // concurrent creates there.
                unfiltered_count: (dialect == Dialect::Sqlite).then_some((
                    "SELECT COALESCE((SELECT contacts FROM contact_counts WHERE tenant_id = $1), 0)",
                    &tenant_params[..],
                )),
                kept_count: name_count_params
                    .as_ref()
                    .map(|params| (NAME_COUNT, &params[..])),
                substring_index: Some(&SEARCH),
                ..Default::default()
            },
        ),
    };
    if dialect == Dialect::Postgres {
        // The tenant is `$1` of the contacts' list, `$2` of a company's.
        let tenant_param = if company_id.is_some() { 2 } else { 1 };
        return list_aggregated(c, tenant_id, company_id, &statements, tenant_param).await;
    }
    // The page reads its contacts' rows itself; their links and tags follow.
    statements.read_rows(VIEW_COLUMNS, "contacts c", "c.id");
    let (rows, total) = super::list::run_page(c, &statements).await?;
    Ok(Some((complete_views(c, rows).await?, total)))
}

/// The number of a tenant's (`$1`) contacts whose `$2` (`first_name` or `last_name`) is `$3`.
const NAME_COUNT: &str = "SELECT COALESCE((SELECT contacts FROM contact_name_counts \
     WHERE tenant_id = $1 AND field = $2 AND value = $3), 0)";

/// The name a list is filtered by, when that is its only condition (`first_name[eq]=X` or
/// `last_name[eq]=X`): SQLite keeps how many of a tenant's contacts have each name
/// (migrations/sqlite/0012), the exact total of such a list without counting the name's index
/// entries. `eq` compares bytes, as the counts' keys do.
fn counted_name(q: &ListQuery<ContactListField>) -> Option<(&'static str, &str)> {
    if !q.any_of.is_empty() {
        return None;
    }
    let [filter] = q.filters.as_slice() else {
        return None;
    };
    let field = match filter.field {
        ContactListField::FirstName => "first_name",
        ContactListField::LastName => "last_name",
        _ => return None,
    };
    match (filter.op, &filter.operand) {
        (Op::Eq, Operand::Str(value)) => Some((field, value)),
        _ => None,
    }
}

/// [`list`] on PostgreSQL, in one round trip: whether the company is the tenant's, the count, and
/// the page's contacts as [`views_aggregated`] reads them, the page's ids coming from the page
/// statement as a subquery, in its order.
async fn list_aggregated(
    c: &mut dyn Conn,
    tenant_id: i64,
    company_id: Option<i64>,
    statements: &super::list::PageStatements<'_>,
    tenant_param: usize,
) -> Result<Option<(Vec<Contact>, u64)>, StoreError> {
    let page = aggregated_views_sql(c, tenant_param, &format!("ARRAY({})", statements.page));
    let company_params;
    let mut batch: Vec<(&str, &[Value])> = Vec::with_capacity(3);
    if let Some(company_id) = company_id {
        company_params = [Value::Int(tenant_id), Value::Int(company_id)];
        batch.push((
            "SELECT 1 AS found FROM companies WHERE tenant_id = $1 AND id = $2",
            &company_params,
        ));
    }
    batch.push((&statements.count, statements.count_params()));
    batch.push((&page, &statements.params));
    let mut results = c.query_batch(&batch).await?.into_iter();
    if company_id.is_some() && results.next().is_none_or(|found| found.is_empty()) {
        return Ok(None);
    }
    let (Some(count), Some(rows)) = (results.next(), results.next()) else {
        return Err(StoreError::Decode(
            "a statement of the batch went missing".into(),
        ));
    };
    let contacts = rows
        .into_iter()
        .map(|mut r| aggregated_view(&mut r))
        .collect::<Result<_, _>>()?;
    Ok(Some((contacts, super::list::total_of(&count)?)))
}

/// Contacts indexed per [`index_pending`] call at most: enough to make a write of the index cheap
/// per contact, little enough that the one SQLite writer is not held for long (a few ms).
pub const INDEX_BATCH: i64 = 128;

/// Brings the substring index up to date for up to [`INDEX_BATCH`] of the contacts written since
/// it last was (SQLite; nothing to do on PostgreSQL): removes their entries, indexes those that
/// still exist as they are now, and takes them off the pending list, in one transaction. Returns
/// how many it took.
pub async fn index_pending(c: &mut dyn Conn) -> Result<u64, StoreError> {
    if c.dialect() != Dialect::Sqlite {
        return Ok(0);
    }
    // The same batch in the three statements: nothing else writes in between (one writer).
    let batch = "SELECT contact_id FROM contacts_search_pending ORDER BY contact_id LIMIT $1";
    let limit = [Value::Int(INDEX_BATCH)];
    c.execute(
        &format!("DELETE FROM contacts_search WHERE rowid IN ({batch})"),
        &limit,
    )
    .await?;
    c.execute(
        &format!(
            "INSERT INTO contacts_search (rowid, first_name, last_name, full_name, email) \
             SELECT id, first_name, last_name, full_name, email FROM contacts WHERE id IN ({batch})"
        ),
        &limit,
    )
    .await?;
    c.execute(
        &format!("DELETE FROM contacts_search_pending WHERE contact_id IN ({batch})"),
        &limit,
    )
    .await
}

/// Output pages of one [`merge_search_index`] step: measured on a 100k-contact index, a step
/// after each [`INDEX_BATCH`] keeps the index as merged (size, search speed) as FTS5's own
/// automatic merging, and holds the writer for at most about 8 ms.
pub const MERGE_PAGES: i64 = 64;

/// One bounded step of merging the search index's segments (SQLite; nothing on PostgreSQL): up
/// to [`MERGE_PAGES`] pages of FTS5's 'merge', which joins the segments of a level holding
/// several and rewrites those that hold many deleted entries. FTS5 merges nothing by itself
/// (migrations/sqlite/0010): the server runs a step after each [`index_pending`] batch.
pub async fn merge_search_index(c: &mut dyn Conn) -> Result<(), StoreError> {
    if c.dialect() == Dialect::Sqlite {
        c.execute(
            "INSERT INTO contacts_search (contacts_search, rank) VALUES ('merge', $1)",
            &[Value::Int(MERGE_PAGES)],
        )
        .await?;
    }
    Ok(())
}

/// How many contacts wait for [`index_pending`] (0 on PostgreSQL).
pub async fn pending_index_entries(c: &mut dyn Conn) -> Result<u64, StoreError> {
    if c.dialect() != Dialect::Sqlite {
        return Ok(0);
    }
    let n = c
        .query_one("SELECT COUNT(*) FROM contacts_search_pending", &[])
        .await?
        .int(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Merges the search index into one segment (SQLite; nothing on PostgreSQL), after a bulk load:
/// later writes then add small segments that merge cheaply, instead of merging the load's many.
pub async fn optimize_search_index(c: &mut dyn Conn) -> Result<(), StoreError> {
    if c.dialect() == Dialect::Sqlite {
        c.execute(
            "INSERT INTO contacts_search (contacts_search) VALUES ('optimize')",
            &[],
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod contact_views_function {
    /// The last PostgreSQL migration that (re)defines `contact_views`.
    fn definition() -> &'static str {
        super::super::postgres::MIGRATIONS
            .iter()
            .rev()
            .map(|(_, sql)| *sql)
            .find(|sql| sql.contains("FUNCTION contact_views("))
            .unwrap_or_default()
    }

    fn words(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The two forms of `aggregated_views_sql` read the same views.
    #[test]
    fn contact_views_selects_the_aggregated_columns() {
        let function = words(definition());
        let select = words(&super::aggregated_views_select("p_tenant_id", "p_ids"));
        assert!(
            function.contains(&select),
            "migrations/postgres: contact_views must run\n{select}\nas store::contacts does"
        );
    }
}
