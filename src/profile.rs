//! The Sailplay customer profile as the rest of the program sees it: the
//! canonical fields of the API, every value a string as the API sends it.
//!
//! `load` produces these from an export, `merge` simulates Sailplay's merge
//! on them, and `plan.json` carries them as the `after`/`result` of a step.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::UserId;

/// A canonical field of a Sailplay profile, in export and report order:
/// its name (the API's, the loaded frame's column, plan.json's key), the
/// side a `users/merge` keeps it from, and the parameters the API takes it
/// by. Every list of fields in the program is a list of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    UserId,
    OriginUserId,
    Phone,
    Email,
    FirstName,
    MiddleName,
    LastName,
    BirthDate,
    Sex,
    RegisterDate,
    Points,
}

/// Which side of a `users/merge` keeps a field filled on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    From,
    To,
}

impl Field {
    /// Every canonical field, in export and report order.
    pub const ALL: [Field; 11] = [
        Field::UserId,
        Field::OriginUserId,
        Field::Phone,
        Field::Email,
        Field::FirstName,
        Field::MiddleName,
        Field::LastName,
        Field::BirthDate,
        Field::Sex,
        Field::RegisterDate,
        Field::Points,
    ];

    /// The eight fields the merge precedence table covers besides
    /// `user_id`, in report order: the fields the planner aims at.
    pub const PLANNED: [Field; 8] = Field::run(Field::OriginUserId);

    /// The unique identifiers any call may address a profile by.
    pub const IDENTIFIERS: [Field; 4] = Field::run(Field::UserId);

    /// The `N` fields of [`Field::ALL`] from `first` on.
    const fn run<const N: usize>(first: Field) -> [Field; N] {
        let mut fields = [first; N];
        let mut offset = 0;
        while offset < N {
            fields[offset] = Field::ALL[first as usize + offset];
            offset += 1;
        }
        fields
    }

    /// The fields whose values say a profile is still as it was: every
    /// field but `user_id` (the key it is found by) and `points` (moved by
    /// every purchase between export and apply, and added up by a merge).
    /// Live profiles are compared, and ledger fingerprints taken, on these.
    pub fn tracked() -> impl Iterator<Item = Field> {
        Field::ALL
            .into_iter()
            .filter(|field| !matches!(field, Field::UserId | Field::Points))
    }

    pub const fn name(self) -> &'static str {
        match self {
            Field::UserId => "user_id",
            Field::OriginUserId => "origin_user_id",
            Field::Phone => "phone",
            Field::Email => "email",
            Field::FirstName => "first_name",
            Field::MiddleName => "middle_name",
            Field::LastName => "last_name",
            Field::BirthDate => "birth_date",
            Field::Sex => "sex",
            Field::RegisterDate => "register_date",
            Field::Points => "points",
        }
    }

    /// The names of [`Field::ALL`], in order: an export's header.
    pub const NAMES: [&'static str; 11] = {
        let mut names = [""; 11];
        let mut index = 0;
        while index < names.len() {
            names[index] = Field::ALL[index].name();
            index += 1;
        }
        names
    };

    /// The field of a canonical name; `None` for any other column.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.name() == name)
    }

    /// Position in [`Field::ALL`], for arrays indexed by field.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The side the documentation says a merge keeps the field from when
    /// both profiles have a value: `user_id`, `phone`, `email` from "to",
    /// `origin_user_id`, the names, `birth_date` and `sex` from "from".
    /// `None` for `register_date` and `points`, on which it is silent (the
    /// planner's settings state what it assumes).
    pub const fn documented_side(self) -> Option<Side> {
        match self {
            Field::UserId | Field::Phone | Field::Email => Some(Side::To),
            Field::OriginUserId
            | Field::FirstName
            | Field::MiddleName
            | Field::LastName
            | Field::BirthDate
            | Field::Sex => Some(Side::From),
            Field::RegisterDate | Field::Points => None,
        }
    }

    /// The parameter that addresses a profile by this identifier in
    /// `users/info` and `users/update` (`user_phone` for the phone).
    pub const fn lookup_parameter(self) -> Option<&'static str> {
        match self {
            Field::UserId => Some("user_id"),
            Field::OriginUserId => Some("origin_user_id"),
            Field::Phone => Some("user_phone"),
            Field::Email => Some("email"),
            _ => None,
        }
    }

    /// The suffix of the `from_*`/`to_*` parameter of `users/merge` that
    /// addresses a profile by this identifier.
    pub const fn merge_suffix(self) -> Option<&'static str> {
        match self {
            Field::UserId => Some("uid"),
            Field::OriginUserId => Some("oid"),
            Field::Phone => Some("phone"),
            Field::Email => Some("email"),
            _ => None,
        }
    }

    /// The `users/update` parameter that sets the field: `new_…` for an
    /// identifier other than `user_id` (the string `null` clears it), the
    /// field's own name for a plain field. `None` for `user_id`, which
    /// never changes, and `points`, which only purchases move.
    pub const fn update_parameter(self) -> Option<&'static str> {
        match self {
            Field::Phone => Some("new_phone"),
            Field::Email => Some("new_email"),
            Field::OriginUserId => Some("new_origin_user_id"),
            Field::FirstName
            | Field::MiddleName
            | Field::LastName
            | Field::BirthDate
            | Field::Sex
            | Field::RegisterDate => Some(self.name()),
            Field::UserId | Field::Points => None,
        }
    }

    /// The identifier an addressing parameter names: a lookup parameter
    /// (`user_phone`), or the suffix of a merge's `from_`/`to_` parameter
    /// (`phone`, `uid`, `oid`).
    pub fn of_identifier_parameter(parameter: &str) -> Option<Field> {
        Field::IDENTIFIERS.into_iter().find(|field| {
            field.lookup_parameter() == Some(parameter) || field.merge_suffix() == Some(parameter)
        })
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Frame columns added by `load` beside the canonical ones: which input file
/// a row came from, and its 1-based line (CSV) or row (other formats) there.
pub const SOURCE: &str = "source";
pub const SOURCE_ROW: &str = "source_row";

/// One profile. `None` is an empty field. Dates are `YYYY-MM-DD`, `sex` is
/// `"1"`, `"2"` or `"3"`, `points` an integer, as `load` leaves them.
/// `extra` holds the export's other columns (custom attributes), untouched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Profile {
    pub user_id: UserId,
    pub origin_user_id: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub register_date: Option<String>,
    pub points: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
}

impl Profile {
    /// The value of a canonical field.
    pub fn get(&self, field: Field) -> Option<&str> {
        match field {
            Field::UserId => Some(self.user_id.as_str()),
            Field::OriginUserId => self.origin_user_id.as_deref(),
            Field::Phone => self.phone.as_deref(),
            Field::Email => self.email.as_deref(),
            Field::FirstName => self.first_name.as_deref(),
            Field::MiddleName => self.middle_name.as_deref(),
            Field::LastName => self.last_name.as_deref(),
            Field::BirthDate => self.birth_date.as_deref(),
            Field::Sex => self.sex.as_deref(),
            Field::RegisterDate => self.register_date.as_deref(),
            Field::Points => self.points.as_deref(),
        }
    }

    /// Sets a canonical field; `None` empties it. `user_id` is never
    /// empty in a loaded profile: `None` leaves it the empty string.
    pub fn set(&mut self, field: Field, value: Option<String>) {
        let slot = match field {
            Field::UserId => {
                self.user_id = UserId::from(value.unwrap_or_default());
                return;
            }
            Field::OriginUserId => &mut self.origin_user_id,
            Field::Phone => &mut self.phone,
            Field::Email => &mut self.email,
            Field::FirstName => &mut self.first_name,
            Field::MiddleName => &mut self.middle_name,
            Field::LastName => &mut self.last_name,
            Field::BirthDate => &mut self.birth_date,
            Field::Sex => &mut self.sex,
            Field::RegisterDate => &mut self.register_date,
            Field::Points => &mut self.points,
        };
        *slot = value;
    }

    /// The value of a column by name: a canonical field, else a custom
    /// attribute in `extra`.
    pub fn value_of(&self, column: &str) -> Option<&str> {
        match Field::from_name(column) {
            Some(field) => self.get(field),
            None => self.extra.get(column).map(String::as_str),
        }
    }
}

/// Sex as Sailplay codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Sex {
    Male = 1,
    Female = 2,
    Other = 3,
}

impl Sex {
    pub fn from_code(code: &str) -> Option<Sex> {
        match code {
            "1" => Some(Sex::Male),
            "2" => Some(Sex::Female),
            "3" => Some(Sex::Other),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
            Sex::Other => "3",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_and_set_cover_every_field() {
        let mut profile = Profile::default();
        for field in Field::ALL {
            profile.set(field, Some(format!("v-{field}")));
        }
        for field in Field::ALL {
            assert_eq!(profile.get(field), Some(format!("v-{field}").as_str()));
            assert_eq!(profile.value_of(field.name()), profile.get(field));
            assert_eq!(Field::from_name(field.name()), Some(field));
            assert_eq!(Field::ALL[field.index()], field);
            assert_eq!(Field::NAMES[field.index()], field.name());
        }
        profile.extra.insert("city".into(), "Омск".into());
        assert_eq!(profile.value_of("city"), Some("Омск"));
        assert_eq!(Field::from_name("city"), None);
    }

    #[test]
    fn subsets_are_the_runs_of_all_they_name() {
        assert_eq!(Field::PLANNED[0], Field::OriginUserId);
        assert_eq!(Field::PLANNED[7], Field::Sex);
        assert_eq!(
            Field::IDENTIFIERS,
            [
                Field::UserId,
                Field::OriginUserId,
                Field::Phone,
                Field::Email
            ]
        );
        let tracked: Vec<Field> = Field::tracked().collect();
        assert_eq!(tracked.len(), 9);
        assert!(!tracked.contains(&Field::UserId) && !tracked.contains(&Field::Points));
    }

    #[test]
    fn planned_fields_have_a_documented_side_and_an_update_parameter() {
        for field in Field::PLANNED {
            assert!(field.documented_side().is_some(), "{field}");
            assert!(field.update_parameter().is_some(), "{field}");
        }
        assert_eq!(Field::RegisterDate.documented_side(), None);
        assert_eq!(Field::Points.update_parameter(), None);
    }

    #[test]
    fn identifier_parameters_name_their_field() {
        for (parameter, field) in [
            ("user_id", Field::UserId),
            ("uid", Field::UserId),
            ("origin_user_id", Field::OriginUserId),
            ("oid", Field::OriginUserId),
            ("user_phone", Field::Phone),
            ("phone", Field::Phone),
            ("email", Field::Email),
        ] {
            assert_eq!(Field::of_identifier_parameter(parameter), Some(field));
        }
        assert_eq!(Field::of_identifier_parameter("first_name"), None);
    }

    #[test]
    fn sex_codes_round_trip() {
        for sex in [Sex::Male, Sex::Female, Sex::Other] {
            assert_eq!(Sex::from_code(sex.code()), Some(sex));
        }
        assert_eq!(Sex::from_code("0"), None);
    }
}
