//! Realistic sample data from a seed: the request bodies a client would send to create companies
//! (with client types, tags, custom-field values, shipping addresses, parents) and contacts (with
//! e-mails, phones, tags, several companies each, primary contacts). The service sends them through
//! the API's own parsing and rules.
//!
//! Deterministic across versions and platforms: the generator is ChaCha8 (a named algorithm with a
//! fixed output stream) keyed by the seed's eight little-endian bytes, and draws only `u64`s,
//! mapped to ranges by a fixed formula; nothing depends on `usize` width, hashing or time. So the
//! same seed always gives the same bodies in the same order (a unit test pins the first values).

use chacha20::ChaCha8Rng;
use rand::rand_core::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

/// The custom-field definitions seeded companies carry values for (`POST /custom-fields` bodies).
pub fn definitions() -> Vec<Map<String, Value>> {
    [
        json!({"label": "Region", "type": "dropdown", "options": {"choices": ["North", "South", "East", "West"]}}),
        json!({"label": "Account Number", "type": "string"}),
        json!({"label": "Credit Limit", "type": "number"}),
        json!({"label": "Customer Since", "type": "date"}),
    ]
    .into_iter()
    .filter_map(|v| match v {
        Value::Object(m) => Some(m),
        _ => None,
    })
    .collect()
}

/// A company to create: its body, without `parent_company_id`, and its parent by index among the
/// companies before it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedCompany {
    pub body: Map<String, Value>,
    pub parent: Option<usize>,
}

/// A contact to create: its body, without company ids, and its companies by index (the first is
/// its primary company; with `is_primary` in the body it is that company's primary contact).
#[derive(Debug, Clone, PartialEq)]
pub struct SeedContact {
    pub body: Map<String, Value>,
    pub companies: Vec<usize>,
}

/// Everything one seed makes, in creation order.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedPlan {
    pub companies: Vec<SeedCompany>,
    pub contacts: Vec<SeedContact>,
}

const FIRST_NAMES: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Aiko",
    "Ashley",
    "Steven",
    "Kimberly",
    "Andrew",
    "Emily",
    "Kenji",
    "Donna",
    "Joshua",
    "Michelle",
    "Kevin",
    "Carol",
    "Brian",
    "Amanda",
    "Élodie",
    "Melissa",
    "Ronald",
    "Deborah",
    "Timothy",
    "Stephanie",
    "Jason",
    "Rebecca",
    "Priya",
    "Sharon",
    "Wei",
    "Laura",
    "Omar",
    "Cynthia",
];
const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "O'Brien",
    "Müller",
    "Tanaka",
    "Kowalski",
    "Singh",
    "Dubois",
];
const COMPANY_WORDS: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Cyberdyne",
    "Tyrell",
    "Gringotts",
    "Oceanic",
    "Pied Piper",
    "Dunder",
    "Sterling",
    "Prestige",
    "Monarch",
    "Blue Ridge",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Adventure",
    "Litware",
    "Proseware",
    "Lucerne",
    "Wingtip",
    "Alpine",
    "Summit",
    "Redwood",
    "Harbor",
    "Granite",
    "Cascade",
    "Pioneer",
    "Evergreen",
    "Silverline",
    "Ironwood",
    "Bluebird",
];
const COMPANY_KINDS: &[&str] = &[
    "Supply",
    "Logistics",
    "Trading",
    "Distribution",
    "Foods",
    "Hardware",
    "Industries",
    "Wholesale",
    "Imports",
    "Outfitters",
    "Provisions",
    "Goods",
];
const COMPANY_SUFFIXES: &[&str] = &["Inc.", "LLC", "Co.", "Corporation", "Ltd.", "Group"];
const STREETS: &[&str] = &[
    "Main St",
    "Oak Ave",
    "Pine St",
    "Maple Dr",
    "Cedar Ln",
    "Elm St",
    "Washington Blvd",
    "Lake Rd",
    "Hill St",
    "Park Ave",
    "Market St",
    "River Rd",
    "Sunset Blvd",
    "Broadway",
    "Industrial Pkwy",
    "Commerce Dr",
    "Harbor Way",
    "Mill Rd",
];
/// (city, state, ZIP prefix).
const CITIES: &[(&str, &str, &str)] = &[
    ("Austin", "TX", "787"),
    ("Dallas", "TX", "752"),
    ("Houston", "TX", "770"),
    ("Denver", "CO", "802"),
    ("Seattle", "WA", "981"),
    ("Portland", "OR", "972"),
    ("Chicago", "IL", "606"),
    ("Boston", "MA", "021"),
    ("Atlanta", "GA", "303"),
    ("Miami", "FL", "331"),
    ("Phoenix", "AZ", "850"),
    ("Nashville", "TN", "372"),
    ("Columbus", "OH", "432"),
    ("Minneapolis", "MN", "554"),
    ("San Diego", "CA", "921"),
    ("Sacramento", "CA", "958"),
    ("Raleigh", "NC", "276"),
    ("Salt Lake City", "UT", "841"),
];
const TAGS: &[&str] = &[
    "vip",
    "wholesale",
    "retail",
    "newsletter",
    "lead",
    "partner",
    "distributor",
    "priority",
    "west",
    "east",
    "trade-show",
    "reorder",
];
const CLIENT_TYPES: &[&str] = &["Wholesale", "Retail", "Distributor", "Online", "Restaurant"];
const PAYMENT_TERMS: &[&str] = &["Net 15", "Net 30", "Net 45", "Net 60", "Due on receipt"];
const REGIONS: &[&str] = &["North", "South", "East", "West"];
const NOTES: &[&str] = &[
    "Prefers e-mail over phone.",
    "Call before delivering.",
    "Seasonal buyer: most orders in Q4.",
    "Loading dock closes at 4 pm.",
    "Pays early; ask about volume discounts.",
];

/// The seeded generator.
struct Draw(ChaCha8Rng);

impl Draw {
    fn new(seed: u64) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        Draw(ChaCha8Rng::from_seed(key))
    }

    /// Uniform-enough in `0..n` (n > 0): the high bits of a 64 × 64-bit product, so the mapping
    /// is fixed (no rejection loop whose draws could differ by implementation).
    fn below(&mut self, n: usize) -> usize {
        let n = n.max(1) as u128;
        ((u128::from(self.0.next_u64()) * n) >> 64) as usize
    }

    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    fn phone(&mut self) -> String {
        format!("555-{}-{}", self.digits(3), self.digits(4))
    }

    /// Up to `max` distinct tags, in the order drawn.
    fn tags(&mut self, max: usize) -> Vec<&'static str> {
        let n = self.below(max + 1);
        let mut out: Vec<&'static str> = Vec::new();
        for _ in 0..n {
            let tag = self.pick(TAGS);
            if !out.contains(&tag) {
                out.push(tag);
            }
        }
        out
    }
}

/// A slug of a company name for e-mail domains: lowercase ASCII letters and digits.
fn domain_of(name: &str) -> String {
    let slug: String = name
        .split_whitespace()
        .take(2)
        .collect::<String>()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    format!("{slug}.example.com")
}

fn ascii_local(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'é' | 'É' => 'e',
            'ü' | 'Ü' => 'u',
            c => c.to_ascii_lowercase(),
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn company(draw: &mut Draw, i: usize, top_level: &[usize]) -> SeedCompany {
    // The leading word goes round the pool, and a round number after the first keeps every
    // name of one seed distinct.
    let word = COMPANY_WORDS[i % COMPANY_WORDS.len()];
    let kind = draw.pick(COMPANY_KINDS);
    let suffix = draw.pick(COMPANY_SUFFIXES);
    let name = match i / COMPANY_WORDS.len() {
        0 => format!("{word} {kind} {suffix}"),
        round => format!("{word} {kind} {} {suffix}", round + 1),
    };
    let (city, state, zip) = draw.pick(CITIES);
    let mut body = object(json!({
        "name": name,
        "phone": draw.phone(),
        "address": format!("{} {}", 100 + draw.below(9900), draw.pick(STREETS)),
        "city": city,
        "state": state,
        "postal_code": format!("{zip}{}", draw.digits(2)),
        "country": "USA",
    }));
    if draw.percent(80) {
        body.insert(
            "client_type".into(),
            json!({"name": draw.pick(CLIENT_TYPES)}),
        );
    }
    if draw.percent(70) {
        body.insert("payment_term".into(), json!(draw.pick(PAYMENT_TERMS)));
    }
    if draw.percent(25) {
        body.insert(
            "address_line_2".into(),
            json!(format!("Suite {}", 100 + draw.below(900))),
        );
    }
    if draw.percent(30) {
        body.insert(
            "fein".into(),
            json!(format!("{}-{}", draw.digits(2), draw.digits(7))),
        );
    }
    if draw.percent(15) {
        body.insert("tax_exempt".into(), json!(true));
    }
    if draw.percent(20) {
        body.insert("notes".into(), json!(draw.pick(NOTES)));
    }
    let tags = draw.tags(3);
    if !tags.is_empty() {
        body.insert("tags".into(), json!(tags));
    }
    let mut custom = Map::new();
    if draw.percent(75) {
        custom.insert("Region".into(), json!(draw.pick(REGIONS)));
    }
    if draw.percent(60) {
        custom.insert(
            "Account Number".into(),
            json!(format!("AC-{}", draw.digits(6))),
        );
    }
    if draw.percent(50) {
        custom.insert("Credit Limit".into(), json!((1 + draw.below(50)) * 1000));
    }
    if draw.percent(40) {
        custom.insert(
            "Customer Since".into(),
            json!(format!(
                "{}-{:02}-{:02}",
                2005 + draw.below(20),
                1 + draw.below(12),
                1 + draw.below(28)
            )),
        );
    }
    if !custom.is_empty() {
        body.insert("custom_fields".into(), Value::Object(custom));
    }
    let addresses = draw.below(3);
    if addresses > 0 {
        let list: Vec<Value> = (0..addresses)
            .map(|n| {
                let (city, state, zip) = draw.pick(CITIES);
                json!({
                    "first_name": draw.pick(FIRST_NAMES),
                    "last_name": draw.pick(LAST_NAMES),
                    "phone": draw.phone(),
                    "address_1": format!("{} {}", 1 + draw.below(9999), draw.pick(STREETS)),
                    "city": city,
                    "state": state,
                    "zip": format!("{zip}{}", draw.digits(2)),
                    "country": "USA",
                    "is_default": n == 0,
                })
            })
            .collect();
        body.insert("shipping_addresses".into(), Value::Array(list));
    }
    // Some companies belong to an earlier top-level one (one level deep: no long chains).
    let parent = (!top_level.is_empty() && draw.percent(15)).then(|| draw.pick(top_level));
    SeedCompany { body, parent }
}

fn contact(draw: &mut Draw, i: usize, companies: usize, names: &[String]) -> SeedContact {
    let first = draw.pick(FIRST_NAMES);
    let last = draw.pick(LAST_NAMES);
    let primary = draw.below(companies);
    let mut linked = vec![primary];
    let extra = if draw.percent(35) {
        1 + draw.below(2)
    } else {
        0
    };
    for _ in 0..extra {
        let other = draw.below(companies);
        if !linked.contains(&other) {
            linked.push(other);
        }
    }
    let mut body = object(json!({
        "first_name": first,
        "last_name": last,
        // The index keeps addresses unique within one seed.
        "email": format!("{}.{}{}@{}", ascii_local(first), ascii_local(last), i + 1, domain_of(&names[primary])),
        "phone_1": draw.phone(),
    }));
    if draw.percent(30) {
        body.insert("phone_2".into(), json!(draw.phone()));
    }
    if draw.percent(20) {
        body.insert("receive_quotation_pdf".into(), json!(true));
    }
    if draw.percent(10) {
        body.insert("receive_purchase_order_pdf".into(), json!(true));
    }
    let tags = draw.tags(2);
    if !tags.is_empty() {
        body.insert("tags".into(), json!(tags));
    }
    SeedContact {
        body,
        companies: linked,
    }
}

/// The companies and contacts of `seed`: `companies` companies, then `contacts` contacts (which
/// need at least one company; with none, no contacts are made). The first contact of each company
/// (as its primary company) is that company's primary contact.
pub fn plan(seed: u64, companies: usize, contacts: usize) -> SeedPlan {
    let mut draw = Draw::new(seed);
    let mut made = Vec::with_capacity(companies);
    let mut top_level = Vec::new();
    for i in 0..companies {
        let c = company(&mut draw, i, &top_level);
        if c.parent.is_none() {
            top_level.push(i);
        }
        made.push(c);
    }
    let names: Vec<String> = made
        .iter()
        .map(|c| c.body["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut has_primary = vec![false; companies];
    let mut people = Vec::with_capacity(if companies == 0 { 0 } else { contacts });
    if companies > 0 {
        for i in 0..contacts {
            let mut c = contact(&mut draw, i, companies, &names);
            let primary = c.companies[0];
            if !has_primary[primary] {
                has_primary[primary] = true;
                c.body.insert("is_primary".into(), json!(true));
            }
            people.push(c);
        }
    }
    SeedPlan {
        companies: made,
        contacts: people,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generator's output stream is fixed: a change here (a dependency upgrade, a new draw
    /// order) changes every seeded tenant, so it must be deliberate.
    #[test]
    fn the_stream_of_a_seed_is_pinned() {
        let mut draw = Draw::new(42);
        let firsts: Vec<usize> = (0..6).map(|_| draw.below(1000)).collect();
        let mut again = Draw::new(42);
        assert_eq!(
            firsts,
            (0..6).map(|_| again.below(1000)).collect::<Vec<_>>()
        );
        assert_eq!(firsts, PINNED_42);
        let other: Vec<usize> = {
            let mut d = Draw::new(43);
            (0..6).map(|_| d.below(1000)).collect()
        };
        assert_ne!(firsts, other);
    }

    const PINNED_42: [usize; 6] = [348, 285, 493, 367, 825, 67];

    #[test]
    fn the_same_seed_plans_the_same_records() {
        let a = plan(7, 30, 100);
        assert_eq!(a, plan(7, 30, 100));
        assert_ne!(a, plan(8, 30, 100));
        assert_eq!((a.companies.len(), a.contacts.len()), (30, 100));
        // A prefix of a larger plan is not promised, but the companies come first, drawn alone.
        assert_eq!(plan(7, 30, 5).companies, a.companies);
    }

    #[test]
    fn plans_are_varied_and_well_formed() {
        let p = plan(1, 40, 300);
        let names: std::collections::HashSet<&str> = p
            .companies
            .iter()
            .filter_map(|c| c.body["name"].as_str())
            .collect();
        assert_eq!(names.len(), 40, "company names repeat");
        let emails: std::collections::HashSet<&str> = p
            .contacts
            .iter()
            .filter_map(|c| c.body["email"].as_str())
            .collect();
        assert_eq!(emails.len(), 300);
        assert!(
            emails
                .iter()
                .all(|e| crate::domain::input::is_valid_email(e))
        );
        assert!(p.contacts.iter().any(|c| c.companies.len() > 1));
        assert!(p.contacts.iter().any(|c| c.body.contains_key("tags")));
        assert!(p.contacts.iter().any(|c| c.body.contains_key("is_primary")));
        assert!(p.companies.iter().any(|c| c.parent.is_some()));
        assert!(
            p.companies
                .iter()
                .any(|c| c.body.contains_key("custom_fields"))
        );
        assert!(
            p.companies
                .iter()
                .any(|c| c.body.contains_key("shipping_addresses"))
        );
        for c in &p.companies {
            if let Some(parent) = c.parent {
                assert!(p.companies[parent].parent.is_none());
            }
        }
        assert!(plan(1, 0, 10).contacts.is_empty());
    }
}
