//! Phone numbers to Sailplay's international form without `+`.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneKind {
    /// Russian mobile: 79XXXXXXXXX.
    Mobile,
    /// Russian landline (7 followed by a geographic code).
    Landline,
    /// A plausible number outside Russia's numbering plan.
    Foreign,
    /// Not a phone number.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalizedPhone {
    /// Digits only, `7XXXXXXXXXX` for Russian numbers.
    pub digits: String,
    pub kind: PhoneKind,
    /// A filler such as 79999999999 or 70000000000: never evidence.
    pub placeholder: bool,
}
