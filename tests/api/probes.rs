//! The probes: `/health/live` (the process serves) and `/health/ready` (the database answers and
//! carries every migration the binary embeds). Neither needs a token.

use crate::support::*;
use reqwest::Method;

#[tokio::test]
async fn both_probes_answer_200_on_a_healthy_server_without_a_token() {
    let s = TestServer::start().await;
    let live = s
        .raw_request(Method::GET, "/health/live", None, None, None, &[])
        .await;
    live.expect(200);
    assert_eq!(live.body, json!({"status": "ok"}));
    let ready = s
        .raw_request(Method::GET, "/health/ready", None, None, None, &[])
        .await;
    ready.expect(200);
    assert_eq!(ready.body, json!({"status": "ready"}));
}

#[tokio::test]
async fn readiness_is_503_with_the_reason_when_a_migration_is_missing() {
    let s = TestServer::start().await;
    s.server
        .database()
        .transact::<_, rolodex::store::StoreError>(async |tx| {
            tx.execute(
                "DELETE FROM schema_migrations WHERE version = $1",
                &[rolodex::store::Value::Int(2)],
            )
            .await
        })
        .await
        .expect("deleting a schema_migrations row");

    let ready = s
        .raw_request(Method::GET, "/health/ready", None, None, None, &[])
        .await;
    ready.expect(503);
    assert_eq!(
        ready.body,
        json!({"status": "unavailable", "reason": "Migrations not applied: 2."})
    );
    // The process still serves: liveness does not look at the database, `/health` only pings it.
    s.raw_request(Method::GET, "/health/live", None, None, None, &[])
        .await
        .expect(200);
    s.raw_request(Method::GET, "/health", None, None, None, &[])
        .await
        .expect(200);
}
