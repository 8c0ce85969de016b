//! Rolodex: a self-hosted server for the Luminous ERP Contacts & Companies API.
//!
//! Layers, each depending only on those below it:
//! `http` (routes, extractors, JSON, error → response) → `service` (use cases: one transaction
//! each) → `domain` (types, validation, rules; no I/O) and `store` (the storage interface, SQLite
//! and PostgreSQL). `query` is the list query language shared by every list endpoint.

pub mod cert;
pub mod cli;
pub mod clock;
pub mod copy;
pub mod domain;
pub mod error;
pub mod http;
#[cfg(test)]
mod layering;
pub mod log_writer;
pub mod query;
pub mod secrets;
pub mod service;
pub mod store;
