//! What HTTP clients expect of a server beyond the contract: a trailing slash names the same
//! resource, responses are compressed when the client asks (gzip, br) and are big enough, and
//! CORS is off unless `--cors-origin` allows an origin.

use std::io::Read;

use crate::support::*;
use reqwest::Method;

// ---------------------------------------------------------------------------------------------
// Trailing slash
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_trailing_slash_names_the_same_resource() {
    let s = TestServer::start().await;
    let contact = s.quick_contact("Ada").await;
    let id = cid(&contact);

    let plain = s.get("/contacts?per_page=5").await;
    plain.expect(200);
    let slashed = s.get("/contacts/?per_page=5").await;
    slashed.expect(200);
    assert_eq!(slashed.body, plain.body, "the query string is kept");
    let doubled = s
        .raw_request(
            Method::GET,
            &format!("/{API}/contacts//?per_page=5"),
            Some(&s.token),
            None,
            None,
            &[],
        )
        .await;
    doubled.expect(200);
    assert_eq!(
        doubled.body, plain.body,
        "repeated slashes at either end collapse"
    );
    assert_eq!(slashed.body["meta"]["per_page"], json!(5));

    let one = s.get(&format!("/contacts/{id}/")).await;
    one.expect(200);
    assert_eq!(one.data(), &contact);

    // Writes too: POST /contacts/{id}/ updates the contact.
    let updated = s
        .post(
            &format!("/contacts/{id}/"),
            &json!({"last_name": "Lovelace"}),
        )
        .await;
    updated.expect(200);
    assert_eq!(updated.data()["last_name"], json!("Lovelace"));
    assert_eq!(s.contact(&id).await["last_name"], json!("Lovelace"));

    // Outside the API as well, and an unknown path stays unknown.
    s.raw_request(Method::GET, "/health/", None, None, None, &[])
        .await
        .expect(200);
    s.get("/no-such-thing/").await.expect(404);
    // Without a token a slashed path is refused like any other.
    let anonymous = s
        .raw_request(
            Method::GET,
            &format!("{API}/contacts/"),
            None,
            None,
            None,
            &[],
        )
        .await;
    assert_401(&anonymous);
}

// ---------------------------------------------------------------------------------------------
// Compression
// ---------------------------------------------------------------------------------------------

/// A client that leaves the body as the server encoded it.
fn undecoding_client() -> reqwest::Client {
    client_builder()
        .no_gzip()
        .no_deflate()
        .build()
        .expect("build http client")
}

async fn get_encoded(
    s: &TestServer,
    path: &str,
    accept: Option<&str>,
) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = undecoding_client()
        .get(s.url(path))
        .header("Authorization", format!("Bearer {}", s.token));
    if let Some(accept) = accept {
        req = req.header("Accept-Encoding", accept);
    }
    let resp = req.send().await.expect("request");
    assert_eq!(resp.status().as_u16(), 200, "GET {path}");
    let headers = resp.headers().clone();
    (headers, resp.bytes().await.expect("body").to_vec())
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip stream");
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("a brotli stream");
    out
}

fn encoding(headers: &reqwest::header::HeaderMap) -> Option<&str> {
    headers
        .get("content-encoding")
        .map(|v| v.to_str().unwrap_or_default())
}

#[tokio::test]
async fn large_responses_are_compressed_as_the_client_asks() {
    let s = TestServer::start().await;
    for i in 0..30 {
        s.quick_contact(&format!("Person{i}")).await;
    }
    let path = format!("{API}/contacts?per_page=30");
    let (headers, identity) = get_encoded(&s, &path, None).await;
    assert_eq!(
        encoding(&headers),
        None,
        "no Accept-Encoding: no compression"
    );
    assert!(
        identity.len() > 1024,
        "the page is {} bytes",
        identity.len()
    );
    let page: serde_json::Value = serde_json::from_slice(&identity).expect("JSON");
    assert_eq!(page["data"].as_array().map(Vec::len), Some(30));

    let (headers, gzipped) = get_encoded(&s, &path, Some("gzip")).await;
    assert_eq!(encoding(&headers), Some("gzip"));
    assert!(
        gzipped.len() < identity.len() / 2,
        "{} bytes gzipped",
        gzipped.len()
    );
    assert_eq!(gunzip(&gzipped), identity);
    let vary = headers
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap_or_default().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(",");
    assert!(vary.contains("accept-encoding"), "Vary: {vary}");

    let (headers, brotlied) = get_encoded(&s, &path, Some("br")).await;
    assert_eq!(encoding(&headers), Some("br"));
    assert!(
        brotlied.len() < identity.len() / 2,
        "{} bytes in br",
        brotlied.len()
    );
    assert_eq!(unbrotli(&brotlied), identity);

    // The client's preference decides between the two.
    let (headers, _) = get_encoded(&s, &path, Some("gzip;q=0.5, br;q=1")).await;
    assert_eq!(encoding(&headers), Some("br"));
    let (headers, _) = get_encoded(&s, &path, Some("gzip, br;q=0.1")).await;
    assert_eq!(encoding(&headers), Some("gzip"));
    // An encoding the server does not have: none.
    let (headers, body) = get_encoded(&s, &path, Some("zstd")).await;
    assert_eq!(encoding(&headers), None);
    assert_eq!(body, identity);

    // The OpenAPI document and the reference page are compressed too.
    let (headers, document) = get_encoded(&s, &format!("{API}/openapi.json"), Some("gzip")).await;
    assert_eq!(encoding(&headers), Some("gzip"));
    let document: serde_json::Value = serde_json::from_slice(&gunzip(&document)).expect("JSON");
    assert_eq!(document["openapi"], json!("3.1.0"));
}

#[tokio::test]
async fn small_responses_are_not_compressed() {
    let s = TestServer::start().await;
    let contact = s.quick_contact("Ada").await;
    let (headers, body) = get_encoded(
        &s,
        &format!("{API}/contacts/{}", cid(&contact)),
        Some("gzip, br"),
    )
    .await;
    assert!(
        body.len() < rolodex::http::COMPRESSION_MIN_BYTES as usize,
        "{} bytes",
        body.len()
    );
    assert_eq!(encoding(&headers), None);
    let parsed: serde_json::Value = serde_json::from_slice(&body).expect("plain JSON");
    assert_eq!(parsed["data"], contact);
}

// ---------------------------------------------------------------------------------------------
// CORS
// ---------------------------------------------------------------------------------------------

const APP: &str = "https://app.example.com";

async fn preflight(s: &TestServer, path: &str, origin: &str, method: &str) -> Resp {
    s.raw_request(
        Method::OPTIONS,
        path,
        None,
        None,
        None,
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", method),
            (
                "Access-Control-Request-Headers",
                "authorization, content-type",
            ),
        ],
    )
    .await
}

fn list_header(r: &Resp, name: &str) -> Vec<String> {
    r.header(name)
        .unwrap_or_default()
        .split(',')
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .collect()
}

#[tokio::test]
async fn cors_is_off_by_default() {
    let s = TestServer::start().await;
    let pre = preflight(&s, &format!("{API}/contacts"), APP, "POST").await;
    assert_eq!(pre.header("access-control-allow-origin"), None);
    // Not answered as a preflight: it reaches authentication like any request.
    assert_401(&pre);
    let get = s
        .raw_request(
            Method::GET,
            &format!("{API}/contacts"),
            Some(&s.token),
            None,
            None,
            &[("Origin", APP)],
        )
        .await;
    get.expect(200);
    assert_eq!(get.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn an_allowed_origin_gets_preflights_answered_without_a_token() {
    let s = TestServer::start_with(
        TestDb::new(),
        &[
            "--cors-origin",
            APP,
            "--cors-origin",
            "http://localhost:3000",
        ],
    );
    let contact = s.quick_contact("Ada").await;
    let path = format!("{API}/contacts/{}", cid(&contact));

    let pre = preflight(&s, &path, APP, "DELETE").await;
    assert!(
        (200..300).contains(&pre.status),
        "a preflight is answered, without a token: {pre:#?}"
    );
    assert_eq!(
        pre.header("access-control-allow-origin").as_deref(),
        Some(APP)
    );
    let methods = list_header(&pre, "access-control-allow-methods");
    for m in ["get", "post", "put", "patch", "delete"] {
        assert!(methods.contains(&m.to_owned()), "{m} not in {methods:?}");
    }
    let headers = list_header(&pre, "access-control-allow-headers");
    for h in ["authorization", "content-type", "accept", "x-request-id"] {
        assert!(headers.contains(&h.to_owned()), "{h} not in {headers:?}");
    }
    assert!(pre.header("access-control-max-age").is_some());
    assert_eq!(pre.header("access-control-allow-credentials"), None);
    // Nothing was deleted.
    s.contact(&cid(&contact)).await;

    // The second origin too; any other gets no grant.
    let other = preflight(&s, &path, "http://localhost:3000", "GET").await;
    assert_eq!(
        other.header("access-control-allow-origin").as_deref(),
        Some("http://localhost:3000")
    );
    let evil = preflight(&s, &path, "https://evil.example.com", "GET").await;
    assert_eq!(evil.header("access-control-allow-origin"), None);

    // The actual request: the grant and the headers a page may read.
    let get = s
        .raw_request(
            Method::GET,
            &path,
            Some(&s.token),
            None,
            None,
            &[("Origin", APP)],
        )
        .await;
    get.expect(200);
    assert_eq!(
        get.header("access-control-allow-origin").as_deref(),
        Some(APP)
    );
    let exposed = list_header(&get, "access-control-expose-headers");
    assert!(exposed.contains(&"x-request-id".to_owned()), "{exposed:?}");
    assert!(list_header(&get, "vary").contains(&"origin".to_owned()));
    // An error carries it as well, so the page can read why.
    let refused = s
        .raw_request(Method::GET, &path, None, None, None, &[("Origin", APP)])
        .await;
    assert_401(&refused);
    assert_eq!(
        refused.header("access-control-allow-origin").as_deref(),
        Some(APP)
    );

    // A plain OPTIONS (no preflight headers) is still the router's 405 with `Allow`.
    let plain = s
        .raw_request(Method::OPTIONS, &path, Some(&s.token), None, None, &[])
        .await;
    plain.expect(405);
    assert!(plain.header("allow").is_some_and(|a| a.contains("GET")));
}

#[tokio::test]
async fn a_star_allows_every_origin() {
    let s = TestServer::start_with(TestDb::new(), &["--cors-origin", "*"]);
    let pre = preflight(
        &s,
        &format!("{API}/contacts"),
        "https://anywhere.example",
        "POST",
    )
    .await;
    assert!((200..300).contains(&pre.status), "{pre:#?}");
    assert_eq!(
        pre.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    let get = s
        .raw_request(
            Method::GET,
            &format!("{API}/contacts"),
            Some(&s.token),
            None,
            None,
            &[("Origin", "https://anywhere.example")],
        )
        .await;
    get.expect(200);
    assert_eq!(
        get.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
}

#[test]
fn a_malformed_origin_is_refused_at_start() {
    for bad in [
        "https://app.example.com/",
        "app.example.com",
        "https://app.example.com/x",
    ] {
        let err = rolodex::cli::serve_options(&["--cors-origin", bad])
            .err()
            .unwrap_or_else(|| panic!("{bad:?} accepted"));
        let message = err.to_string();
        assert!(message.contains("is not an origin"), "{message}");
    }
    assert!(
        rolodex::cli::serve_options(&["--cors-origin", "https://a.example,https://b.example:8443"])
            .is_ok()
    );
}
