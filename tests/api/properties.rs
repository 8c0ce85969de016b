//! Property tests for everything that reads untrusted input: the JSON body parsers, the list
//! query-string parser and its SQL rendering (pure, thousands of cases), and the same inputs
//! through the real server (fewer cases): nothing panics, nothing answers 5xx, and every answer is
//! JSON.

use crate::support::*;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use rolodex::domain::limits::MAX_ERROR_FIELDS;
use rolodex::domain::{company, contact, custom_field, shipping, tag};
use rolodex::query::{ListQuery, parse};
use rolodex::store::Dialect;
use rolodex::store::list::{ListFieldSql, render};
use serde_json::{Map, Value};

/// Field names the parsers know, plus anything else.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "first_name",
            "last_name",
            "email",
            "company_id",
            "company_ids",
            "tags",
            "password",
            "name",
            "type",
            "label",
            "options",
            "choices",
            "shipping_addresses",
            "is_default",
            "parent_id",
            "payment_term",
            "custom_fields",
            "client_type",
            "object_types",
        ])
        .prop_map(str::to_owned),
        ".{0,12}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::from),
        prop::sample::select(vec![
            "",
            " ",
            "1",
            "0",
            "true",
            "a@b.co",
            "\u{0}",
            "e\u{301}@x.io"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::btree_map(key(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(key(), json_value(), 0..12).prop_map(|m| m.into_iter().collect())
}

/// Parses `pairs` for the list whose fields are `F` and, when valid, checks their rendering.
fn parse_and_render<F: ListFieldSql>(pairs: &[(String, String)]) {
    if let Ok(q) = parse::<F>(pairs) {
        check_rendering(&q);
    }
}

/// Query-string pairs: real field names with any operator (or a mangled one), and any value.
fn query_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let field = prop::sample::select(vec![
        "id",
        "email",
        "first_name",
        "last_name",
        "company_id",
        "company.name",
        "tag",
        "name",
        "created_at",
        "updated_at",
        "has_portal_login",
        "is_primary",
        "type",
        "status",
        "page",
        "per_page",
        "limit",
        "sort",
        "city",
        "",
    ]);
    let op = prop::sample::select(vec![
        "",
        "[eq]",
        "[neq]",
        "[gt]",
        "[gte]",
        "[lt]",
        "[lte]",
        "[contains]",
        "[notcontains]",
        "[in]",
        "[notin]",
        "[set]",
        "[notset]",
        "[]",
        "[x][y]",
        "]",
    ]);
    let value = prop_oneof![
        ".{0,30}",
        "[0-9,\\-]{0,30}",
        prop::sample::select(vec![
            "2024-01-01",
            "2024-02-30T10:00:00Z",
            "true",
            "id:desc,last_name",
            "9999999999999999999999",
        ])
        .prop_map(str::to_owned),
    ];
    prop::collection::vec((field, op, value), 0..12).prop_map(|v| {
        v.into_iter()
            .map(|(f, o, val)| (format!("{f}{o}"), val))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn body_parsers_never_panic_and_bound_their_errors(object in json_object()) {
        let counts = [
            contact::NewContactDraft::parse(&object).errors().entries().len(),
            contact::ContactPatchDraft::parse(&object).errors().entries().len(),
            contact::PasswordDraft::parse(&object).errors().entries().len(),
            company::parse(&object, true).errors().entries().len(),
            company::parse(&object, false).errors().entries().len(),
            shipping::parse(&object, true).errors().entries().len(),
            custom_field::parse_definition(&object, true).errors().entries().len(),
            tag::parse_names(&object, false).errors().entries().len(),
        ];
        for n in counts {
            prop_assert!(n <= MAX_ERROR_FIELDS);
        }
    }

    #[test]
    fn the_query_parser_and_renderer_never_panic(pairs in query_pairs()) {
        parse_and_render::<contact::ContactListField>(&pairs);
        parse_and_render::<company::CompanyListField>(&pairs);
        parse_and_render::<shipping::ShippingListField>(&pairs);
    }
}

fn check_rendering<F: ListFieldSql>(q: &ListQuery<F>) {
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        let mut params = Vec::new();
        let (filter, order) = render(q, dialect, &mut params);
        assert!(!order.is_empty());
        // Every placeholder is bound, and no value is spliced into the text.
        assert_eq!(filter.matches('$').count(), params.len(), "{filter}");
    }
}

// ---------------------------------------------------------------------------------------------
// Through the real server
// ---------------------------------------------------------------------------------------------

/// A server for one property's cases (a fresh one per case would make the run minutes long),
/// dropped — and so stopped — when the property is done.
struct Shared {
    runtime: tokio::runtime::Runtime,
    server: TestServer,
    contact: String,
    company: i64,
}

fn start_shared() -> Shared {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (server, contact, company) = runtime.block_on(async {
        let server = TestServer::start().await;
        let c = server.quick_contact("Prop").await;
        let company = server.create_company("Prop Co").await;
        (server, cid(&c), company)
    });
    Shared {
        runtime,
        server,
        contact,
        company,
    }
}

fn assert_clean_answer(r: &Resp, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(r.status < 500, "{what}: {r:#?}");
    prop_assert!(
        r.body.is_object(),
        "{what}: the answer must be a JSON object: {r:#?}"
    );
    Ok(())
}

const SERVER_CASES: u32 = 48;

#[test]
fn no_body_makes_the_server_fail() {
    let s = start_shared();
    let paths = [
        "/contacts".to_owned(),
        format!("/contacts/{}", s.contact),
        format!("/contacts/{}/tags", s.contact),
        "/companies".to_owned(),
        format!("/companies/{}/custom-fields", s.company),
        format!("/companies/{}/shipping-addresses", s.company),
        "/custom-fields".to_owned(),
    ];
    let mut runner = TestRunner::new(ProptestConfig::with_cases(SERVER_CASES));
    let inputs = (json_object(), prop::collection::vec(any::<u8>(), 0..200));
    let outcome = runner.run(&inputs, |(object, raw)| {
        s.runtime.block_on(async {
            let json = serde_json::to_vec(&Value::Object(object)).expect("json");
            for path in &paths {
                for body in [json.clone(), raw.clone()] {
                    let r = s
                        .server
                        .request(
                            reqwest::Method::POST,
                            path,
                            Some(&s.server.token),
                            Some(body),
                            Some("application/json"),
                            &[],
                        )
                        .await;
                    assert_clean_answer(&r, &format!("POST {path}"))?;
                }
            }
            Ok(())
        })
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

#[test]
fn no_query_string_makes_the_server_fail() {
    let s = start_shared();
    let lists = [
        "/contacts".to_owned(),
        "/companies".to_owned(),
        format!("/companies/{}/contacts", s.company),
    ];
    let mut runner = TestRunner::new(ProptestConfig::with_cases(SERVER_CASES));
    let outcome = runner.run(&query_pairs(), |pairs| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        s.runtime.block_on(async {
            for path in &lists {
                let r = s.server.get(&format!("{path}?{query}")).await;
                assert_clean_answer(&r, &format!("GET {path}?{query}"))?;
            }
            Ok(())
        })
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}
