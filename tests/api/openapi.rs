//! The OpenAPI document: served without a token, equal to the committed snapshot
//! (`docs/openapi.json`; `UPDATE_SNAPSHOTS=1` rewrites it), and in step with the router: every
//! documented path answers exactly the documented methods, and the API has no route that is not
//! registered with its documentation.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

const DOCUMENT: &str = "/external/api/v1/openapi.json";

fn snapshot_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json")
}

async fn served_document(s: &TestServer) -> Resp {
    let r = s
        .raw_request(Method::GET, DOCUMENT, None, None, None, &[])
        .await;
    r.expect(200);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    r
}

#[tokio::test]
async fn openapi_snapshot_matches_the_served_document() {
    let s = TestServer::start().await;
    let served = served_document(&s).await;
    assert_eq!(served.body["openapi"], "3.1.0");
    let path = snapshot_path();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &served.text).expect("writing docs/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == served.text,
        "the OpenAPI document changed: review the difference, then regenerate docs/openapi.json \
         with `UPDATE_SNAPSHOTS=1 cargo nextest run -E 'test(openapi_snapshot)'`"
    );
}

/// Path parameters filled in so that the path matches its route.
fn concrete(path: &str) -> String {
    path.replace("{address_id}", "1")
        .replace("{id}", "1")
        .replace("{name}", "vip")
}

fn documented_methods(item: &Value) -> BTreeSet<String> {
    item.as_object()
        .map(|o| {
            o.keys()
                .filter(|k| ["get", "put", "post", "delete", "patch"].contains(&k.as_str()))
                .map(|k| k.to_ascii_uppercase())
                .collect()
        })
        .unwrap_or_default()
}

/// Router → document, method by method: a method a path does not take is a 405 whose `Allow`
/// lists the methods the router has there; they must be exactly the documented ones (`HEAD`
/// comes with `GET`).
#[tokio::test]
async fn openapi_route_coverage_every_documented_path_takes_exactly_its_methods() {
    let s = TestServer::start().await;
    let doc = served_document(&s).await.body;
    let paths = doc["paths"].as_object().expect("paths");
    // Every resource of the API, and nothing outside it.
    for expected in [
        "/contacts",
        "/contacts/{id}",
        "/contacts/{id}/b2b-portal-password",
        "/contacts/{id}/password",
        "/contacts/{id}/tags",
        "/contacts/{id}/tags/{name}",
        "/companies",
        "/companies/{id}",
        "/companies/{id}/contacts",
        "/companies/{id}/shipping-addresses",
        "/companies/{id}/shipping-addresses/{address_id}",
        "/companies/{id}/custom-fields",
        "/companies/{id}/tags",
        "/companies/{id}/tags/{name}",
        "/client-types",
        "/custom-fields",
        "/custom-fields/{id}",
        "/warehouses",
        "/warehouses/{id}",
        "/price-levels",
        "/price-levels/{id}",
    ] {
        assert!(paths.contains_key(expected), "{expected} is not documented");
    }
    assert_eq!(paths.len(), 21, "{:?}", paths.keys().collect::<Vec<_>>());
    for (path, item) in paths {
        let documented = documented_methods(item);
        assert!(!documented.is_empty(), "{path}");
        let url = format!("/external/api/v1{}", concrete(path));
        let r = s
            .raw_request(Method::OPTIONS, &url, Some(&s.token), None, None, &[])
            .await;
        assert_eq!(r.status, 405, "OPTIONS {url}: {r:?}");
        let allowed: BTreeSet<String> = r
            .header("allow")
            .unwrap_or_default()
            .split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty() && m != "HEAD")
            .collect();
        assert_eq!(allowed, documented, "{path}: served vs documented methods");
        // And a documented method reaches a handler (not the 404 of an unrouted path).
        for method in &documented {
            let r = s
                .raw_request(
                    Method::from_bytes(method.as_bytes()).expect("method"),
                    &url,
                    Some(&s.token),
                    None,
                    None,
                    &[],
                )
                .await;
            assert_ne!(r.status, 405, "{method} {url}");
            assert!(
                documented_status(item, method, r.status),
                "{method} {url} answered {} which is not documented: {r:?}",
                r.status
            );
        }
    }
}

fn documented_status(item: &Value, method: &str, status: u16) -> bool {
    item[method.to_ascii_lowercase()]["responses"]
        .as_object()
        .is_some_and(|r| r.contains_key(&status.to_string()))
}

/// Document → router is the test above; this is the other way: the API router (`api_routes` in
/// src/http/mod.rs) is made only of the resource modules' `routes()`, which register every
/// route with `routes!` (route and operation together) and nothing else, and `router` adds no
/// route to it.
#[test]
fn openapi_route_coverage_the_api_has_no_route_without_documentation() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let read = |name: &str| std::fs::read_to_string(src.join(name)).expect("reading src/http");
    let mod_rs = read("mod.rs");
    let body_of = |text: &str, signature: &str| -> String {
        let start = text
            .find(signature)
            .unwrap_or_else(|| panic!("{signature}"));
        let end = text[start..].find("\n}\n").expect("end of fn") + start;
        text[start..end].to_owned()
    };
    let api_routes = body_of(&mod_rs, "pub fn api_routes()");
    let modules: Vec<&str> = api_routes
        .split(".merge(")
        .skip(1)
        .map(|rest| rest.split("::routes()").next().unwrap_or(""))
        .collect();
    assert!(modules.len() >= 6, "{modules:?}");
    for forbidden in [".route(", ".route_service(", ".nest(", ".nest_service("] {
        assert!(
            !api_routes.contains(forbidden),
            "api_routes uses {forbidden}"
        );
    }
    for module in &modules {
        let text = read(&format!("{module}.rs"));
        let routes = body_of(&text, "pub fn routes()");
        assert!(routes.contains("OpenApiRouter::new()"), "{module}");
        for forbidden in [
            ".route(",
            ".route_service(",
            ".nest(",
            ".nest_service(",
            ".merge(",
            ".fallback(",
        ] {
            assert!(
                !routes.contains(forbidden),
                "{module}::routes uses {forbidden}"
            );
        }
        assert_eq!(
            routes.matches("Router::new()").count(),
            routes.matches("OpenApiRouter::new()").count(),
            "{module}::routes builds a plain axum Router"
        );
        assert!(routes.contains(".routes(routes!("), "{module}");
    }
    // In `router`, the API router from `split_for_parts` gets layers and a fallback, no routes.
    let router = body_of(&mod_rs, "pub fn router(");
    let start = router.find("split_for_parts()").expect("split_for_parts");
    let end = router
        .find("from_fn_with_state(state.clone(), auth::authenticate)")
        .expect("auth");
    let api_part = &router[start..end];
    for forbidden in [
        ".route(",
        ".route_service(",
        ".nest(",
        ".nest_service(",
        ".merge(",
    ] {
        assert!(
            !api_part.contains(forbidden),
            "router adds {forbidden} to the API"
        );
    }
}

/// What the issue names: list parameters with their operators, the envelopes, every error.
#[tokio::test]
async fn openapi_document_describes_parameters_envelopes_and_errors() {
    let s = TestServer::start().await;
    let doc = served_document(&s).await.body;
    let names = |path: &str| -> BTreeSet<String> {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let contacts = names("/contacts");
    for p in [
        "page",
        "per_page",
        "limit",
        "sort",
        "email",
        "email[eq]",
        "email[contains]",
        "email[notin]",
        "email[set]",
        "phone_1[contains]",
        "created_at[gte]",
        "tag[in]",
    ] {
        assert!(contacts.contains(p), "/contacts lacks {p}: {contacts:?}");
    }
    // A string field takes no `gt`; a date no `contains`.
    assert!(!contacts.contains("email[gt]"));
    assert!(!contacts.contains("created_at[contains]"));
    assert!(names("/warehouses").contains("status"));
    assert!(names("/price-levels").contains("name[contains]"));
    assert!(names("/companies/{id}/contacts").contains("email[contains]"));

    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["ContactPage"]["required"],
        json!(["data", "meta"]),
        "{}",
        schemas["ContactPage"]
    );
    assert_eq!(schemas["ContactData"]["required"], json!(["data"]));
    assert_eq!(
        schemas["ValidationErrorBody"]["required"],
        json!(["message", "errors"])
    );
    for code in ["401", "404", "409", "413", "415", "422", "429", "503"] {
        assert!(
            doc["paths"]["/warehouses/{id}"]
                .as_object()
                .expect("item")
                .values()
                .any(|op| op["responses"][code].is_object()),
            "/warehouses/{{id}} documents no {code}"
        );
    }
    let responses = doc["components"]["responses"]
        .as_object()
        .expect("responses");
    for name in [
        "BadRequest",
        "Unauthenticated",
        "NotFound",
        "MethodNotAllowed",
        "Conflict",
        "PayloadTooLarge",
        "UnsupportedMediaType",
        "ValidationFailed",
        "TooManyAttempts",
        "Unavailable",
    ] {
        assert!(responses.contains_key(name), "no {name} response");
    }
    // Operation ids are unique (one handler for POST/PUT/PATCH is three operations).
    let mut ids = BTreeSet::new();
    for item in doc["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("item").values() {
            if let Some(id) = op["operationId"].as_str() {
                assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
            }
        }
    }
}

/// The vendored Redoc: `vendor/redoc-VERSION/` with its bundle and licence.
fn vendored_redoc() -> (String, std::path::PathBuf) {
    let vendor = Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor");
    let dirs: Vec<_> = std::fs::read_dir(&vendor)
        .expect("vendor/")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("redoc-")
                .map(|v| (v.to_owned(), e.path()))
        })
        .collect();
    assert_eq!(dirs.len(), 1, "one vendored Redoc: {dirs:?}");
    let (version, dir) = dirs.into_iter().next().expect("one");
    assert!(dir.join("LICENSE").is_file(), "Redoc's licence is vendored");
    assert!(dir.join("redoc.standalone.js.LICENSE.txt").is_file());
    (version, dir)
}

#[tokio::test]
async fn docs_page_renders_the_document_with_the_embedded_redoc() {
    let s = TestServer::start().await;
    let (version, dir) = vendored_redoc();
    let page = s
        .raw_request(Method::GET, "/docs", None, None, None, &[])
        .await;
    page.expect(200);
    assert_eq!(
        page.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    let script = format!("/docs/redoc-{version}.standalone.js");
    assert!(
        page.text
            .contains(&format!(r#"<script src="{script}"></script>"#)),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains(r#"<redoc spec-url="/external/api/v1/openapi.json""#)
    );
    // No CDN: the page loads nothing from another origin.
    assert!(!page.text.contains("://"), "{}", page.text);

    let bundle = s
        .raw_request(Method::GET, &script, None, None, None, &[])
        .await;
    bundle.expect(200);
    assert_eq!(
        bundle.header("content-type").as_deref(),
        Some("text/javascript; charset=utf-8")
    );
    let cache = bundle.header("cache-control").unwrap_or_default();
    assert!(
        cache.contains("max-age=31536000") && cache.contains("immutable"),
        "{cache}"
    );
    let vendored = std::fs::read(dir.join("redoc.standalone.js")).expect("the bundle");
    assert!(vendored.len() > 500_000);
    assert!(
        bundle.text.as_bytes() == vendored.as_slice(),
        "the served bundle is the vendored file"
    );
    // What the page points Redoc at is there without a token.
    served_document(&s).await;
}
