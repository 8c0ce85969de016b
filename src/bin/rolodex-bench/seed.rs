//! Deterministic test data, written through the `rolodex` storage layer (either backend) in large
//! multi-row INSERTs, and the same data as a json-server `db.json` for the peer mode.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use rolodex::store::{Database, StoreError, Value};

pub const FIRST_NAMES: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Margaret",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Dorothy",
    "George",
    "Melissa",
    "Timothy",
    "Deborah",
    "Ronald",
    "Stephanie",
    "Edward",
    "Rebecca",
    "Jason",
    "Sharon",
    "Jeffrey",
    "Laura",
    "Ryan",
    "Cynthia",
    "Jacob",
    "Kathleen",
    "Gary",
    "Amy",
    "Nicholas",
    "Angela",
    "Eric",
    "Shirley",
    "Jonathan",
    "Anna",
    "Stephen",
    "Brenda",
    "Larry",
    "Pamela",
    "Justin",
    "Emma",
    "Scott",
    "Nicole",
    "Brandon",
    "Helen",
    "Benjamin",
    "Samantha",
    "Samuel",
    "Katherine",
    "Gregory",
    "Christine",
    "Alexander",
    "Debra",
    "Frank",
    "Rachel",
    "Patrick",
    "Carolyn",
    "Raymond",
    "Janet",
    "Jack",
    "Catherine",
    "Dennis",
    "Maria",
    "Jerry",
    "Heather",
];

pub const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
];

pub const TAGS: &[&str] = &[
    "vip",
    "lead",
    "customer",
    "supplier",
    "partner",
    "press",
    "prospect",
    "churned",
    "newsletter",
    "wholesale",
    "retail",
    "event-2024",
];

const COMPANY_WORDS: &[&str] = &[
    "Holdings",
    "Logistics",
    "Foods",
    "Machining",
    "Textiles",
    "Labs",
    "Supply",
    "Trading",
    "Works",
    "Group",
];

/// Shape of the seeded tenant. Ids are contiguous: `first_*_id ..= first_*_id + count - 1`.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Layout {
    pub contacts: u64,
    pub companies: u64,
    pub first_contact_id: i64,
    pub first_company_id: i64,
    pub first_tag_id: i64,
}

impl Layout {
    pub fn new(contacts: u64) -> Self {
        Self::with_company_size(contacts, 20)
    }

    /// `contacts` spread over `contacts / per_company` companies (round robin, so each company's
    /// contacts span the whole id range).
    pub fn with_company_size(contacts: u64, per_company: u64) -> Self {
        Layout {
            contacts,
            companies: (contacts / per_company.max(1)).max(1),
            first_contact_id: 1,
            first_company_id: 1,
            first_tag_id: 1,
        }
    }
}

/// A cheap, stable hash so every derived value depends only on the contact number.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// One generated contact (number `n`, 0-based).
pub struct GenContact {
    pub id: i64,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: String,
    pub phone: String,
    pub company_id: i64,
    /// A second, non-primary company link (every fifth contact).
    pub second_company_id: Option<i64>,
    /// Is this contact the primary contact of its company (the first contact of each company)?
    pub is_primary: bool,
    pub created_at: i64,
    /// Indexes into [`TAGS`].
    pub tags: Vec<usize>,
}

pub fn contact(layout: &Layout, n: u64, epoch: i64) -> GenContact {
    let h = mix(n);
    let first_name = FIRST_NAMES[(h % FIRST_NAMES.len() as u64) as usize];
    let last_name = LAST_NAMES[((h >> 16) % LAST_NAMES.len() as u64) as usize];
    let company_n = n % layout.companies;
    let second = (n % 5 == 4 && layout.companies > 1)
        .then(|| (company_n + 1 + (h >> 40) % (layout.companies - 1)) % layout.companies);
    let tag_count = (h >> 8) % 4; // 0..=3 tags
    let mut tags: Vec<usize> = (0..tag_count)
        .map(|k| ((h >> (20 + 4 * k)) % TAGS.len() as u64) as usize)
        .collect();
    tags.sort_unstable();
    tags.dedup();
    GenContact {
        id: layout.first_contact_id + n as i64,
        first_name,
        last_name,
        email: format!(
            "{}.{}{}@example.com",
            first_name.to_lowercase(),
            last_name.to_lowercase(),
            n
        ),
        phone: format!("+1 555 {:03} {:04}", (h >> 24) % 1000, n % 10_000),
        company_id: layout.first_company_id + company_n as i64,
        second_company_id: second.map(|c| layout.first_company_id + c as i64),
        is_primary: n < layout.companies,
        created_at: epoch - (layout.contacts - n) as i64 * 30,
        tags,
    }
}

pub fn company_name(n: u64) -> String {
    format!(
        "{} {} {}",
        LAST_NAMES[(mix(n ^ 0xC0) % LAST_NAMES.len() as u64) as usize],
        COMPANY_WORDS[(n % 10) as usize],
        n
    )
}

/// Rows per INSERT statement and statements per transaction.
const ROWS_PER_STATEMENT: usize = 500;
const ROWS_PER_TRANSACTION: usize = 20_000;

/// Runs one multi-row INSERT per chunk of `rows`, `ROWS_PER_TRANSACTION` rows per transaction.
async fn insert_rows(
    db: &Database,
    table: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<Value>>,
) -> anyhow::Result<()> {
    let width = columns.len();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(ROWS_PER_TRANSACTION).collect();
        db.transact::<_, StoreError>(async move |c| {
            for part in chunk.chunks(ROWS_PER_STATEMENT) {
                let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
                let mut params = Vec::with_capacity(part.len() * width);
                for (r, row) in part.iter().enumerate() {
                    if r > 0 {
                        sql.push_str(", ");
                    }
                    sql.push('(');
                    for k in 0..width {
                        if k > 0 {
                            sql.push_str(", ");
                        }
                        sql.push_str(&format!("${}", r * width + k + 1));
                    }
                    sql.push(')');
                    params.extend(row.iter().cloned());
                }
                c.execute(&sql, &params).await?;
            }
            Ok(())
        })
        .await
        .with_context(|| format!("seeding {table}"))?;
    }
    Ok(())
}

/// Seeds `layout` into tenant `tenant_id` of an empty, migrated database. Returns the layout with
/// the ids actually used.
pub async fn seed(
    db: &Database,
    tenant_id: i64,
    contacts: u64,
    epoch: i64,
) -> anyhow::Result<Layout> {
    seed_shaped(db, tenant_id, Layout::new(contacts), epoch).await
}

/// [`seed`] with the company size of `layout` (see [`Layout::with_company_size`]).
pub async fn seed_shaped(
    db: &Database,
    tenant_id: i64,
    mut layout: Layout,
    epoch: i64,
) -> anyhow::Result<Layout> {
    let started = Instant::now();
    let contacts = layout.contacts;
    let next = |table: &'static str| async move {
        db.read::<_, StoreError>(async move |tx| {
            tx.query_one(
                &format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"),
                &[],
            )
            .await?
            .int(0)
        })
        .await
    };
    layout.first_contact_id = next("contacts").await?;
    layout.first_company_id = next("companies").await?;
    layout.first_tag_id = next("tags").await?;

    let tags = TAGS
        .iter()
        .enumerate()
        .map(|(k, t)| {
            vec![
                Value::Int(layout.first_tag_id + k as i64),
                tenant_id.into(),
                (*t).into(),
                (*t).into(),
                epoch.into(),
            ]
        })
        .collect();
    insert_rows(
        db,
        "tags",
        &["id", "tenant_id", "name", "name_key", "created_at"],
        tags,
    )
    .await?;

    let companies = (0..layout.companies)
        .map(|n| {
            let created = epoch - (layout.companies - n) as i64 * 600;
            vec![
                Value::Int(layout.first_company_id + n as i64),
                tenant_id.into(),
                company_name(n).into(),
                "Austin".into(),
                "US".into(),
                created.into(),
                created.into(),
            ]
        })
        .collect();
    insert_rows(
        db,
        "companies",
        &[
            "id",
            "tenant_id",
            "name",
            "city",
            "country",
            "created_at",
            "updated_at",
        ],
        companies,
    )
    .await?;

    // Contacts and their links/tags, in slices so memory stays flat at a million contacts.
    const SLICE: u64 = 100_000;
    let mut start = 0;
    while start < contacts {
        let end = (start + SLICE).min(contacts);
        let mut rows = Vec::with_capacity((end - start) as usize);
        let mut links = Vec::new();
        let mut tag_links = Vec::new();
        for n in start..end {
            let g = contact(&layout, n, epoch);
            rows.push(vec![
                Value::Int(g.id),
                tenant_id.into(),
                g.first_name.into(),
                g.last_name.into(),
                format!("{} {}", g.first_name, g.last_name).into(),
                g.email.into(),
                g.phone.into(),
                g.company_id.into(),
                g.created_at.into(),
                g.created_at.into(),
            ]);
            links.push(vec![
                Value::Int(g.id),
                g.company_id.into(),
                0.into(),
                g.is_primary.into(),
            ]);
            if let Some(second) = g.second_company_id {
                links.push(vec![
                    Value::Int(g.id),
                    second.into(),
                    1.into(),
                    false.into(),
                ]);
            }
            for t in g.tags {
                tag_links.push(vec![
                    Value::Int(g.id),
                    Value::Int(layout.first_tag_id + t as i64),
                ]);
            }
        }
        insert_rows(
            db,
            "contacts",
            &[
                "id",
                "tenant_id",
                "first_name",
                "last_name",
                "full_name",
                "email",
                "phone_1",
                "primary_company_id",
                "created_at",
                "updated_at",
            ],
            rows,
        )
        .await?;
        insert_rows(
            db,
            "contact_companies",
            &["contact_id", "company_id", "position", "is_primary"],
            links,
        )
        .await?;
        insert_rows(db, "contact_tags", &["contact_id", "tag_id"], tag_links).await?;
        start = end;
        eprintln!(
            "  seeded {end}/{contacts} contacts ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
    }
    if db.dialect() == rolodex::store::Dialect::Postgres {
        // Explicit ids leave the identity sequences behind; move them past the seeded rows.
        db.transact::<_, StoreError>(async |c| {
            for table in ["tags", "companies", "contacts"] {
                c.query(&format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"), &[]).await?;
            }
            c.execute("ANALYZE", &[]).await?;
            Ok(())
        })
        .await?;
    } else {
        // The search index, as a server would bring it up to date after these writes: the
        // workloads should meet the index a running server keeps, not its backlog.
        while db
            .transact::<_, StoreError>(async |c| {
                rolodex::store::contacts::index_pending(c.conn()).await
            })
            .await?
            >= rolodex::store::contacts::INDEX_BATCH.unsigned_abs()
        {}
        db.transact::<_, StoreError>(async |c| {
            rolodex::store::contacts::optimize_search_index(c.conn()).await?;
            c.query("ANALYZE", &[]).await?;
            Ok(())
        })
        .await?;
    }
    Ok(layout)
}

/// The same data as a json-server database: `contacts` (with `companyId` and tag names) and
/// `companies`.
pub fn write_json_server_db(path: &Path, layout: &Layout, epoch: i64) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    out.write_all(b"{\"companies\":[")?;
    for n in 0..layout.companies {
        if n > 0 {
            out.write_all(b",")?;
        }
        let company = serde_json::json!({"id": layout.first_company_id + n as i64, "name": company_name(n), "city": "Austin", "country": "US"});
        serde_json::to_writer(&mut out, &company)?;
    }
    out.write_all(b"],\"contacts\":[")?;
    for n in 0..layout.contacts {
        if n > 0 {
            out.write_all(b",")?;
        }
        let g = contact(layout, n, epoch);
        let mut companies = vec![g.company_id];
        companies.extend(g.second_company_id);
        let ts = time::OffsetDateTime::from_unix_timestamp(g.created_at)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        let value = serde_json::json!({
            "id": g.id,
            "created_at": ts,
            "updated_at": ts,
            "status": "active",
            "first_name": g.first_name,
            "last_name": g.last_name,
            "full_name": format!("{} {}", g.first_name, g.last_name),
            "email": g.email,
            "phone": g.phone,
            "phone_1": g.phone,
            "phone_2": null,
            "companyId": g.company_id,
            "company_id": g.company_id.to_string(),
            "company_ids": companies,
            "is_primary": g.is_primary,
            "tags": g.tags.iter().map(|t| TAGS[*t]).collect::<Vec<_>>(),
        });
        serde_json::to_writer(&mut out, &value)?;
    }
    out.write_all(b"]}")?;
    out.flush()?;
    Ok(())
}
