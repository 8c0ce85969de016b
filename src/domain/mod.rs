//! The domain: request shapes, validation and the contact/company rules, independent of HTTP and
//! SQL. Functions here are pure; the store runs them inside its transactions.

pub mod address;
pub mod admin;
pub mod auth;
pub mod company;
pub mod contact;
pub mod custom_field;
pub mod errors;
pub mod fault;
pub mod input;
pub mod journal;
pub mod limits;
pub mod price_level;
pub mod record;
pub mod seed;
pub mod shipping;
pub mod tag;
pub mod warehouse;

use serde::{Serialize, Serializer};

pub use errors::ValidationErrors;
pub use record::RecordKind;

/// A stored timestamp (Unix seconds), rendered as UTC RFC 3339 with whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn rfc3339(self) -> String {
        self.to_string()
    }
}

/// The RFC 3339 text, written straight into whatever renders it: serialising a timestamp
/// (`collect_str`) allocates nothing, and a page of contacts renders two per contact.
impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match time::OffsetDateTime::from_unix_timestamp(self.0) {
            Ok(t) => {
                let (y, mo, d) = (t.year(), u8::from(t.month()), t.day());
                let (h, mi, s) = (t.hour(), t.minute(), t.second());
                write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
            }
            Err(_) => f.write_str("1970-01-01T00:00:00Z"),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// In the OpenAPI document: what [`Timestamp::rfc3339`] writes.
impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("UTC, RFC 3339, whole seconds."))
            .examples([serde_json::json!("2023-03-15T14:30:00Z")])
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

/// A tag as records show it (§4.1).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(example = json!({"id": 3, "name": "vip", "description": null, "icon": null, "color": null}))]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub icon: Option<String>,
    pub color: Option<String>,
}

/// The reference renders contact ids (and the primary company id) as strings.
pub fn id_as_string<S: Serializer>(id: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(id)
}

pub fn opt_id_as_string<S: Serializer>(id: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => s.collect_str(id),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn timestamps_are_utc_whole_seconds() {
        assert_eq!(Timestamp(1_678_890_600).rfc3339(), "2023-03-15T14:30:00Z");
        assert_eq!(Timestamp(0).rfc3339(), "1970-01-01T00:00:00Z");
    }

    /// The serialised form (written without an allocation) is `rfc3339` exactly, at the edges
    /// of the years it writes itself and outside them.
    #[test]
    fn serialised_timestamps_are_the_rfc3339_text() {
        for seconds in [
            0,
            1_678_890_600,
            951_782_400,     // 2000-02-29
            -62_167_219_200, // 0000-01-01T00:00:00Z
            253_402_300_799, // 9999-12-31T23:59:59Z
            -62_167_219_201, // the last second of year -1
            253_402_300_800, // past year 9999: rejected, so the epoch
            -1,
            i64::MAX,
        ] {
            let t = Timestamp(seconds);
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.rfc3339()), "{seconds}");
        }
        assert_eq!(
            serde_json::to_string(&Timestamp(253_402_300_799)).unwrap(),
            "\"9999-12-31T23:59:59Z\""
        );
    }
}
