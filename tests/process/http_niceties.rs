//! The binary's HTTP niceties, configured as an operator would: CORS origins from
//! `ROLODEX_CORS_ORIGINS` (comma-separated), response compression and trailing slashes. The
//! in-process API tests (`tests/api/http_niceties.rs`) cover each rule in detail.

use crate::support::*;

#[tokio::test]
async fn cors_origins_from_the_environment_compression_and_trailing_slashes() {
    let db = TestDb::new();
    let token = create_token(db.url(), "acme", Some("tests"));
    let server = ServeProcess::spawn(
        &db,
        &[],
        &[(
            "ROLODEX_CORS_ORIGINS",
            "https://app.example.com,http://localhost:5173",
        )],
    );
    let http = client();
    for origin in ["https://app.example.com", "http://localhost:5173"] {
        let pre = http
            .request(
                reqwest::Method::OPTIONS,
                format!("{}{API}/contacts/", server.base),
            )
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization,content-type",
            )
            .send()
            .await
            .expect("preflight");
        assert!(pre.status().is_success(), "{origin}: {}", pre.status());
        assert_eq!(
            pre.headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some(origin)
        );
    }

    // The `client()` asks for gzip and decodes it; a raw client sees the encoding.
    let raw = client_builder()
        .no_gzip()
        .no_deflate()
        .build()
        .expect("client");
    let resp = raw
        .get(format!("{}{API}/openapi.json", server.base))
        .header("Accept-Encoding", "br")
        .send()
        .await
        .expect("document");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("br")
    );

    let listed = http
        .get(format!("{}{API}/contacts/?per_page=1", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list");
    assert_eq!(listed.status().as_u16(), 200);
    let body: serde_json::Value = listed.json().await.expect("json");
    assert_eq!(body["meta"]["per_page"], json!(1));
}

#[test]
fn a_malformed_cors_origin_stops_the_start_with_a_clear_error() {
    let db = TestDb::new();
    let out = cli_env(
        &["serve", "--database", db.url(), "--listen", "127.0.0.1:0"],
        &[("ROLODEX_CORS_ORIGINS", "https://app.example.com/")],
    );
    assert!(!out.status.success());
    let stderr = stderr_of(&out);
    assert!(stderr.contains("is not an origin"), "{stderr}");
}
