//! Normalise: raw export values into comparable keys. Phones to
//! `7XXXXXXXXXX` with their kind, emails to a mailbox key under which
//! addresses reaching one inbox are equal, names to canonical Cyrillic
//! tokens with their full-name forms, placeholders flagged as junk (junk is
//! never evidence). Every rule is a small pure function in a submodule.

pub mod date;
pub mod email;
pub mod name;
pub mod phone;

use serde::{Deserialize, Serialize};

use crate::profile::{Profile, Sex};

pub use email::NormalizedEmail;
pub use name::NormalizedName;
pub use phone::{NormalizedPhone, PhoneKind};

/// One profile, normalised for blocking and scoring. `row` indexes the
/// loaded profiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedRecord {
    pub row: u32,
    pub phone: Option<NormalizedPhone>,
    pub email: Option<NormalizedEmail>,
    pub name: NormalizedName,
    /// `None` when missing or a placeholder (see `birth_date_placeholder`).
    pub birth_date: Option<chrono::NaiveDate>,
    pub birth_date_placeholder: bool,
    /// The sex field as given.
    pub sex_stated: Option<Sex>,
    /// Stated sex, else inferred from patronymic, surname or first name.
    pub sex: Option<Sex>,
    /// Trimmed; `None` when missing or a placeholder.
    pub origin_user_id: Option<String>,
}

/// Counts of doubtful values in the input, for the outputs and the report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DataQuality {
    pub profiles: u64,
}

pub fn normalize_profiles(
    _profiles: &[Profile],
    _printer: &crate::printer::Printer,
) -> (Vec<NormalizedRecord>, DataQuality) {
    todo!("normalize helper")
}
