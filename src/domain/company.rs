//! Companies. For now the plain fields of §5.2 and the full §5.1 object shape; the relations of
//! §5 (client types, addresses, custom fields) grow here.

use serde::Serialize;
use serde_json::{Map, Value};

use super::contact::Parsed;
use super::input::{Body, MAX_STRING};
use super::{Tag, Timestamp};

/// The plain string fields a company request may carry, in contract order.
pub const STRING_FIELDS: [&str; 8] =
    ["phone", "address", "address_line_2", "city", "state", "postal_code", "country", "fein"];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompanyFields {
    pub name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub address_line_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub fein: Option<String>,
}

impl CompanyFields {
    fn set_string(&mut self, key: &str, value: Option<String>) {
        let slot = match key {
            "phone" => &mut self.phone,
            "address" => &mut self.address,
            "address_line_2" => &mut self.address_line_2,
            "city" => &mut self.city,
            "state" => &mut self.state,
            "postal_code" => &mut self.postal_code,
            "country" => &mut self.country,
            _ => &mut self.fein,
        };
        *slot = value;
    }

    /// `address, address_line_2, city, state postal_code, country`, leaving out absent parts.
    pub fn full_address(&self) -> Option<String> {
        compose_address(
            self.address.as_deref(),
            self.address_line_2.as_deref(),
            self.city.as_deref(),
            self.state.as_deref(),
            self.postal_code.as_deref(),
            self.country.as_deref(),
        )
    }
}

/// Joins the present parts as §5.1 describes; `None` when every part is absent.
pub fn compose_address(
    address: Option<&str>,
    line_2: Option<&str>,
    city: Option<&str>,
    state: Option<&str>,
    postal_code: Option<&str>,
    country: Option<&str>,
) -> Option<String> {
    let state_zip = match (state, postal_code) {
        (Some(s), Some(z)) => Some(format!("{s} {z}")),
        (Some(s), None) => Some(s.to_owned()),
        (None, Some(z)) => Some(z.to_owned()),
        (None, None) => None,
    };
    let parts: Vec<String> = [address.map(str::to_owned), line_2.map(str::to_owned), city.map(str::to_owned), state_zip, country.map(str::to_owned)]
        .into_iter()
        .flatten()
        .collect();
    if parts.is_empty() { None } else { Some(parts.join(", ")) }
}

pub fn parse_create(object: &Map<String, Value>) -> Parsed<CompanyFields> {
    let mut body = Body::new(object);
    let mut fields = CompanyFields {
        name: body.required_string("name", MAX_STRING).unwrap_or_default(),
        ..Default::default()
    };
    for key in STRING_FIELDS {
        let value = body.string(key, MAX_STRING).into_option();
        fields.set_string(key, value);
    }
    Parsed { value: fields, errors: body.errors }
}

/// The company object of §5.1.
#[derive(Debug, Clone, Serialize)]
pub struct Company {
    pub id: i64,
    pub status: String,
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(rename = "type")]
    pub client_type: Option<String>,
    pub parent_company_id: Option<i64>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub address_line_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub full_address: Option<String>,
    pub fein: Option<String>,
    pub tax_exempt: bool,
    pub tax_rate: Option<f64>,
    pub notes: Option<String>,
    pub payment_term: Option<String>,
    pub due_date_days: Option<i64>,
    pub tags: Vec<Tag>,
    pub custom_fields: Map<String, Value>,
    pub default_shipping: Option<Value>,
    pub shipping_addresses: Vec<Value>,
    pub shipping_first_name: Option<String>,
    pub shipping_last_name: Option<String>,
    pub shipping_email: Option<String>,
    pub shipping_phone: Option<String>,
    pub shipping_address: Option<String>,
    pub shipping_city: Option<String>,
    pub shipping_state: Option<String>,
    pub shipping_postal_code: Option<String>,
    pub shipping_country: Option<String>,
    pub shipping_full_address: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_address_leaves_out_absent_parts() {
        let f = CompanyFields {
            address: Some("123 Main St".into()),
            address_line_2: Some("Suite 500".into()),
            city: Some("Austin".into()),
            state: Some("TX".into()),
            postal_code: Some("78701".into()),
            country: Some("USA".into()),
            ..Default::default()
        };
        assert_eq!(f.full_address().as_deref(), Some("123 Main St, Suite 500, Austin, TX 78701, USA"));
        let g = CompanyFields { city: Some("Austin".into()), postal_code: Some("78701".into()), ..Default::default() };
        assert_eq!(g.full_address().as_deref(), Some("Austin, 78701"));
        assert_eq!(CompanyFields::default().full_address(), None);
    }
}
