//! Contacts: what a request may say (§4.2, §4.4), the rules that turn a stored contact and a patch
//! into the new contact, and the object the API returns (§4.1).

pub mod list;

pub use list::ContactListField;

use serde::Serialize;
use serde_json::{Map, Value};

use super::errors::ValidationErrors;
use super::input::{
    Body, Email, MAX_STRING, Name, Password, Patch, dedupe_ids, dedupe_names, label, read_integer,
};
use super::limits::{MAX_COMPANY_IDS, MAX_TAGS_PER_REQUEST, too_many_items};
use super::{Tag, Timestamp};

/// The plain fields of a contact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactFields {
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_1: Option<String>,
    pub phone_2: Option<String>,
    pub receiving_bank_name: Option<String>,
    pub receiving_bank_address: Option<String>,
}

impl ContactFields {
    /// First and last name joined by one space; the first name alone without a last name.
    pub fn full_name(&self) -> String {
        match &self.last_name {
            Some(last) => format!("{} {}", self.first_name, last),
            None => self.first_name.clone(),
        }
    }
}

/// The flags of one company link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkFlags {
    /// This contact is the primary contact of the linked company.
    pub is_primary: bool,
    pub receive_quotation_pdf: bool,
    pub receive_purchase_order_pdf: bool,
    pub receive_purchase_order_invoice_pdf: bool,
}

/// Flags a request sets on the primary link; `None` leaves one as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlagsPatch {
    pub is_primary: Option<bool>,
    pub receive_quotation_pdf: Option<bool>,
    pub receive_purchase_order_pdf: Option<bool>,
    pub receive_purchase_order_invoice_pdf: Option<bool>,
}

impl FlagsPatch {
    fn read(body: &mut Body<'_>) -> Self {
        // `null` sets a flag to false (§4.4).
        let mut flag = |key: &str| match body.boolean(key) {
            Patch::Absent => None,
            Patch::Null => Some(false),
            Patch::Set(b) => Some(b),
        };
        Self {
            is_primary: flag("is_primary"),
            receive_quotation_pdf: flag("receive_quotation_pdf"),
            receive_purchase_order_pdf: flag("receive_purchase_order_pdf"),
            receive_purchase_order_invoice_pdf: flag("receive_purchase_order_invoice_pdf"),
        }
    }

    pub fn apply(&self, flags: &mut LinkFlags) {
        if let Some(v) = self.is_primary {
            flags.is_primary = v;
        }
        if let Some(v) = self.receive_quotation_pdf {
            flags.receive_quotation_pdf = v;
        }
        if let Some(v) = self.receive_purchase_order_pdf {
            flags.receive_purchase_order_pdf = v;
        }
        if let Some(v) = self.receive_purchase_order_invoice_pdf {
            flags.receive_purchase_order_invoice_pdf = v;
        }
    }
}

/// A link from a contact to a company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub company_id: i64,
    pub flags: LinkFlags,
}

/// Which companies a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompanyChange {
    /// `company_id`: make this the primary company, dropping the old primary link.
    Move(i64),
    /// `company_ids`: exactly these links. Each id keeps its index in the request, for error paths.
    Replace(Vec<(usize, i64)>),
}

impl CompanyChange {
    /// Each requested id with the field path an unknown id is reported on.
    pub fn ids_with_paths(&self) -> Vec<(i64, String)> {
        match self {
            CompanyChange::Move(id) => vec![(*id, "company_id".to_owned())],
            CompanyChange::Replace(ids) => ids
                .iter()
                .map(|(i, id)| (*id, format!("company_ids.{i}")))
                .collect(),
        }
    }

    /// The requested ids without repeats, in request order; the first is the primary.
    fn ids(&self) -> Vec<i64> {
        match self {
            CompanyChange::Move(id) => vec![*id],
            CompanyChange::Replace(ids) => dedupe_ids(ids.iter().map(|(_, id)| *id).collect()),
        }
    }
}

/// The messages of the contact rules that only the store can check.
pub const LOGIN_EMAIL_TAKEN: &str = "The email has already been taken by another portal login.";
/// A 409: the password was not hashed because a login e-mail conflict seen before the write has
/// gone since; the client may simply retry.
pub const LOGIN_CHANGED_MEANWHILE: &str =
    "The portal login email changed while the request ran; please retry.";
const EMAIL_REQUIRED_WITH_PASSWORD: &str = "The email field is required when password is present.";
const NO_EMAIL_FOR_LOGIN: &str = "The contact must have an email to get a portal login.";

/// What only the store can tell about a contact body, gathered inside the write transaction.
#[derive(Debug, Clone, Default)]
pub struct ContactChecks {
    /// Requested company ids that are not companies of the tenant.
    pub missing_companies: Vec<i64>,
    /// Another contact's portal login already uses the e-mail this contact's login would get.
    pub login_email_taken: bool,
}

/// The 422 when a requested company was deleted by a concurrent request after the check saw it:
/// the check's answer, on the field the request used.
pub fn companies_gone(change: Option<&CompanyChange>) -> ValidationErrors {
    let field = match change {
        Some(CompanyChange::Replace(_)) => "company_ids",
        _ => "company_id",
    };
    ValidationErrors::single(field, format!("The selected {} is invalid.", label(field)))
}

/// A 422 for each requested company id that is not a company of the tenant, on the path it was
/// sent under (`company_id`, `company_ids.N`).
fn report_missing_companies(
    change: Option<&CompanyChange>,
    missing: &[i64],
    errors: &mut ValidationErrors,
) {
    let Some(change) = change.filter(|_| !missing.is_empty()) else {
        return;
    };
    for (id, path) in change.ids_with_paths() {
        if missing.contains(&id) {
            errors.add(&path, format!("The selected {} is invalid.", label(&path)));
        }
    }
}

/// A valid `POST /contacts`: made only by [`NewContactDraft::finish`].
#[derive(Debug, Clone)]
pub struct NewContact {
    pub fields: ContactFields,
    /// The companies as requested (for the error of a company deleted meanwhile).
    pub companies: CompanyChange,
    pub links: Links,
    pub tags: Vec<String>,
    /// The portal login to create: the contact's e-mail and the password sent.
    pub login: Option<(Email, Password)>,
}

/// A `POST /contacts` body as read: every well-formed field, and what was wrong with the rest.
#[derive(Debug, Clone)]
pub struct NewContactDraft {
    first_name: Option<Name>,
    email: Option<Email>,
    others: OtherFields,
    companies: Option<CompanyChange>,
    flags: FlagsPatch,
    tags: Vec<String>,
    password: Option<Password>,
    errors: ValidationErrors,
}

/// The optional plain fields of a new contact.
#[derive(Debug, Clone, Default)]
struct OtherFields {
    last_name: Option<String>,
    phone_1: Option<String>,
    phone_2: Option<String>,
    receiving_bank_name: Option<String>,
    receiving_bank_address: Option<String>,
}

impl NewContactDraft {
    /// The errors reading the body found.
    pub fn errors(&self) -> &ValidationErrors {
        &self.errors
    }

    pub fn parse(object: &Map<String, Value>) -> Self {
        let mut body = Body::new(object);
        let first_name = body.name("first_name", true);
        let last_name = body.string("last_name", MAX_STRING).into_option();
        let email = body.email("email").into_option();
        let phone_1 = body.string("phone_1", MAX_STRING).into_option();
        let phone_2 = body.string("phone_2", MAX_STRING).into_option();
        let receiving_bank_name = body.string("receiving_bank_name", MAX_STRING).into_option();
        let receiving_bank_address = body
            .string("receiving_bank_address", MAX_STRING)
            .into_option();
        let companies = read_companies(&mut body, true);
        let flags = FlagsPatch::read(&mut body);
        let tags = read_tags(&mut body).into_option().unwrap_or_default();
        let password = body.password("password").into_option();
        if password.is_some() && email.is_none() && !body.errors.has("email") {
            body.error("email", EMAIL_REQUIRED_WITH_PASSWORD);
        }
        Self {
            first_name,
            email,
            others: OtherFields {
                last_name,
                phone_1,
                phone_2,
                receiving_bank_name,
                receiving_bank_address,
            },
            companies,
            flags,
            tags,
            password,
            errors: body.errors,
        }
    }

    /// True when reading the body found nothing wrong (the store's checks are still to come).
    pub fn is_well_formed(&self) -> bool {
        self.errors.is_empty()
    }

    /// The e-mail the portal login would get, when a password was sent.
    pub fn login_email(&self) -> Option<&Email> {
        self.password.as_ref().and(self.email.as_ref())
    }

    pub fn password(&self) -> Option<&Password> {
        self.password.as_ref()
    }

    /// The company ids the store must find.
    pub fn company_ids(&self) -> Vec<i64> {
        requested_ids(self.companies.as_ref())
    }

    /// The contact, or every error the body and the checks found, in the order found.
    pub fn finish(self, checks: &ContactChecks) -> Result<NewContact, ValidationErrors> {
        let wants_login = self.login_email().is_some();
        let mut errors = self.errors;
        report_missing_companies(
            self.companies.as_ref(),
            &checks.missing_companies,
            &mut errors,
        );
        if checks.login_email_taken && wants_login {
            errors.add("email", LOGIN_EMAIL_TAKEN);
        }
        let links = self
            .companies
            .as_ref()
            .and_then(|change| Links::new(change, &self.flags));
        let (Some(first_name), Some(companies), Some(links), true) =
            (self.first_name, self.companies, links, errors.is_empty())
        else {
            if errors.is_empty() {
                errors.add("company_id", "The company id field is required.");
            }
            return Err(errors);
        };
        let login = match (self.email.clone(), self.password) {
            (Some(email), Some(password)) => Some((email, password)),
            _ => None,
        };
        let o = self.others;
        Ok(NewContact {
            fields: ContactFields {
                first_name: first_name.into_string(),
                last_name: o.last_name,
                email: self.email.map(Email::into_string),
                phone_1: o.phone_1,
                phone_2: o.phone_2,
                receiving_bank_name: o.receiving_bank_name,
                receiving_bank_address: o.receiving_bank_address,
            },
            companies,
            links,
            tags: self.tags,
            login,
        })
    }
}

fn requested_ids(change: Option<&CompanyChange>) -> Vec<i64> {
    change.map_or_else(Vec::new, |c| {
        c.ids_with_paths().into_iter().map(|(id, _)| id).collect()
    })
}

/// `POST /contacts/{id}`: absent fields keep their value.
#[derive(Debug, Clone, Default)]
pub struct ContactPatch {
    pub first_name: Option<Name>,
    pub last_name: Patch<String>,
    pub email: Patch<Email>,
    pub phone_1: Patch<String>,
    pub phone_2: Patch<String>,
    pub receiving_bank_name: Patch<String>,
    pub receiving_bank_address: Patch<String>,
    pub companies: Option<CompanyChange>,
    pub flags: FlagsPatch,
    /// `Some(names)` replaces the tags; `Some(vec![])` removes them all.
    pub tags: Option<Vec<String>>,
    pub password: Option<Password>,
}

/// A `POST /contacts/{id}` body as read, and what was wrong with it.
#[derive(Debug, Clone)]
pub struct ContactPatchDraft {
    patch: ContactPatch,
    errors: ValidationErrors,
}

impl ContactPatchDraft {
    /// The errors reading the body found.
    pub fn errors(&self) -> &ValidationErrors {
        &self.errors
    }

    pub fn parse(object: &Map<String, Value>) -> Self {
        let mut body = Body::new(object);
        let first_name = body.name("first_name", false);
        let last_name = body.string("last_name", MAX_STRING);
        let email = body.email("email");
        let phone_1 = body.string("phone_1", MAX_STRING);
        let phone_2 = body.string("phone_2", MAX_STRING);
        let receiving_bank_name = body.string("receiving_bank_name", MAX_STRING);
        let receiving_bank_address = body.string("receiving_bank_address", MAX_STRING);
        let companies = read_companies(&mut body, false);
        let flags = FlagsPatch::read(&mut body);
        let tags = match read_tags(&mut body) {
            Patch::Absent => None,
            Patch::Null => Some(Vec::new()),
            Patch::Set(names) => Some(names),
        };
        let password = body.password("password").into_option();
        Self {
            patch: ContactPatch {
                first_name,
                last_name,
                email,
                phone_1,
                phone_2,
                receiving_bank_name,
                receiving_bank_address,
                companies,
                flags,
                tags,
                password,
            },
            errors: body.errors,
        }
    }

    pub fn is_well_formed(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn patch(&self) -> &ContactPatch {
        &self.patch
    }

    /// The company ids the store must find.
    pub fn company_ids(&self) -> Vec<i64> {
        requested_ids(self.patch.companies.as_ref())
    }

    /// Applies the patch to the stored contact (§4.4). The login e-mail conflict is the last
    /// check: which e-mail to check depends on the plan.
    pub fn plan(self, current: &ContactState, missing_companies: &[i64]) -> PlannedUpdate {
        let mut errors = self.errors;
        report_missing_companies(
            self.patch.companies.as_ref(),
            missing_companies,
            &mut errors,
        );
        let plan = plan_update(current, &self.patch, &mut errors);
        PlannedUpdate { plan, errors }
    }
}

/// An update applied to the stored contact, before the login e-mail is checked.
#[derive(Debug, Clone)]
pub struct PlannedUpdate {
    plan: UpdatePlan,
    errors: ValidationErrors,
}

impl PlannedUpdate {
    /// The e-mail the login gets, when it changes: no other contact's login may use it.
    pub fn login_email(&self) -> Option<&str> {
        match &self.plan.login {
            LoginChange::SetPassword { email, .. } | LoginChange::MoveEmail { email } => {
                Some(email)
            }
            LoginChange::None => None,
        }
    }

    pub fn finish(self, login_email_taken: bool) -> Result<UpdatePlan, ValidationErrors> {
        let mut errors = self.errors;
        if login_email_taken && self.plan.login != LoginChange::None {
            errors.add("email", LOGIN_EMAIL_TAKEN);
        }
        if errors.is_empty() {
            Ok(self.plan)
        } else {
            Err(errors)
        }
    }
}

/// `{"password": ...}` of the two portal-password endpoints, as read.
#[derive(Debug, Clone)]
pub struct PasswordDraft {
    password: Option<Password>,
    errors: ValidationErrors,
}

impl PasswordDraft {
    /// The errors reading the body found.
    pub fn errors(&self) -> &ValidationErrors {
        &self.errors
    }

    pub fn parse(object: &Map<String, Value>) -> Self {
        let mut body = Body::new(object);
        let password = body.password("password").into_option();
        if password.is_none() && !body.errors.has("password") {
            body.required("password");
        }
        Self {
            password,
            errors: body.errors,
        }
    }

    pub fn is_well_formed(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn password(&self) -> Option<&Password> {
        self.password.as_ref()
    }

    /// The login to write for a contact whose e-mail is `email`: it needs one, and no other
    /// contact's login may use it.
    pub fn finish(
        self,
        email: Option<&str>,
        login_email_taken: bool,
    ) -> Result<(String, Password), ValidationErrors> {
        let mut errors = self.errors;
        match email {
            None => errors.add("email", NO_EMAIL_FOR_LOGIN),
            Some(_) if login_email_taken => errors.add("email", LOGIN_EMAIL_TAKEN),
            Some(_) => {}
        }
        match (email, self.password, errors.is_empty()) {
            (Some(email), Some(password), true) => Ok((email.to_owned(), password)),
            _ => Err(errors),
        }
    }
}

/// Reads `company_id` / `company_ids` by the rules shared by create and update.
fn read_companies(body: &mut Body<'_>, required: bool) -> Option<CompanyChange> {
    let has_one = body.has("company_id");
    let has_many = body.has("company_ids");
    if has_one && has_many {
        body.error(
            "company_ids",
            "The company ids field prohibits company id from being present.",
        );
        return None;
    }
    if has_many {
        return match body.raw("company_ids") {
            Some(Value::Array(items)) if items.len() > MAX_COMPANY_IDS => {
                body.error(
                    "company_ids",
                    too_many_items("company ids", MAX_COMPANY_IDS),
                );
                None
            }
            Some(Value::Array(items)) if !items.is_empty() => {
                // Well-formed ids are kept even when others are not, so that unknown ones are
                // reported in the same response.
                let mut ids = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let path = format!("company_ids.{i}");
                    match read_integer(item, &path, &mut body.errors) {
                        Patch::Set(id) => ids.push((i, id)),
                        Patch::Null => {
                            body.error(&path, format!("The {path} field must be an integer."))
                        }
                        Patch::Absent => {}
                    }
                }
                Some(CompanyChange::Replace(ids))
            }
            Some(Value::Array(_) | Value::Null) => {
                body.error(
                    "company_ids",
                    "The company ids field must have at least 1 item.",
                );
                None
            }
            _ => {
                body.error("company_ids", "The company ids field must be an array.");
                None
            }
        };
    }
    match body.integer("company_id") {
        Patch::Set(id) => Some(CompanyChange::Move(id)),
        Patch::Null => {
            body.required("company_id");
            None
        }
        Patch::Absent => {
            if required && !body.errors.has("company_id") {
                body.required("company_id");
            }
            None
        }
    }
}

fn read_tags(body: &mut Body<'_>) -> Patch<Vec<String>> {
    match body.string_array("tags", MAX_STRING, MAX_TAGS_PER_REQUEST) {
        Patch::Set(names) => Patch::Set(dedupe_names(names)),
        other => other,
    }
}

/// The company links of a contact: the primary company and every link in link order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    pub primary_company_id: i64,
    pub links: Vec<Link>,
}

impl Links {
    /// The links a new contact gets.
    /// `change` must name at least one company (the parser guarantees it for valid bodies).
    pub fn new(change: &CompanyChange, flags: &FlagsPatch) -> Option<Self> {
        let ids = change.ids();
        let primary_company_id = *ids.first()?;
        let mut links: Vec<Link> = ids
            .into_iter()
            .map(|company_id| Link {
                company_id,
                flags: LinkFlags::default(),
            })
            .collect();
        if let Some(primary) = links.first_mut() {
            flags.apply(&mut primary.flags);
        }
        Some(Self {
            primary_company_id,
            links,
        })
    }

    /// Applies `company_id` / `company_ids` (§4.4) and then the flags, which act on the primary link.
    pub fn change(&self, change: Option<&CompanyChange>, flags: &FlagsPatch) -> Self {
        let mut next = self.clone();
        match change {
            None => {}
            Some(CompanyChange::Move(id)) if *id == self.primary_company_id => {}
            Some(CompanyChange::Move(id)) => {
                next.links
                    .retain(|l| l.company_id != self.primary_company_id);
                if !next.links.iter().any(|l| l.company_id == *id) {
                    next.links.push(Link {
                        company_id: *id,
                        flags: LinkFlags::default(),
                    });
                }
                next.primary_company_id = *id;
            }
            Some(change @ CompanyChange::Replace(_)) => {
                let ids = change.ids();
                // Links that stay keep their place (the order linked); new ones follow in request order.
                next.links.retain(|l| ids.contains(&l.company_id));
                for id in &ids {
                    if !next.links.iter().any(|l| l.company_id == *id) {
                        next.links.push(Link {
                            company_id: *id,
                            flags: LinkFlags::default(),
                        });
                    }
                }
                if !ids.contains(&self.primary_company_id)
                    && let Some(first) = ids.first()
                {
                    next.primary_company_id = *first;
                }
            }
        }
        if let Some(primary) = next
            .links
            .iter_mut()
            .find(|l| l.company_id == next.primary_company_id)
        {
            flags.apply(&mut primary.flags);
        }
        next
    }

    pub fn primary(&self) -> Option<&Link> {
        self.links
            .iter()
            .find(|l| l.company_id == self.primary_company_id)
    }
}

/// Everything about a stored contact that an update may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactState {
    pub fields: ContactFields,
    pub links: Links,
    /// Tag names, as the request or the store spells them; compared case-insensitively.
    pub tags: Vec<String>,
    /// The portal login's email, if the contact has a login.
    pub login_email: Option<String>,
}

/// What the store must do to the portal login after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginChange {
    None,
    /// Create the login or set a new password; the login's email becomes `email`.
    SetPassword {
        email: String,
        password: Password,
    },
    /// The contact's email changed: the login follows it.
    MoveEmail {
        email: String,
    },
}

/// The outcome of applying a patch: the new state and what to do to the login.
#[derive(Debug, Clone)]
pub struct UpdatePlan {
    pub state: ContactState,
    pub login: LoginChange,
}

impl UpdatePlan {
    pub fn changes(&self, before: &ContactState) -> bool {
        self.state != *before || self.login != LoginChange::None
    }
}

/// §4.4: the new state of a contact, or the rule it breaks. Company ids must already have been
/// checked to exist (the store does that); login email conflicts are checked by the store too,
/// against the email this plan gives the login.
pub fn plan_update(
    current: &ContactState,
    patch: &ContactPatch,
    errors: &mut ValidationErrors,
) -> UpdatePlan {
    let f = &current.fields;
    let fields = ContactFields {
        first_name: patch
            .first_name
            .as_ref()
            .map_or_else(|| f.first_name.clone(), |n| n.as_str().to_owned()),
        last_name: patch.last_name.clone().apply(f.last_name.clone()),
        email: match &patch.email {
            Patch::Absent => f.email.clone(),
            Patch::Null => None,
            Patch::Set(email) => Some(email.as_str().to_owned()),
        },
        phone_1: patch.phone_1.clone().apply(f.phone_1.clone()),
        phone_2: patch.phone_2.clone().apply(f.phone_2.clone()),
        receiving_bank_name: patch
            .receiving_bank_name
            .clone()
            .apply(f.receiving_bank_name.clone()),
        receiving_bank_address: patch
            .receiving_bank_address
            .clone()
            .apply(f.receiving_bank_address.clone()),
    };
    let links = current.links.change(patch.companies.as_ref(), &patch.flags);
    let tags = match &patch.tags {
        Some(names) if same_names(names, &current.tags) => current.tags.clone(),
        Some(names) => names.clone(),
        None => current.tags.clone(),
    };
    let mut login_email = current.login_email.clone();
    let login = match (&patch.password, &fields.email) {
        (Some(_), None) => {
            if !errors.has("email") {
                errors.add("email", EMAIL_REQUIRED_WITH_PASSWORD);
            }
            LoginChange::None
        }
        (Some(password), Some(email)) => {
            login_email = Some(email.clone());
            LoginChange::SetPassword {
                email: email.clone(),
                password: password.clone(),
            }
        }
        (None, email) => match (&current.login_email, email) {
            (None, _) => LoginChange::None,
            (Some(_), None) => {
                errors.add(
                    "email",
                    "The email field cannot be cleared while the contact has a portal login.",
                );
                LoginChange::None
            }
            (Some(old), Some(new)) if old == new => LoginChange::None,
            (Some(_), Some(new)) => {
                login_email = Some(new.clone());
                LoginChange::MoveEmail { email: new.clone() }
            }
        },
    };
    UpdatePlan {
        state: ContactState {
            fields,
            links,
            tags,
            login_email,
        },
        login,
    }
}

/// True when two tag lists name the same tags, ignoring case and order.
pub fn same_names(a: &[String], b: &[String]) -> bool {
    let key = |v: &[String]| {
        let mut k: Vec<String> = v.iter().map(|s| s.to_lowercase()).collect();
        k.sort();
        k.dedup();
        k
    };
    key(a) == key(b)
}

/// `{"id": "<string>", "name": ...}` of the primary company.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CompanyRef {
    #[serde(serialize_with = "super::id_as_string")]
    #[schema(value_type = String, example = "1")]
    pub id: i64,
    pub name: String,
}

/// One element of `companies`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactCompany {
    pub id: i64,
    pub name: String,
    pub is_primary: bool,
    pub receive_quotation_pdf: bool,
    pub receive_purchase_order_pdf: bool,
    pub receive_purchase_order_invoice_pdf: bool,
}

/// The stored parts a contact object is built from.
#[derive(Debug, Clone)]
pub struct ContactParts {
    pub id: i64,
    pub status: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub fields: ContactFields,
    /// As stored (written from [`ContactFields::full_name`]).
    pub full_name: String,
    pub primary_company_id: i64,
    pub has_portal_login: bool,
    /// The linked companies in link order.
    pub companies: Vec<ContactCompany>,
    pub tags: Vec<Tag>,
}

impl Contact {
    /// The §4.1 object: the primary company first in `companies`, and its link flattened into
    /// the top-level `company`/`is_primary`/`receive_*` fields.
    pub fn new(p: ContactParts) -> Self {
        let mut companies = p.companies;
        if let Some(pos) = companies.iter().position(|l| l.id == p.primary_company_id) {
            let primary = companies.remove(pos);
            companies.insert(0, primary);
        }
        let primary = companies
            .first()
            .filter(|l| l.id == p.primary_company_id)
            .cloned();
        let flag = |get: fn(&ContactCompany) -> bool| primary.as_ref().is_some_and(get);
        let f = p.fields;
        Contact {
            id: p.id,
            created_at: p.created_at,
            updated_at: p.updated_at,
            status: p.status,
            first_name: f.first_name,
            last_name: f.last_name,
            email: f.email,
            phone: f.phone_1.clone(),
            phone_1: f.phone_1,
            phone_2: f.phone_2,
            full_name: p.full_name,
            receiving_bank_name: f.receiving_bank_name,
            receiving_bank_address: f.receiving_bank_address,
            company_id: primary.as_ref().map(|l| l.id),
            company: primary.as_ref().map(|l| CompanyRef {
                id: l.id,
                name: l.name.clone(),
            }),
            is_primary: flag(|l| l.is_primary),
            receive_quotation_pdf: flag(|l| l.receive_quotation_pdf),
            receive_purchase_order_pdf: flag(|l| l.receive_purchase_order_pdf),
            receive_purchase_order_invoice_pdf: flag(|l| l.receive_purchase_order_invoice_pdf),
            has_portal_login: p.has_portal_login,
            companies,
            tags: p.tags,
        }
    }
}

/// The contact object of §4.1, in the reference's field order.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Contact {
    #[serde(serialize_with = "super::id_as_string")]
    #[schema(value_type = String, example = "1")]
    pub id: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub status: String,
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub phone_1: Option<String>,
    pub phone_2: Option<String>,
    pub full_name: String,
    pub receiving_bank_name: Option<String>,
    pub receiving_bank_address: Option<String>,
    #[serde(serialize_with = "super::opt_id_as_string")]
    #[schema(value_type = Option<String>, example = "1")]
    pub company_id: Option<i64>,
    pub company: Option<CompanyRef>,
    pub is_primary: bool,
    pub receive_quotation_pdf: bool,
    pub receive_purchase_order_pdf: bool,
    pub receive_purchase_order_invoice_pdf: bool,
    pub has_portal_login: bool,
    pub companies: Vec<ContactCompany>,
    pub tags: Vec<Tag>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn link(company_id: i64) -> Link {
        Link {
            company_id,
            flags: LinkFlags::default(),
        }
    }

    fn state(primary: i64, linked: &[i64]) -> ContactState {
        ContactState {
            fields: ContactFields {
                first_name: "Ann".into(),
                email: Some("a@x.io".into()),
                ..Default::default()
            },
            links: Links {
                primary_company_id: primary,
                links: linked.iter().map(|id| link(*id)).collect(),
            },
            tags: vec!["vip".into()],
            login_email: None,
        }
    }

    fn ids(l: &Links) -> Vec<i64> {
        l.links.iter().map(|l| l.company_id).collect()
    }

    #[test]
    fn full_name_joins_with_one_space() {
        let mut f = ContactFields {
            first_name: "John".into(),
            ..Default::default()
        };
        assert_eq!(f.full_name(), "John");
        f.last_name = Some("Smith".into());
        assert_eq!(f.full_name(), "John Smith");
    }

    #[test]
    fn create_requires_first_name_and_one_company_field() {
        let p = NewContactDraft::parse(&obj(json!({})));
        assert!(p.errors.has("first_name"));
        assert!(p.errors.has("company_id"));
        let p = NewContactDraft::parse(&obj(
            json!({"first_name": "A", "company_id": 1, "company_ids": [1]}),
        ));
        assert!(p.errors.has("company_ids"));
        assert!(!p.errors.has("company_id"));
    }

    #[test]
    fn create_with_password_needs_email() {
        let p = NewContactDraft::parse(&obj(
            json!({"first_name": "A", "company_id": 1, "password": "longenough"}),
        ));
        assert!(p.errors.has("email"));
    }

    #[test]
    fn move_replaces_the_primary_link() {
        let s = state(1, &[1, 2]);
        let next = s
            .links
            .change(Some(&CompanyChange::Move(3)), &FlagsPatch::default());
        assert_eq!(next.primary_company_id, 3);
        assert_eq!(ids(&next), [2, 3]);
    }

    #[test]
    fn move_to_an_already_linked_company_drops_the_old_primary() {
        let s = state(1, &[1, 2]);
        let next = s
            .links
            .change(Some(&CompanyChange::Move(2)), &FlagsPatch::default());
        assert_eq!(next.primary_company_id, 2);
        assert_eq!(ids(&next), [2]);
    }

    #[test]
    fn replace_keeps_primary_when_listed_else_first() {
        let s = state(2, &[1, 2]);
        let kept = s.links.change(
            Some(&CompanyChange::Replace(vec![(0, 3), (1, 2), (2, 3)])),
            &FlagsPatch::default(),
        );
        assert_eq!(kept.primary_company_id, 2);
        assert_eq!(ids(&kept), [2, 3]);
        let moved = s.links.change(
            Some(&CompanyChange::Replace(vec![(0, 4), (1, 5)])),
            &FlagsPatch::default(),
        );
        assert_eq!(moved.primary_company_id, 4);
    }

    #[test]
    fn reordering_the_same_companies_changes_nothing() {
        let s = state(1, &[1, 2]);
        let same = s.links.change(
            Some(&CompanyChange::Replace(vec![(0, 2), (1, 1)])),
            &FlagsPatch::default(),
        );
        assert_eq!(same, s.links);
    }

    #[test]
    fn malformed_company_ids_keep_the_well_formed_ones() {
        let p =
            NewContactDraft::parse(&obj(json!({"first_name": "A", "company_ids": [5, "x", 7]})));
        assert!(p.errors.has("company_ids.1"));
        assert_eq!(
            p.companies,
            Some(CompanyChange::Replace(vec![(0, 5), (2, 7)]))
        );
    }

    #[test]
    fn flags_apply_to_the_primary_link_and_null_means_false() {
        let mut s = state(1, &[1, 2]);
        s.links.links[0].flags.receive_quotation_pdf = true;
        let p = ContactPatchDraft::parse(&obj(
            json!({"receive_quotation_pdf": null, "is_primary": "1"}),
        ));
        assert!(p.errors.is_empty());
        let mut errors = ValidationErrors::new();
        let plan = plan_update(&s, &p.patch, &mut errors);
        let primary = plan.state.links.primary().copied().map(|l| l.flags);
        assert_eq!(
            primary,
            Some(LinkFlags {
                is_primary: true,
                ..Default::default()
            })
        );
        assert_eq!(plan.state.links.links[1].flags, LinkFlags::default());
    }

    #[test]
    fn update_rejects_clearing_first_name_and_company_id() {
        let p = ContactPatchDraft::parse(&obj(json!({"first_name": "  ", "company_id": null})));
        assert!(p.errors.has("first_name"));
        assert!(p.errors.has("company_id"));
    }

    #[test]
    fn password_needs_an_email_after_the_update() {
        let s = state(1, &[1]);
        let p = ContactPatchDraft::parse(&obj(json!({"email": null, "password": "longenough"})));
        let mut errors = p.errors;
        plan_update(&s, &p.patch, &mut errors);
        assert!(errors.has("email"));
    }

    #[test]
    fn login_follows_a_changed_email_and_blocks_clearing_it() {
        let mut s = state(1, &[1]);
        s.login_email = Some("a@x.io".into());
        let p = ContactPatchDraft::parse(&obj(json!({"email": "b@x.io"})));
        let mut errors = ValidationErrors::new();
        let plan = plan_update(&s, &p.patch, &mut errors);
        assert_eq!(
            plan.login,
            LoginChange::MoveEmail {
                email: "b@x.io".into()
            }
        );
        let p = ContactPatchDraft::parse(&obj(json!({"email": ""})));
        plan_update(&s, &p.patch, &mut errors);
        assert!(errors.has("email"));
    }

    #[test]
    fn a_draft_finishes_only_when_the_checks_pass_and_reports_them_in_order() {
        let body = obj(
            json!({"first_name": "A", "company_ids": [5, 7], "email": "a@x.io",
            "password": "longenough"}),
        );
        let checks = ContactChecks {
            missing_companies: vec![7],
            login_email_taken: true,
        };
        let errors = NewContactDraft::parse(&body).finish(&checks).err();
        let keys: Vec<String> = errors
            .map(|e| e.entries().iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default();
        assert_eq!(keys, ["company_ids.1", "email"]);
        let new = NewContactDraft::parse(&body).finish(&ContactChecks::default());
        let new = new
            .ok()
            .map(|n| (n.fields.first_name, n.links.primary_company_id));
        assert_eq!(new, Some(("A".to_owned(), 5)));
    }

    #[test]
    fn an_update_that_changes_nothing_is_detected() {
        let s = state(1, &[1]);
        let p = ContactPatchDraft::parse(&obj(
            json!({"first_name": "Ann", "tags": ["VIP"], "company_id": 1}),
        ));
        let mut errors = ValidationErrors::new();
        let plan = plan_update(&s, &p.patch, &mut errors);
        assert!(errors.is_empty());
        assert!(!plan.changes(&s));
    }

    #[test]
    fn the_primary_company_comes_first_and_is_flattened() {
        let link = |id: i64, is_primary: bool| ContactCompany {
            id,
            name: format!("Co {id}"),
            is_primary,
            receive_quotation_pdf: is_primary,
            receive_purchase_order_pdf: false,
            receive_purchase_order_invoice_pdf: false,
        };
        let parts = ContactParts {
            id: 9,
            status: "active".into(),
            created_at: Timestamp(1),
            updated_at: Timestamp(2),
            fields: ContactFields {
                first_name: "Ann".into(),
                phone_1: Some("555".into()),
                ..ContactFields::default()
            },
            full_name: "Ann".into(),
            primary_company_id: 2,
            has_portal_login: false,
            companies: vec![link(1, false), link(2, true), link(3, false)],
            tags: Vec::new(),
        };
        let c = Contact::new(parts.clone());
        let order: Vec<i64> = c.companies.iter().map(|l| l.id).collect();
        assert_eq!(order, [2, 1, 3]);
        assert_eq!(c.company_id, Some(2));
        assert_eq!(c.company.as_ref().map(|r| r.name.as_str()), Some("Co 2"));
        assert!(c.is_primary && c.receive_quotation_pdf && !c.receive_purchase_order_pdf);
        assert_eq!(
            (c.phone.as_deref(), c.phone_1.as_deref()),
            (Some("555"), Some("555"))
        );

        // A primary company that is not linked (any more) leaves the flattened fields empty.
        let c = Contact::new(ContactParts {
            primary_company_id: 7,
            ..parts
        });
        assert_eq!(c.company_id, None);
        assert!(c.company.is_none() && !c.is_primary);
    }
}
