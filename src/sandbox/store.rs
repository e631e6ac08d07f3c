//! The sandbox's in-memory Sailplay: profiles indexed by their unique
//! identifiers, and the four documented operations on them (info, add,
//! update, merge) with the documented error codes.
//!
//! This is the oracle the planner's simulator is tested against, so the
//! merge precedence is implemented here on its own, from the documentation
//! alone: `user_id`, `phone`, `email` come from **to**; `origin_user_id`,
//! the names, `birth_date` and `sex` from **from**; a value filled on one
//! side only survives. The fields the documentation is silent on follow
//! [`MergeRules`], whose defaults are the planner's defaults.
//!
//! Invariants: a `user_id` is held by exactly one profile; after `add`,
//! `update` or `merge` no two profiles share a phone, an email or an
//! origin_user_id. An export may already hold exact repeats of an
//! identifier (joined from several systems): such profiles load, lookups by
//! the shared value find the first one loaded, and the count is reported.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::ids::UserId;
use crate::profile::{Field, Profile};

/// `users/add`: one of the given identifiers is taken.
pub const USER_EXISTS: i64 = -5100;
/// `users/update`: `new_phone` belongs to another profile.
pub const PHONE_USED: i64 = -5102;
/// `users/update`: `new_email` belongs to another profile.
pub const EMAIL_USED: i64 = -5103;
/// `users/update`: `new_origin_user_id` belongs to another profile.
pub const ORIGIN_USER_ID_USED: i64 = -5122;
/// No profile answers to the identifier.
pub const USER_NOT_FOUND: i64 = -4000;
/// Missing or malformed parameters. The documentation gives no code for
/// these; the sandbox uses this one and says so in the message.
pub const INVALID_PARAMETERS: i64 = -1000;

/// A documented business error: answered with HTTP 200 and
/// `{"status": "error", "status_code", "message"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: i64,
    pub message: String,
}

impl ApiError {
    fn new(code: i64, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }

    fn not_found() -> ApiError {
        ApiError::new(USER_NOT_FOUND, "User not found")
    }

    fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(INVALID_PARAMETERS, message)
    }
}

/// The identifier kinds any operation may address a profile by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentifierKind {
    UserId,
    OriginUserId,
    Phone,
    Email,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    pub kind: IdentifierKind,
    pub value: String,
}

/// `register_date` when both profiles have one (the docs are silent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterDateRule {
    #[default]
    Earliest,
    Latest,
    To,
    From,
}

/// `points` when both profiles have a balance (the docs say the histories
/// are joined, so by default the balances add up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointsRule {
    #[default]
    Sum,
    To,
}

/// Custom attributes filled in both profiles (the docs are silent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeRule {
    #[default]
    To,
    From,
}

/// The sandbox's answers where the documentation is silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MergeRules {
    pub register_date: RegisterDateRule,
    pub points: PointsRule,
    pub attributes: AttributeRule,
}

/// The documented precedence: `to`'s value when `to_wins` and both are
/// filled, else `from`'s; a value present on one side only is kept.
fn pick(from: &Option<String>, to: &Option<String>, to_wins: bool) -> Option<String> {
    match (from, to) {
        (Some(from_value), Some(to_value)) => {
            Some(if to_wins { to_value } else { from_value }.clone())
        }
        (Some(value), None) | (None, Some(value)) => Some(value.clone()),
        (None, None) => None,
    }
}

fn merge_register_date(
    from: &Option<String>,
    to: &Option<String>,
    rule: RegisterDateRule,
) -> Option<String> {
    let to_wins = match (rule, from, to) {
        (RegisterDateRule::To, _, _) => true,
        (RegisterDateRule::From, _, _) => false,
        // YYYY-MM-DD compares as text.
        (RegisterDateRule::Earliest, Some(f), Some(t)) => t <= f,
        (RegisterDateRule::Latest, Some(f), Some(t)) => t >= f,
        _ => true,
    };
    pick(from, to, to_wins)
}

fn merge_points(from: &Option<String>, to: &Option<String>, rule: PointsRule) -> Option<String> {
    if rule == PointsRule::Sum
        && let (Some(from_value), Some(to_value)) = (from, to)
    {
        return match (
            from_value.trim().parse::<i64>(),
            to_value.trim().parse::<i64>(),
        ) {
            (Ok(a), Ok(b)) => Some(a.saturating_add(b).to_string()),
            // A balance that is not a number cannot be added: keep the one that is.
            (Ok(_), Err(_)) => Some(from_value.clone()),
            (Err(_), _) => Some(to_value.clone()),
        };
    }
    pick(from, to, true)
}

/// Sailplay's `users/merge` on two profiles: what `to` becomes.
pub fn merge_profiles(from: &Profile, to: &Profile, rules: &MergeRules) -> Profile {
    let attribute_to_wins = rules.attributes == AttributeRule::To;
    let mut extra = BTreeMap::new();
    for key in from.extra.keys().chain(to.extra.keys()) {
        if let Some(value) = pick(
            &from.extra.get(key).cloned(),
            &to.extra.get(key).cloned(),
            attribute_to_wins,
        ) {
            extra.insert(key.clone(), value);
        }
    }
    Profile {
        user_id: to.user_id.clone(),
        phone: pick(&from.phone, &to.phone, true),
        email: pick(&from.email, &to.email, true),
        origin_user_id: pick(&from.origin_user_id, &to.origin_user_id, false),
        first_name: pick(&from.first_name, &to.first_name, false),
        middle_name: pick(&from.middle_name, &to.middle_name, false),
        last_name: pick(&from.last_name, &to.last_name, false),
        birth_date: pick(&from.birth_date, &to.birth_date, false),
        sex: pick(&from.sex, &to.sex, false),
        register_date: merge_register_date(
            &from.register_date,
            &to.register_date,
            rules.register_date,
        ),
        points: merge_points(&from.points, &to.points, rules.points),
        extra,
    }
}

/// The request parameters of one call, form or query, without `token` and
/// `store_department_id` (checked before the store sees them).
pub type Params = BTreeMap<String, String>;

/// The identifier a request addresses a profile by, in the order Sailplay
/// documents them: `user_id`, `origin_user_id`, `user_phone` (or `phone`),
/// `email`. The first one given wins.
pub fn addressed_identifier(params: &Params) -> Option<Identifier> {
    let candidates = [
        ("user_id", IdentifierKind::UserId),
        ("origin_user_id", IdentifierKind::OriginUserId),
        ("user_phone", IdentifierKind::Phone),
        ("phone", IdentifierKind::Phone),
        ("email", IdentifierKind::Email),
    ];
    candidates.iter().find_map(|(name, kind)| {
        params
            .get(*name)
            .filter(|value| !value.trim().is_empty())
            .map(|value| Identifier {
                kind: *kind,
                value: value.trim().to_string(),
            })
    })
}

/// The one `from_*` and the one `to_*` identifier of a `users/merge`.
pub fn merge_pair(params: &Params) -> Result<(Identifier, Identifier), ApiError> {
    let side = |prefix: &str| -> Result<Identifier, ApiError> {
        let kinds = [
            ("uid", IdentifierKind::UserId),
            ("phone", IdentifierKind::Phone),
            ("email", IdentifierKind::Email),
            ("oid", IdentifierKind::OriginUserId),
        ];
        let given: Vec<Identifier> = kinds
            .iter()
            .filter_map(|(suffix, kind)| {
                params
                    .get(&format!("{prefix}_{suffix}"))
                    .filter(|value| !value.trim().is_empty())
                    .map(|value| Identifier {
                        kind: *kind,
                        value: value.trim().to_string(),
                    })
            })
            .collect();
        match given.len() {
            1 => Ok(given.into_iter().next().expect("one element")),
            0 => Err(ApiError::invalid(format!(
                "users/merge needs one {prefix}_uid, {prefix}_phone, {prefix}_email or {prefix}_oid"
            ))),
            _ => Err(ApiError::invalid(format!(
                "users/merge takes exactly one pair of identifiers; got several {prefix}_* parameters"
            ))),
        }
    };
    Ok((side("from")?, side("to")?))
}

fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn is_valid_phone(phone: &str) -> bool {
    (10..=15).contains(&phone.len()) && phone.bytes().all(|b| b.is_ascii_digit())
}

fn is_valid_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

fn is_valid_date(date: &str) -> bool {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()
}

/// An index from an identifier value to the profiles holding it, in load
/// order (more than one only for repeats the export already had).
#[derive(Debug, Default)]
struct Index(HashMap<String, Vec<String>>);

impl Index {
    fn insert(&mut self, key: String, user_id: &str) -> bool {
        let holders = self.0.entry(key).or_default();
        holders.push(user_id.to_string());
        holders.len() == 1
    }

    fn remove(&mut self, key: &str, user_id: &str) {
        if let Some(holders) = self.0.get_mut(key) {
            holders.retain(|holder| holder != user_id);
            if holders.is_empty() {
                self.0.remove(key);
            }
        }
    }

    fn first(&self, key: &str) -> Option<&String> {
        self.0.get(key).and_then(|holders| holders.first())
    }

    /// Whether a profile other than `user_id` holds `key`.
    fn held_by_other(&self, key: &str, user_id: Option<&str>) -> bool {
        self.0.get(key).is_some_and(|holders| {
            holders
                .iter()
                .any(|holder| Some(holder.as_str()) != user_id)
        })
    }
}

#[derive(Debug)]
pub struct Store {
    profiles: BTreeMap<String, Profile>,
    by_phone: Index,
    by_email: Index,
    by_origin_user_id: Index,
    next_user_id: u64,
    rules: MergeRules,
    shared_identifiers: usize,
}

/// What a successful `users/merge` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    pub from_user_id: String,
    pub to_user_id: String,
    pub merged: Profile,
}

impl Store {
    /// Loads profiles; refuses two profiles with one `user_id`.
    pub fn new(profiles: Vec<Profile>, rules: MergeRules) -> anyhow::Result<Store> {
        let mut store = Store {
            profiles: BTreeMap::new(),
            by_phone: Index::default(),
            by_email: Index::default(),
            by_origin_user_id: Index::default(),
            next_user_id: 1,
            rules,
            shared_identifiers: 0,
        };
        for profile in profiles {
            if profile.user_id.trim().is_empty() {
                anyhow::bail!("a profile without user_id cannot be loaded into the sandbox");
            }
            if let Some(loaded) = store.profiles.get(profile.user_id.as_str()) {
                // Overlapping exports repeat rows: the same row twice is
                // one profile; two different rows are two profiles with one
                // id, which no Sailplay base can hold.
                if *loaded == profile {
                    continue;
                }
                anyhow::bail!(
                    "user_id {} appears twice in the loaded profiles with different fields; Sailplay's user_id is unique",
                    profile.user_id
                );
            }
            if let Ok(number) = profile.user_id.parse::<u64>() {
                store.next_user_id = store.next_user_id.max(number + 1);
            }
            let unique = store.index(&profile);
            if !unique {
                store.shared_identifiers += 1;
            }
            store.profiles.insert(profile.user_id.to_string(), profile);
        }
        Ok(store)
    }

    /// `users/add` hands out user_ids above `user_id` from now on (a
    /// restarted sandbox must not reuse the id of a merged-away profile).
    pub fn reserve_user_ids_through(&mut self, user_id: u64) {
        self.next_user_id = self.next_user_id.max(user_id.saturating_add(1));
    }

    /// Profiles loaded with a phone, email or origin_user_id an earlier
    /// profile already had.
    pub fn shared_identifiers(&self) -> usize {
        self.shared_identifiers
    }

    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// Every profile, ordered by user_id.
    pub fn profiles(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values()
    }

    /// Indexes a profile's identifiers; false when one was already taken.
    fn index(&mut self, profile: &Profile) -> bool {
        let mut unique = true;
        if let Some(phone) = &profile.phone {
            unique &= self.by_phone.insert(phone.clone(), &profile.user_id);
        }
        if let Some(email) = &profile.email {
            unique &= self.by_email.insert(email_key(email), &profile.user_id);
        }
        if let Some(origin) = &profile.origin_user_id {
            unique &= self
                .by_origin_user_id
                .insert(origin.clone(), &profile.user_id);
        }
        unique
    }

    fn unindex(&mut self, profile: &Profile) {
        if let Some(phone) = &profile.phone {
            self.by_phone.remove(phone, &profile.user_id);
        }
        if let Some(email) = &profile.email {
            self.by_email.remove(&email_key(email), &profile.user_id);
        }
        if let Some(origin) = &profile.origin_user_id {
            self.by_origin_user_id.remove(origin, &profile.user_id);
        }
    }

    fn user_id_of(&self, identifier: &Identifier) -> Option<&String> {
        match identifier.kind {
            IdentifierKind::UserId => self
                .profiles
                .get_key_value(&identifier.value)
                .map(|(key, _)| key),
            IdentifierKind::Phone => self.by_phone.first(&identifier.value),
            IdentifierKind::Email => self.by_email.first(&email_key(&identifier.value)),
            IdentifierKind::OriginUserId => self.by_origin_user_id.first(&identifier.value),
        }
    }

    /// The profile an identifier addresses, or -4000.
    pub fn find(&self, identifier: &Identifier) -> Result<&Profile, ApiError> {
        self.user_id_of(identifier)
            .and_then(|user_id| self.profiles.get(user_id))
            .ok_or_else(ApiError::not_found)
    }

    /// `users/add`: a new profile with a fresh user_id.
    pub fn add(&mut self, params: &Params) -> Result<Profile, ApiError> {
        let phone = non_empty(params.get("user_phone").or_else(|| params.get("phone")));
        let email = non_empty(params.get("email"));
        let origin = non_empty(params.get("origin_user_id"));
        if phone.is_none() && email.is_none() && origin.is_none() {
            return Err(ApiError::invalid(
                "users/add needs at least one of origin_user_id, user_phone, email",
            ));
        }
        if phone
            .as_ref()
            .is_some_and(|p| self.by_phone.held_by_other(p, None))
            || email
                .as_ref()
                .is_some_and(|e| self.by_email.held_by_other(&email_key(e), None))
            || origin
                .as_ref()
                .is_some_and(|o| self.by_origin_user_id.held_by_other(o, None))
        {
            return Err(ApiError::new(USER_EXISTS, "User already exist"));
        }
        let mut profile = Profile {
            user_id: UserId::from(self.next_user_id.to_string()),
            phone,
            email,
            origin_user_id: origin,
            ..Profile::default()
        };
        validate_identifiers(&profile)?;
        apply_plain_fields(&mut profile, params)?;
        self.next_user_id += 1;
        self.index(&profile);
        self.profiles
            .insert(profile.user_id.to_string(), profile.clone());
        Ok(profile)
    }

    /// `users/update`: plain fields, and `new_phone`, `new_email`,
    /// `new_origin_user_id` (the string `null` clears one).
    pub fn update(&mut self, params: &Params) -> Result<Profile, ApiError> {
        let identifier = addressed_identifier(params).ok_or_else(|| {
            ApiError::invalid(
                "users/update needs one of user_id, origin_user_id, user_phone, email",
            )
        })?;
        let user_id = self.find(&identifier)?.user_id.to_string();
        let mut updated = self.profiles[&user_id].clone();
        if let Some(new_phone) = params.get("new_phone") {
            updated.phone = cleared_or(new_phone);
            if updated
                .phone
                .as_ref()
                .is_some_and(|p| self.by_phone.held_by_other(p, Some(&user_id)))
            {
                return Err(ApiError::new(PHONE_USED, "Phone is used"));
            }
        }
        if let Some(new_email) = params.get("new_email") {
            updated.email = cleared_or(new_email);
            if updated
                .email
                .as_ref()
                .is_some_and(|e| self.by_email.held_by_other(&email_key(e), Some(&user_id)))
            {
                return Err(ApiError::new(EMAIL_USED, "Email is used"));
            }
        }
        if let Some(new_origin) = params.get("new_origin_user_id") {
            updated.origin_user_id = cleared_or(new_origin);
            if updated
                .origin_user_id
                .as_ref()
                .is_some_and(|o| self.by_origin_user_id.held_by_other(o, Some(&user_id)))
            {
                return Err(ApiError::new(
                    ORIGIN_USER_ID_USED,
                    "User ID принадлежит другому пользователю",
                ));
            }
        }
        validate_identifiers(&updated)?;
        apply_plain_fields(&mut updated, params)?;
        let previous = self.profiles[&user_id].clone();
        self.unindex(&previous);
        self.index(&updated);
        self.profiles.insert(user_id, updated.clone());
        Ok(updated)
    }

    /// `users/merge`: `from` disappears (its identifiers become free), `to`
    /// keeps its user_id and takes the merged fields.
    pub fn merge(&mut self, from: &Identifier, to: &Identifier) -> Result<MergeOutcome, ApiError> {
        let from_user_id = self.find(from)?.user_id.to_string();
        let to_user_id = self.find(to)?.user_id.to_string();
        if from_user_id == to_user_id {
            return Err(ApiError::invalid(format!(
                "users/merge: from and to are the same profile (user_id {to_user_id})"
            )));
        }
        let from_profile = self.profiles.remove(&from_user_id).expect("found above");
        let to_profile = self.profiles[&to_user_id].clone();
        self.unindex(&from_profile);
        self.unindex(&to_profile);
        let merged = merge_profiles(&from_profile, &to_profile, &self.rules);
        self.index(&merged);
        self.profiles.insert(to_user_id.clone(), merged.clone());
        Ok(MergeOutcome {
            from_user_id,
            to_user_id,
            merged,
        })
    }
}

fn non_empty(value: Option<&String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty() && v != "null")
}

fn cleared_or(value: &str) -> Option<String> {
    non_empty(Some(&value.to_string()))
}

fn validate_identifiers(profile: &Profile) -> Result<(), ApiError> {
    if let Some(phone) = &profile.phone
        && !is_valid_phone(phone)
    {
        return Err(ApiError::invalid(format!(
            "phone {phone:?} is not in international format without + (e.g. 79998887766)"
        )));
    }
    if let Some(email) = &profile.email
        && !is_valid_email(email)
    {
        return Err(ApiError::invalid(format!(
            "email {email:?} is not a valid address"
        )));
    }
    Ok(())
}

/// Sets the plain fields a request carries (those the API takes under
/// their own names); `null` clears one.
fn apply_plain_fields(profile: &mut Profile, params: &Params) -> Result<(), ApiError> {
    let plain = Field::ALL
        .into_iter()
        .filter(|field| field.update_parameter() == Some(field.name()));
    for field in plain {
        let Some(raw) = params.get(field.name()) else {
            continue;
        };
        let value = cleared_or(raw);
        if let Some(value) = &value {
            match field {
                Field::BirthDate | Field::RegisterDate if !is_valid_date(value) => {
                    return Err(ApiError::invalid(format!(
                        "{field} {value:?} is not a YYYY-MM-DD date"
                    )));
                }
                Field::RegisterDate if value.as_str() < "1971-01-01" => {
                    return Err(ApiError::invalid(format!(
                        "register_date {value} is before the minimum 1971-01-01"
                    )));
                }
                Field::Sex if !matches!(value.as_str(), "1" | "2" | "3") => {
                    return Err(ApiError::invalid(format!("sex {value:?} is not 1, 2 or 3")));
                }
                _ => {}
            }
        }
        profile.set(field, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(user_id: &str, fields: &[(&str, &str)]) -> Profile {
        let mut profile = Profile {
            user_id: user_id.into(),
            ..Profile::default()
        };
        for (name, value) in fields {
            let field = Field::from_name(name).expect("a canonical field");
            profile.set(field, Some(value.to_string()));
        }
        profile
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn uid(value: &str) -> Identifier {
        Identifier {
            kind: IdentifierKind::UserId,
            value: value.into(),
        }
    }

    #[test]
    fn merge_follows_the_documented_precedence_table() {
        let from = profile(
            "1",
            &[
                ("phone", "79990000001"),
                ("email", "from@example.ru"),
                ("origin_user_id", "card-1"),
                ("first_name", "Иван"),
                ("middle_name", "Петрович"),
                ("last_name", "Иванов"),
                ("birth_date", "1980-01-02"),
                ("sex", "1"),
            ],
        );
        let to = profile(
            "2",
            &[
                ("phone", "79990000002"),
                ("email", "to@example.ru"),
                ("origin_user_id", "card-2"),
                ("first_name", "Ваня"),
                ("middle_name", "П"),
                ("last_name", "Иваноф"),
                ("birth_date", "1980-02-01"),
                ("sex", "3"),
            ],
        );
        let merged = merge_profiles(&from, &to, &MergeRules::default());
        assert_eq!(merged.user_id, "2");
        assert_eq!(merged.phone.as_deref(), Some("79990000002"));
        assert_eq!(merged.email.as_deref(), Some("to@example.ru"));
        assert_eq!(merged.origin_user_id.as_deref(), Some("card-1"));
        assert_eq!(merged.first_name.as_deref(), Some("Иван"));
        assert_eq!(merged.middle_name.as_deref(), Some("Петрович"));
        assert_eq!(merged.last_name.as_deref(), Some("Иванов"));
        assert_eq!(merged.birth_date.as_deref(), Some("1980-01-02"));
        assert_eq!(merged.sex.as_deref(), Some("1"));
    }

    #[test]
    fn a_value_on_one_side_only_survives_whichever_side() {
        let from = profile("1", &[("phone", "79990000001"), ("first_name", "Иван")]);
        let to = profile(
            "2",
            &[("email", "to@example.ru"), ("origin_user_id", "card-2")],
        );
        let merged = merge_profiles(&from, &to, &MergeRules::default());
        assert_eq!(merged.phone.as_deref(), Some("79990000001"));
        assert_eq!(merged.email.as_deref(), Some("to@example.ru"));
        assert_eq!(merged.first_name.as_deref(), Some("Иван"));
        assert_eq!(merged.origin_user_id.as_deref(), Some("card-2"));
    }

    #[test]
    fn undocumented_fields_follow_the_rules() {
        let mut from = profile("1", &[("register_date", "2015-01-01"), ("points", "100")]);
        from.extra.insert("city".into(), "Омск".into());
        let mut to = profile("2", &[("register_date", "2019-01-01"), ("points", "40")]);
        to.extra.insert("city".into(), "Тула".into());
        let merged = merge_profiles(&from, &to, &MergeRules::default());
        assert_eq!(merged.register_date.as_deref(), Some("2015-01-01"));
        assert_eq!(merged.points.as_deref(), Some("140"));
        assert_eq!(merged.extra["city"], "Тула");
        let other = MergeRules {
            register_date: RegisterDateRule::To,
            points: PointsRule::To,
            attributes: AttributeRule::From,
        };
        let merged = merge_profiles(&from, &to, &other);
        assert_eq!(merged.register_date.as_deref(), Some("2019-01-01"));
        assert_eq!(merged.points.as_deref(), Some("40"));
        assert_eq!(merged.extra["city"], "Омск");
    }

    #[test]
    fn merged_away_profile_disappears_and_frees_its_identifiers() {
        let mut store = Store::new(
            vec![
                profile("1", &[("phone", "79990000001"), ("email", "a@example.ru")]),
                profile("2", &[("phone", "79990000002")]),
            ],
            MergeRules::default(),
        )
        .unwrap();
        let outcome = store.merge(&uid("1"), &uid("2")).unwrap();
        assert_eq!(outcome.from_user_id, "1");
        assert_eq!(outcome.merged.email.as_deref(), Some("a@example.ru"));
        assert_eq!(store.find(&uid("1")).unwrap_err().code, USER_NOT_FOUND);
        // The from phone is free again; the email moved to the survivor.
        let phone = Identifier {
            kind: IdentifierKind::Phone,
            value: "79990000001".into(),
        };
        assert_eq!(store.find(&phone).unwrap_err().code, USER_NOT_FOUND);
        let email = Identifier {
            kind: IdentifierKind::Email,
            value: "A@example.ru".into(),
        };
        assert_eq!(store.find(&email).unwrap().user_id, "2");
        store
            .add(&params(&[("user_phone", "79990000001")]))
            .unwrap();
        // Merging the same pair again fails: from no longer exists.
        assert_eq!(
            store.merge(&uid("1"), &uid("2")).unwrap_err().code,
            USER_NOT_FOUND
        );
    }

    #[test]
    fn uniqueness_errors_carry_the_documented_codes() {
        let mut store = Store::new(
            vec![
                profile(
                    "1",
                    &[
                        ("phone", "79990000001"),
                        ("email", "a@example.ru"),
                        ("origin_user_id", "c1"),
                    ],
                ),
                profile("2", &[("phone", "79990000002")]),
            ],
            MergeRules::default(),
        )
        .unwrap();
        assert_eq!(
            store
                .add(&params(&[("email", "a@example.ru")]))
                .unwrap_err()
                .code,
            USER_EXISTS
        );
        let update = |extra: (&str, &str)| params(&[("user_id", "2"), extra]);
        assert_eq!(
            store
                .update(&update(("new_phone", "79990000001")))
                .unwrap_err()
                .code,
            PHONE_USED
        );
        assert_eq!(
            store
                .update(&update(("new_email", "a@example.ru")))
                .unwrap_err()
                .code,
            EMAIL_USED
        );
        assert_eq!(
            store
                .update(&update(("new_origin_user_id", "c1")))
                .unwrap_err()
                .code,
            ORIGIN_USER_ID_USED
        );
        assert_eq!(
            store
                .update(&params(&[("user_id", "9"), ("first_name", "Х")]))
                .unwrap_err()
                .code,
            USER_NOT_FOUND
        );
        // Setting one's own value again is not a conflict, and null clears.
        store
            .update(&params(&[("user_id", "1"), ("new_phone", "79990000001")]))
            .unwrap();
        let cleared = store
            .update(&params(&[("user_id", "1"), ("new_origin_user_id", "null")]))
            .unwrap();
        assert_eq!(cleared.origin_user_id, None);
        store.update(&update(("new_origin_user_id", "c1"))).unwrap();
    }

    #[test]
    fn merge_needs_exactly_one_pair() {
        assert!(merge_pair(&params(&[("from_uid", "1"), ("to_phone", "7999")])).is_ok());
        assert!(merge_pair(&params(&[("from_uid", "1")])).is_err());
        assert!(
            merge_pair(&params(&[
                ("from_uid", "1"),
                ("from_phone", "2"),
                ("to_uid", "3")
            ]))
            .is_err()
        );
    }

    #[test]
    fn repeated_identifiers_in_an_export_load_and_resolve_to_the_first() {
        let store = Store::new(
            vec![
                profile("1", &[("phone", "79990000001")]),
                profile("2", &[("phone", "79990000001")]),
            ],
            MergeRules::default(),
        )
        .unwrap();
        assert_eq!(store.shared_identifiers(), 1);
        let phone = Identifier {
            kind: IdentifierKind::Phone,
            value: "79990000001".into(),
        };
        assert_eq!(store.find(&phone).unwrap().user_id, "1");
        let same_row_twice = vec![profile("1", &[]), profile("1", &[])];
        assert_eq!(
            Store::new(same_row_twice, MergeRules::default())
                .unwrap()
                .len(),
            1
        );
        assert!(
            Store::new(
                vec![profile("1", &[]), profile("1", &[("first_name", "Иван")])],
                MergeRules::default()
            )
            .is_err()
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        enum Operation {
            Add(Option<u8>, Option<u8>, Option<u8>),
            Update(u8, &'static str, u8),
            Merge(u8, u8),
        }

        fn operation() -> impl Strategy<Value = Operation> {
            // Small value domains, so that collisions are frequent.
            let value = || proptest::option::of(0u8..6);
            prop_oneof![
                (value(), value(), value()).prop_map(|(p, e, o)| Operation::Add(p, e, o)),
                (
                    0u8..12,
                    prop::sample::select(vec!["new_phone", "new_email", "new_origin_user_id"]),
                    0u8..7
                )
                    .prop_map(|(u, f, v)| Operation::Update(u, f, v)),
                (0u8..12, 0u8..12).prop_map(|(f, t)| Operation::Merge(f, t)),
            ]
        }

        fn phone(n: u8) -> String {
            format!("7999000000{n}")
        }

        proptest! {
            /// Whatever the calls, identifiers stay unique, every profile is
            /// found by each of its identifiers, and a merged-away profile is
            /// gone for good.
            #[test]
            fn identifiers_stay_unique_and_findable(operations in prop::collection::vec(operation(), 1..40)) {
                let mut store = Store::new(vec![], MergeRules::default()).unwrap();
                let mut gone = Vec::new();
                for operation in operations {
                    match operation {
                        Operation::Add(p, e, o) => {
                            let mut params = Params::new();
                            if let Some(p) = p { params.insert("user_phone".into(), phone(p)); }
                            if let Some(e) = e { params.insert("email".into(), format!("u{e}@x.ru")); }
                            if let Some(o) = o { params.insert("origin_user_id".into(), format!("c{o}")); }
                            let _ = store.add(&params);
                        }
                        Operation::Update(user, field, v) => {
                            let value = match (field, v) {
                                (_, 6) => "null".to_string(),
                                ("new_phone", v) => phone(v),
                                ("new_email", v) => format!("U{v}@x.ru"),
                                (_, v) => format!("c{v}"),
                            };
                            let _ = store.update(&params(&[("user_id", &user.to_string()), (field, &value)]));
                        }
                        Operation::Merge(from, to) => {
                            if let Ok(outcome) = store.merge(&uid(&from.to_string()), &uid(&to.to_string())) {
                                gone.push(outcome.from_user_id);
                            }
                        }
                    }
                }
                let mut seen = std::collections::HashSet::new();
                for profile in store.profiles() {
                    let identifiers = [
                        (IdentifierKind::Phone, profile.phone.clone()),
                        (IdentifierKind::Email, profile.email.as_deref().map(email_key)),
                        (IdentifierKind::OriginUserId, profile.origin_user_id.clone()),
                    ];
                    for (kind, value) in identifiers {
                        let Some(value) = value else { continue };
                        prop_assert!(seen.insert((kind, value.clone())), "{value} held twice");
                        let found = store.find(&Identifier { kind, value }).unwrap();
                        prop_assert_eq!(&found.user_id, &profile.user_id);
                    }
                }
                for user_id in gone {
                    prop_assert_eq!(store.find(&uid(&user_id)).unwrap_err().code, USER_NOT_FOUND);
                }
            }
        }
    }
}
