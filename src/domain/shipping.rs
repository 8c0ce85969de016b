//! Shipping addresses of a company (§5.1, §5.2, §5.5): what a request may say about one, the
//! default-address rule, and the object the API returns.
//!
//! Request bodies accept the reference's names (`address_1`, `address_2`, `zip`) and the response
//! names (`address`, `address_line_2`, `postal_code`); when both are sent the reference's wins.

pub mod list;

pub use list::ShippingListField;

use serde::Serialize;
use serde_json::{Map, Value};

use super::Timestamp;
use super::address::Address;
use super::errors::ValidationErrors;
use super::input::Draft;
use super::input::{MAX_STRING, Patch, is_valid_email, label, read_boolean, read_string};
use super::limits::{MAX_SHIPPING_ADDRESSES_PER_REQUEST, too_many_items};

/// The stored fields of one address (everything but its id, default flag and timestamps).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShippingFields {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub address_line_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

impl ShippingFields {
    /// First and last name joined by one space; `None` when both are absent.
    pub fn full_name(&self) -> Option<String> {
        match (&self.first_name, &self.last_name) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(f), None) => Some(f.clone()),
            (None, Some(l)) => Some(l.clone()),
            (None, None) => None,
        }
    }

    fn address_parts(&self) -> Address<'_> {
        Address {
            line_1: self.address.as_deref(),
            line_2: self.address_line_2.as_deref(),
            city: self.city.as_deref(),
            state: self.state.as_deref(),
            postal_code: self.postal_code.as_deref(),
            country: self.country.as_deref(),
        }
    }

    /// Built like the company's `full_address`, with the second line.
    pub fn full_address(&self) -> Option<String> {
        self.address_parts().compose()
    }

    /// The company's `shipping_full_address`: the same without the second line.
    pub fn full_address_without_line_2(&self) -> Option<String> {
        Address {
            line_2: None,
            ..self.address_parts()
        }
        .compose()
    }
}

/// One address as a request gives it; absent fields keep their value on update.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShippingPatch {
    pub first_name: Patch<String>,
    pub last_name: Patch<String>,
    pub email: Patch<String>,
    pub phone: Patch<String>,
    pub address: Patch<String>,
    pub address_line_2: Patch<String>,
    pub city: Patch<String>,
    pub state: Patch<String>,
    pub postal_code: Patch<String>,
    pub country: Patch<String>,
    /// `None` when absent; `null` counts as false.
    pub is_default: Option<bool>,
}

impl ShippingPatch {
    /// The fields after applying this patch to `current`.
    pub fn apply(&self, current: &ShippingFields) -> ShippingFields {
        let c = current.clone();
        ShippingFields {
            first_name: self.first_name.clone().apply(c.first_name),
            last_name: self.last_name.clone().apply(c.last_name),
            email: self.email.clone().apply(c.email),
            phone: self.phone.clone().apply(c.phone),
            address: self.address.clone().apply(c.address),
            address_line_2: self.address_line_2.clone().apply(c.address_line_2),
            city: self.city.clone().apply(c.city),
            state: self.state.clone().apply(c.state),
            postal_code: self.postal_code.clone().apply(c.postal_code),
            country: self.country.clone().apply(c.country),
        }
    }
}

/// Reads one address object whose errors are keyed `{prefix}{field}` (prefix `""` for the
/// sub-resource, `shipping_addresses.N.` inside a company body). With `create`, `address_1` and
/// `city` are required; on update they may be absent but not cleared.
pub fn read_address(
    object: &Map<String, Value>,
    prefix: &str,
    create: bool,
    errors: &mut ValidationErrors,
) -> ShippingPatch {
    let mut string = |keys: &[&'static str], email: bool, required: bool| -> Patch<String> {
        // The first of `keys` present in the body is read; errors are keyed by the name used.
        let Some((key, v)) = keys.iter().find_map(|k| object.get(*k).map(|v| (*k, v))) else {
            if required && create {
                let path = format!("{prefix}{}", keys[0]);
                errors.add(&path, format!("The {} field is required.", label(&path)));
            }
            return Patch::Absent;
        };
        let path = format!("{prefix}{key}");
        match read_string(v, &path, MAX_STRING, errors) {
            Patch::Null if required => {
                errors.add(&path, format!("The {} field is required.", label(&path)));
                Patch::Absent
            }
            Patch::Set(s) if email && !is_valid_email(&s) => {
                errors.add(
                    &path,
                    format!("The {} field must be a valid email address.", label(&path)),
                );
                Patch::Absent
            }
            other => other,
        }
    };
    let address = string(&["address_1", "address"], false, true);
    let address_line_2 = string(&["address_2", "address_line_2"], false, false);
    let city = string(&["city"], false, true);
    let state = string(&["state"], false, false);
    let country = string(&["country"], false, false);
    let postal_code = string(&["zip", "postal_code"], false, false);
    let first_name = string(&["first_name"], false, false);
    let last_name = string(&["last_name"], false, false);
    let email = string(&["email"], true, false);
    let phone = string(&["phone"], false, false);
    let is_default = object.get("is_default").map(|v| {
        let path = format!("{prefix}is_default");
        match read_boolean(v, &path, errors) {
            Patch::Set(b) => b,
            _ => false,
        }
    });
    ShippingPatch {
        first_name,
        last_name,
        email,
        phone,
        address,
        address_line_2,
        city,
        state,
        postal_code,
        country,
        is_default,
    }
}

/// `POST /companies/{id}/shipping-addresses` and `POST .../{addressId}` bodies.
pub fn parse(object: &Map<String, Value>, create: bool) -> Draft<ShippingPatch> {
    let mut errors = ValidationErrors::new();
    let value = read_address(object, "", create, &mut errors);
    Draft::new(value, errors)
}

/// The `shipping_addresses` array of a company body: the addresses in order and the index of the
/// default one (the item with `is_default: true`, else the first). At most one item may be the
/// default.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressList {
    pub addresses: Vec<ShippingFields>,
    pub default_index: usize,
}

pub fn read_address_list(
    value: &Value,
    key: &str,
    errors: &mut ValidationErrors,
) -> Option<AddressList> {
    let items = match value {
        Value::Null => return Some(AddressList::default()),
        Value::Array(items) if items.len() > MAX_SHIPPING_ADDRESSES_PER_REQUEST => {
            errors.add(
                key,
                too_many_items(&label(key), MAX_SHIPPING_ADDRESSES_PER_REQUEST),
            );
            return None;
        }
        Value::Array(items) => items,
        _ => {
            errors.add(key, format!("The {} field must be an array.", label(key)));
            return None;
        }
    };
    let before = errors.count();
    let mut list = AddressList::default();
    let mut defaults = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let prefix = format!("{key}.{i}.");
        let Value::Object(object) = item else {
            let path = format!("{key}.{i}");
            errors.add(&path, format!("The {path} field must be an object."));
            continue;
        };
        let patch = read_address(object, &prefix, true, errors);
        if patch.is_default == Some(true) {
            defaults.push(i);
        }
        list.addresses.push(patch.apply(&ShippingFields::default()));
    }
    if defaults.len() > 1 {
        errors.add(key, "Only one shipping address may be the default.");
    }
    list.default_index = defaults.first().copied().unwrap_or(0);
    (errors.count() == before).then_some(list)
}

/// The shipping address object of §5.1.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ShippingAddress {
    pub id: i64,
    pub company_id: i64,
    pub company_name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub address_line_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub full_address: Option<String>,
    pub is_default: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl ShippingAddress {
    pub fn new(
        id: i64,
        company_id: i64,
        company_name: String,
        f: ShippingFields,
        is_default: bool,
        created_at: Timestamp,
        updated_at: Timestamp,
    ) -> Self {
        Self {
            id,
            company_id,
            company_name,
            full_name: f.full_name(),
            full_address: f.full_address(),
            first_name: f.first_name,
            last_name: f.last_name,
            email: f.email,
            phone: f.phone,
            address: f.address,
            address_line_2: f.address_line_2,
            city: f.city,
            state: f.state,
            postal_code: f.postal_code,
            country: f.country,
            is_default,
            created_at,
            updated_at,
        }
    }

    pub fn fields(&self) -> ShippingFields {
        ShippingFields {
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            address: self.address.clone(),
            address_line_2: self.address_line_2.clone(),
            city: self.city.clone(),
            state: self.state.clone(),
            postal_code: self.postal_code.clone(),
            country: self.country.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(e: &ValidationErrors) -> Vec<&str> {
        e.entries().iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn both_spellings_are_accepted() {
        let v = json!([{"address_1": "1 A St", "address_2": "Fl 2", "zip": "1", "city": "X"},
                       {"address": "2 B St", "address_line_2": "Fl 3", "postal_code": "2", "city": "Y"}]);
        let mut e = ValidationErrors::new();
        let list = read_address_list(&v, "shipping_addresses", &mut e).expect("valid");
        assert_eq!(list.addresses[0].address.as_deref(), Some("1 A St"));
        assert_eq!(list.addresses[1].address_line_2.as_deref(), Some("Fl 3"));
        assert_eq!(list.addresses[1].postal_code.as_deref(), Some("2"));
        assert_eq!(list.default_index, 0);
    }

    #[test]
    fn errors_are_keyed_by_index_and_one_default_at_most() {
        let v = json!([{"address_1": "1", "city": "X", "is_default": true},
                       {"city": "", "email": "nope", "is_default": "1"}, 5]);
        let mut e = ValidationErrors::new();
        assert!(read_address_list(&v, "shipping_addresses", &mut e).is_none());
        assert_eq!(
            keys(&e),
            [
                "shipping_addresses.1.address_1",
                "shipping_addresses.1.city",
                "shipping_addresses.1.email",
                "shipping_addresses.2",
                "shipping_addresses"
            ]
        );
    }

    #[test]
    fn the_flagged_item_is_the_default() {
        let v = json!([{"address_1": "1", "city": "X"}, {"address_1": "2", "city": "Y", "is_default": 1}]);
        let mut e = ValidationErrors::new();
        assert_eq!(
            read_address_list(&v, "s", &mut e).map(|l| l.default_index),
            Some(1)
        );
    }

    #[test]
    fn names_and_addresses_are_composed() {
        let f = ShippingFields {
            first_name: Some("Ann".into()),
            address: Some("1 Main".into()),
            address_line_2: Some("Unit 4".into()),
            city: Some("Austin".into()),
            state: Some("TX".into()),
            postal_code: Some("78701".into()),
            ..Default::default()
        };
        assert_eq!(f.full_name().as_deref(), Some("Ann"));
        assert_eq!(
            f.full_address().as_deref(),
            Some("1 Main, Unit 4, Austin, TX 78701")
        );
        assert_eq!(
            f.full_address_without_line_2().as_deref(),
            Some("1 Main, Austin, TX 78701")
        );
    }

    #[test]
    fn update_may_not_clear_required_fields() {
        let p = parse(
            json!({"address": null, "city": "  "})
                .as_object()
                .expect("object"),
            false,
        );
        assert_eq!(keys(p.errors()), ["address", "city"]);
        let p = parse(json!({"phone": "1"}).as_object().expect("object"), false);
        assert!(p.errors().is_empty());
    }
}
