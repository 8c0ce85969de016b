//! The table registry (`store::tables`) that reset, deletion, snapshots and `rolodex copy` take
//! their tables from covers the migrated schema, on the backend under test: a migration that adds
//! a tenant's table without listing it there fails here.

use rolodex::store::StoreError;
use rolodex::store::tables::{self, NOT_COPIED, TABLES, Tenancy};

use crate::support::*;

#[tokio::test]
async fn every_table_of_the_schema_is_listed_with_how_it_belongs_to_a_tenant() {
    let s = TestServer::start().await;
    let schema = s
        .server
        .database()
        .read::<_, StoreError>(async |tx| {
            let mut out = Vec::new();
            for table in tables::schema_tables(tx.conn()).await? {
                let columns = tables::columns(tx.conn(), &table).await?;
                out.push((table, columns));
            }
            Ok(out)
        })
        .await
        .unwrap();
    assert!(schema.len() >= TABLES.len(), "{schema:?}");
    let mut problems = Vec::new();
    for (table, columns) in &schema {
        if NOT_COPIED.contains(&table.as_str()) {
            continue;
        }
        let Some(listed) = TABLES.iter().find(|t| t.name == table) else {
            problems.push(format!("{table} is not in store::tables::TABLES"));
            continue;
        };
        let has_tenant = columns.iter().any(|c| c == "tenant_id");
        match listed.tenancy {
            Tenancy::Tenant => {}
            Tenancy::Record | Tenancy::Access if !has_tenant => problems.push(format!(
                "{table} is scoped by tenant_id but has no such column"
            )),
            Tenancy::Linked { column, parent } => {
                if has_tenant {
                    problems.push(format!("{table} has tenant_id: list it as a record table"));
                }
                if !columns.iter().any(|c| c == column) {
                    problems.push(format!("{table} has no column {column} (to {parent})"));
                }
            }
            _ => {}
        }
        for key in listed.key {
            if !columns.iter().any(|c| c == key) {
                problems.push(format!("{table}: key column {key} missing"));
            }
        }
    }
    for listed in TABLES {
        if !schema.iter().any(|(t, _)| t == listed.name) {
            problems.push(format!("{} is listed but not in the schema", listed.name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
