//! API behaviour, black box over HTTP: every test serves the real router behind the real serve
//! loop in this process (see `support::RunningServer`), on a real socket, against a fresh SQLite
//! file or PostgreSQL database (`ROLODEX_TEST_POSTGRES`). What needs the binary as a process (the
//! command line, signals, start-up) is in the `process` crate.

mod admin;
mod auth;
mod companies;
mod companies_list;
mod console;
mod console_browser;
mod console_settings;
mod contacts_create;
mod contacts_list;
mod contacts_misc;
mod contacts_search;
mod contacts_update;
mod custom_fields;
mod hostile;
mod hostile_http;
mod http_errors;
mod http_niceties;
mod link_tables;
mod list_plans;
mod list_totals;
mod luminous_cli;
mod observe;
mod openapi;
mod prepared_statements;
mod price_levels;
mod probes;
mod properties;
mod races;
mod rate_limit;
mod robustness;
mod shipping_addresses;
mod support;
mod tags;
mod tls;
mod warehouses;
