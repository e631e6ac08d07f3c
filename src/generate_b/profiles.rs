//! From a person to the rows the export holds.
//!
//! Each profile comes through a channel with its own habits: the till
//! (phone and first name said aloud to a cashier), the web shop (e-mail,
//! names typed by the customer), the app (SMS-verified phone, short names),
//! paper forms keyed in by an operator (full name, birth date, card
//! number), and records imported from the chain's old CRM (upper case,
//! eight-style phones, placeholder dates). A person's later profiles exist
//! because their identifiers differ: Sailplay refuses a phone or e-mail a
//! profile already holds, so a second profile has a mistyped number, an
//! old or second number, an alias or a mistyped mailbox, or no phone at
//! all.

use chrono::Datelike;
use rand::Rng as _;

use super::contact::{self, PhoneFormat, invented_phone};
use super::kinds::{Variation, Variations};
use super::names::{PLACEHOLDER_NAMES, Sex, diminutives, is_unisex_form, spelling_variants};
use super::people::{Person, app_launch, base_end, base_start, date, day};
use super::random::{Rng, chance, pick};
use super::translit::{System, drop_apostrophes, transliterate, wrong_layout};
use super::typos::{Hand, PhoneTypo, misspell, misspell_latin, mistype_phone};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Store,
    Online,
    App,
    PaperForm,
    CrmImport,
}

impl Channel {
    fn habits(self) -> &'static Habits {
        &HABITS[self as usize]
    }

    fn variation(self) -> Variation {
        match self {
            Channel::Store => Variation::ChannelStore,
            Channel::Online => Variation::ChannelOnline,
            Channel::App => Variation::ChannelApp,
            Channel::PaperForm => Variation::ChannelPaperForm,
            Channel::CrmImport => Variation::ChannelCrmImport,
        }
    }
}

/// One row of the export before user ids are assigned.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Index of the person in their unit.
    pub person: usize,
    pub day: i32,
    pub second: u32,
    pub phone: Option<(u64, PhoneFormat)>,
    pub email: Option<String>,
    pub origin: Option<String>,
    pub first_name: String,
    pub middle_name: String,
    pub last_name: String,
    pub birth_date: String,
    pub sex: &'static str,
    pub points: u32,
    pub variations: Variations,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    FirstOnly,
    FirstLast,
    Full,
    Empty,
}

/// What each channel fills in and how it goes wrong. Every rate of a
/// mistake is multiplied by `--noise`; what is filled in is not.
struct Habits {
    phone: f64,
    email: f64,
    birth_date: f64,
    sex: f64,
    origin: f64,
    shapes: [(Shape, f64); 4],
    formats: &'static [(PhoneFormat, f64)],
    phone_typo: f64,
    email_typo: f64,
    email_case: f64,
    placeholder_name: f64,
    diminutive: f64,
    latin: f64,
    wrong_layout: f64,
    /// first, last, middle name
    typo: [f64; 3],
    hand: Hand,
    swap: f64,
    one_field: f64,
    shifted: f64,
    initials: f64,
    lower: f64,
    upper: f64,
    spacing: f64,
    birth_typo: f64,
    day_month_swap: f64,
    year_only: f64,
    birth_placeholder: f64,
    placeholder_dates: &'static [(&'static str, f64)],
    birth_is_register_date: f64,
    /// A woman recorded as sex 1: the form's default left alone.
    default_male: f64,
}

const HABITS: [Habits; 5] = [
    // Store: the cashier asks for a phone and a name and types what is said.
    Habits {
        phone: 0.97,
        email: 0.08,
        birth_date: 0.45,
        sex: 0.62,
        origin: 0.45,
        shapes: [
            (Shape::FirstOnly, 0.55),
            (Shape::FirstLast, 0.28),
            (Shape::Full, 0.11),
            (Shape::Empty, 0.06),
        ],
        formats: &[
            (PhoneFormat::Canonical, 0.90),
            (PhoneFormat::Eight, 0.05),
            (PhoneFormat::Ten, 0.03),
            (PhoneFormat::Plus, 0.01),
            (PhoneFormat::EightDashes, 0.01),
        ],
        phone_typo: 0.05,
        email_typo: 0.12,
        email_case: 0.01,
        placeholder_name: 0.025,
        diminutive: 0.10,
        latin: 0.004,
        wrong_layout: 0.002,
        typo: [0.015, 0.04, 0.03],
        hand: Hand::Ear,
        swap: 0.01,
        one_field: 0.025,
        shifted: 0.0,
        initials: 0.0,
        lower: 0.04,
        upper: 0.02,
        spacing: 0.02,
        birth_typo: 0.02,
        day_month_swap: 0.02,
        year_only: 0.01,
        birth_placeholder: 0.03,
        placeholder_dates: &[
            ("1900-01-01", 0.4),
            ("1971-01-01", 0.2),
            ("1970-01-01", 0.2),
            ("2000-01-01", 0.1),
            ("1950-01-01", 0.1),
        ],
        birth_is_register_date: 0.004,
        default_male: 0.07,
    },
    // Online: the customer types an e-mail and names into a web form.
    Habits {
        phone: 0.55,
        email: 1.0,
        birth_date: 0.60,
        sex: 0.66,
        origin: 0.25,
        shapes: [
            (Shape::FirstOnly, 0.14),
            (Shape::FirstLast, 0.59),
            (Shape::Full, 0.24),
            (Shape::Empty, 0.03),
        ],
        formats: &[
            (PhoneFormat::Canonical, 0.74),
            (PhoneFormat::Plus, 0.10),
            (PhoneFormat::Eight, 0.06),
            (PhoneFormat::PlusBrackets, 0.05),
            (PhoneFormat::EightBrackets, 0.02),
            (PhoneFormat::PlusSpaced, 0.02),
            (PhoneFormat::EightDashes, 0.01),
        ],
        phone_typo: 0.015,
        email_typo: 0.02,
        email_case: 0.03,
        placeholder_name: 0.004,
        diminutive: 0.06,
        latin: 0.07,
        wrong_layout: 0.004,
        typo: [0.01, 0.015, 0.01],
        hand: Hand::Keyboard,
        swap: 0.012,
        one_field: 0.015,
        shifted: 0.0,
        initials: 0.0,
        lower: 0.07,
        upper: 0.02,
        spacing: 0.02,
        birth_typo: 0.01,
        day_month_swap: 0.012,
        year_only: 0.008,
        birth_placeholder: 0.006,
        placeholder_dates: &[
            ("1900-01-01", 0.5),
            ("1970-01-01", 0.3),
            ("2000-01-01", 0.2),
        ],
        birth_is_register_date: 0.0,
        default_male: 0.0,
    },
    // App: SMS-verified phone, "what should we call you?", a date picker.
    Habits {
        phone: 1.0,
        email: 0.45,
        birth_date: 0.78,
        sex: 0.82,
        origin: 0.12,
        shapes: [
            (Shape::FirstOnly, 0.48),
            (Shape::FirstLast, 0.38),
            (Shape::Full, 0.08),
            (Shape::Empty, 0.06),
        ],
        formats: &[(PhoneFormat::Canonical, 1.0)],
        phone_typo: 0.0,
        email_typo: 0.01,
        email_case: 0.01,
        placeholder_name: 0.003,
        diminutive: 0.16,
        latin: 0.06,
        wrong_layout: 0.003,
        typo: [0.008, 0.01, 0.01],
        hand: Hand::Keyboard,
        swap: 0.005,
        one_field: 0.02,
        shifted: 0.0,
        initials: 0.0,
        lower: 0.06,
        upper: 0.01,
        spacing: 0.02,
        birth_typo: 0.005,
        day_month_swap: 0.005,
        year_only: 0.0,
        birth_placeholder: 0.01,
        placeholder_dates: &[
            ("2000-01-01", 0.5),
            ("1990-01-01", 0.3),
            ("1970-01-01", 0.2),
        ],
        birth_is_register_date: 0.0,
        default_male: 0.0,
    },
    // Paper form: handwriting keyed in by an operator.
    Habits {
        phone: 0.92,
        email: 0.35,
        birth_date: 0.92,
        sex: 0.95,
        origin: 1.0,
        shapes: [
            (Shape::FirstOnly, 0.04),
            (Shape::FirstLast, 0.16),
            (Shape::Full, 0.80),
            (Shape::Empty, 0.0),
        ],
        formats: &[
            (PhoneFormat::Canonical, 0.86),
            (PhoneFormat::Eight, 0.10),
            (PhoneFormat::Ten, 0.02),
            (PhoneFormat::EightDashes, 0.02),
        ],
        phone_typo: 0.08,
        email_typo: 0.14,
        email_case: 0.0,
        placeholder_name: 0.0,
        diminutive: 0.03,
        latin: 0.0,
        wrong_layout: 0.0,
        typo: [0.04, 0.06, 0.05],
        hand: Hand::Handwriting,
        swap: 0.035,
        one_field: 0.02,
        shifted: 0.01,
        initials: 0.01,
        lower: 0.01,
        upper: 0.03,
        spacing: 0.02,
        birth_typo: 0.03,
        day_month_swap: 0.02,
        year_only: 0.005,
        birth_placeholder: 0.005,
        placeholder_dates: &[("1900-01-01", 0.7), ("1971-01-01", 0.3)],
        birth_is_register_date: 0.0,
        default_male: 0.02,
    },
    // CRM import: the chain's previous system, upper case and all.
    Habits {
        phone: 0.6,
        email: 0.5,
        birth_date: 0.65,
        sex: 0.72,
        origin: 1.0,
        shapes: [
            (Shape::FirstOnly, 0.10),
            (Shape::FirstLast, 0.38),
            (Shape::Full, 0.50),
            (Shape::Empty, 0.02),
        ],
        formats: &[
            (PhoneFormat::Eight, 0.40),
            (PhoneFormat::Canonical, 0.40),
            (PhoneFormat::PlusSpaced, 0.10),
            (PhoneFormat::Ten, 0.10),
        ],
        phone_typo: 0.02,
        email_typo: 0.03,
        email_case: 0.08,
        placeholder_name: 0.01,
        diminutive: 0.02,
        latin: 0.03,
        wrong_layout: 0.0,
        typo: [0.01, 0.02, 0.02],
        hand: Hand::Keyboard,
        swap: 0.03,
        one_field: 0.04,
        shifted: 0.025,
        initials: 0.04,
        lower: 0.02,
        upper: 0.30,
        spacing: 0.05,
        birth_typo: 0.01,
        day_month_swap: 0.01,
        year_only: 0.005,
        birth_placeholder: 0.02,
        placeholder_dates: &[
            ("1900-01-01", 0.6),
            ("1901-01-01", 0.2),
            ("1971-01-01", 0.2),
        ],
        birth_is_register_date: 0.0,
        default_male: 0.0,
    },
];

/// The day of a first registration: the base grows, three times as many
/// people join in its last month as in its first.
pub fn first_registration(rng: &mut Rng) -> i32 {
    let u: f64 = rng.random();
    let t = (-1.0 + (1.0 + 8.0 * u).sqrt()) / 2.0;
    base_start() + (t * f64::from(base_end() - base_start())) as i32
}

/// The day of a person's next profile: mean gap a little over a year.
fn next_registration(rng: &mut Rng, after: i32) -> i32 {
    let u: f64 = rng.random();
    let gap = (-(1.0 - u).ln() * 380.0) as i32 + 1;
    if after + gap <= base_end() {
        after + gap
    } else {
        rng.random_range(after..=base_end())
    }
}

fn channel_on(rng: &mut Rng, on: i32) -> Channel {
    let app = if on >= app_launch() { 0.17 } else { 0.0 };
    let paper = if on < day(2018, 1, 1) {
        0.14
    } else if on < day(2021, 1, 1) {
        0.09
    } else {
        0.05
    };
    *pick(
        rng,
        &[
            (Channel::Store, 0.46),
            (Channel::Online, 0.22),
            (Channel::App, app),
            (Channel::PaperForm, paper),
            (Channel::CrmImport, 0.06),
        ],
    )
}

fn second_of_day(rng: &mut Rng, channel: Channel) -> u32 {
    let hours = match channel {
        Channel::Store => 9..22,
        Channel::PaperForm => 10..19,
        Channel::CrmImport => 3..5,
        Channel::Online | Channel::App => 0..24,
    };
    rng.random_range(hours) * 3600 + rng.random_range(0..3600)
}

/// The identifiers a person's profiles already hold: Sailplay would refuse
/// them a second time.
#[derive(Default)]
struct Taken {
    phones: Vec<u64>,
    emails: Vec<String>,
    /// (profile offset within the person, the number a typo was made of)
    phone_typos: Vec<(usize, u64)>,
}

impl Taken {
    fn phone(&self, number: u64) -> bool {
        self.phones.contains(&number)
    }

    fn email(&self, address: &str) -> bool {
        self.emails.iter().any(|e| e.eq_ignore_ascii_case(address))
    }
}

/// Appends the profiles of `person` (index `index` in its unit) to `out`.
pub fn profiles_of(
    rng: &mut Rng,
    person: &Person,
    index: usize,
    noise: f64,
    out: &mut Vec<Profile>,
) {
    let start = out.len();
    let mut taken = Taken::default();
    let mut on = person.first_day.unwrap_or_else(|| first_registration(rng));
    for offset in 0..person.profiles {
        if offset > 0 {
            on = next_registration(rng, on);
        }
        let mut channel = channel_on(rng, on);
        // The app logs in by an SMS to the current number: a number some
        // profile already holds opens that profile instead of a new one.
        let app_number_taken = person.phone_on(on).is_none_or(|(n, _)| taken.phone(n));
        if channel == Channel::App && app_number_taken {
            channel = Channel::Online;
        }
        if channel == Channel::Online && person.email.is_none() {
            channel = Channel::Store;
        }
        let profile = if channel == Channel::CrmImport && offset > 0 && chance(rng, 0.5) {
            let source = &out[start + rng.random_range(0..offset)];
            joined_copy(rng, person, source, &mut taken)
        } else {
            let mut context = Context {
                rng,
                person,
                channel,
                on,
                noise,
                taken: &mut taken,
                offset,
            };
            context.profile(index)
        };
        out.push(profile);
    }
    mark_two_typos(&mut out[start..], &taken);
}

/// Two different typos of one number on two profiles: no single edit
/// joins them.
fn mark_two_typos(profiles: &mut [Profile], taken: &Taken) {
    for (i, &(offset, base)) in taken.phone_typos.iter().enumerate() {
        let twice = taken
            .phone_typos
            .iter()
            .enumerate()
            .any(|(j, &(other, b))| i != j && b == base && other != offset);
        if twice {
            profiles[offset]
                .variations
                .add(Variation::PhoneTwoTyposOfOneNumber);
        }
    }
}

struct Context<'a> {
    rng: &'a mut Rng,
    person: &'a Person,
    channel: Channel,
    on: i32,
    noise: f64,
    taken: &'a mut Taken,
    offset: usize,
}

impl Context<'_> {
    fn habits(&self) -> &'static Habits {
        self.channel.habits()
    }

    fn noisy(&mut self, p: f64) -> bool {
        chance(self.rng, p * self.noise)
    }

    fn profile(&mut self, index: usize) -> Profile {
        let mut v = Variations::default();
        v.add(self.channel.variation());
        let phone = self.phone(&mut v);
        let email = self.email(&mut v);
        let (first_name, middle_name, last_name, unisex) = self.names(&mut v);
        let birth_date = self.birth_date(&mut v);
        let sex = self.sex(unisex, &mut v);
        let origin = (phone.is_none() && email.is_none() || chance(self.rng, self.habits().origin))
            .then(|| origin_user_id(self.rng, self.channel));
        if self.channel == Channel::Store
            && phone.is_some()
            && email.is_none()
            && !first_name.is_empty()
            && last_name.is_empty()
            && middle_name.is_empty()
            && birth_date.is_empty()
        {
            v.add(Variation::StorePhoneAndFirstNameOnly);
        }
        Profile {
            person: index,
            day: self.on,
            second: second_of_day(self.rng, self.channel),
            phone,
            email,
            origin,
            first_name,
            middle_name,
            last_name,
            birth_date,
            sex,
            points: points(self.rng, self.channel),
            variations: v,
        }
    }

    fn phone(&mut self, v: &mut Variations) -> Option<(u64, PhoneFormat)> {
        let habits = self.habits();
        if !chance(self.rng, habits.phone) {
            if self.person.phone.is_some() {
                v.add(Variation::PhoneWithheld);
            }
            return None;
        }
        let (current, old) = self.person.phone_on(self.on)?;
        let old_record = matches!(self.channel, Channel::PaperForm | Channel::CrmImport)
            && self.on < day(2017, 1, 1);
        if old_record && chance(self.rng, 0.06) {
            v.add(Variation::PhoneLandline);
            let number = contact::landline(self.rng, self.person.region);
            return Some((number, *pick(self.rng, habits.formats)));
        }
        let (number, from_current) = if !self.taken.phone(current) {
            if self.noisy(habits.phone_typo) {
                (self.mistype(current, v), true)
            } else {
                (current, true)
            }
        } else {
            // A number some profile holds would have found that profile at
            // the till: a new profile with it exists mostly because the
            // number was mistyped, less often because another number or
            // none was given.
            let second = self.person.second_phone.filter(|s| !self.taken.phone(*s));
            let choice = *pick(
                self.rng,
                &[
                    (0, 0.55 * self.noise),
                    (1, if second.is_some() { 0.15 } else { 0.0 }),
                    (2, 0.30),
                ],
            );
            match (choice, second) {
                (0, _) => (self.mistype(current, v), true),
                (1, Some(second)) => {
                    v.add(Variation::PhoneSecondNumber);
                    (second, false)
                }
                _ => {
                    v.add(Variation::PhoneWithheld);
                    return None;
                }
            }
        };
        if old && from_current {
            v.add(Variation::PhoneOldNumber);
        }
        self.taken.phones.push(number);
        let format = *pick(self.rng, habits.formats);
        if format != PhoneFormat::Canonical {
            v.add(Variation::PhoneNonCanonicalFormat);
        }
        Some((number, format))
    }

    /// A typo of `base` that none of the person's profiles holds yet. A
    /// transposition or pair swap has few outcomes; when they are taken the
    /// slip becomes a substitution, which has 63.
    fn mistype(&mut self, base: u64, v: &mut Variations) -> u64 {
        let mut kind = *pick(
            self.rng,
            &[
                (PhoneTypo::Substitution, 0.62),
                (PhoneTypo::Transposition, 0.30),
                (PhoneTypo::PairSwap, 0.08),
            ],
        );
        let mut number = mistype_phone(self.rng, base, kind);
        let mut tries = 0;
        while self.taken.phone(number) {
            tries += 1;
            if tries > 3 {
                kind = PhoneTypo::Substitution;
            }
            number = mistype_phone(self.rng, base, kind);
        }
        v.add(match kind {
            PhoneTypo::Substitution => Variation::PhoneSubstitution,
            PhoneTypo::Transposition => Variation::PhoneTransposition,
            PhoneTypo::PairSwap => Variation::PhonePairSwap,
        });
        self.taken.phone_typos.push((self.offset, base));
        number
    }

    fn email(&mut self, v: &mut Variations) -> Option<String> {
        let habits = self.habits();
        let person = self.person;
        if self.channel != Channel::Online && !chance(self.rng, habits.email) {
            if person.email.is_some() {
                v.add(Variation::EmailWithheld);
            }
            return None;
        }
        let use_second = person.second_email.is_some() && chance(self.rng, 0.3);
        let email = if use_second {
            person.second_email.as_ref()
        } else {
            person.email.as_ref()
        }?;
        if (use_second && person.second_is_work) || (!use_second && person.main_is_work) {
            v.add(Variation::EmailWorkAddress);
        }
        let genuine = email.render();
        let address = if !self.taken.email(&genuine) {
            if self.noisy(habits.email_typo) {
                self.mistype_email(email, v)
            } else {
                genuine
            }
        } else {
            let alias = contact::alias(self.rng, email);
            // A web shop account needs a mailbox: online, the person
            // finds another rather than none.
            let none = if self.channel == Channel::Online {
                0.0
            } else {
                0.20
            };
            let other = if self.channel == Channel::Online {
                0.35
            } else {
                0.15
            };
            let choice = *pick(
                self.rng,
                &[
                    (0, if alias.is_some() { 0.35 } else { 0.0 }),
                    (1, 0.30 * self.noise),
                    (2, other),
                    (3, none),
                ],
            );
            match (choice, alias) {
                (0, Some((kind, alias))) => {
                    v.add(kind);
                    alias.render()
                }
                (1, _) => self.mistype_email(email, v),
                (2, _) => {
                    v.add(Variation::EmailOtherMailbox);
                    super::people::personal_email(self.rng, person).render()
                }
                _ => {
                    v.add(Variation::EmailWithheld);
                    return None;
                }
            }
        };
        if self.taken.email(&address) {
            v.add(Variation::EmailWithheld);
            return None;
        }
        self.taken.emails.push(address.clone());
        if self.noisy(habits.email_case) {
            v.add(Variation::EmailMixedCase);
            return Some(if self.channel == Channel::CrmImport {
                address.to_uppercase()
            } else {
                capitalise_parts(&address)
            });
        }
        Some(address)
    }

    fn mistype_email(&mut self, email: &contact::Email, v: &mut Variations) -> String {
        if chance(self.rng, 0.55) {
            v.add(Variation::EmailDomainTypo);
            format!(
                "{}@{}",
                email.login,
                contact::domain_typo(self.rng, &email.domain)
            )
        } else {
            v.add(Variation::EmailLoginTypo);
            format!(
                "{}@{}",
                contact::login_typo(self.rng, &email.login),
                email.domain
            )
        }
    }

    /// First, middle and last name as written, and whether the first name
    /// is a form shared by both sexes.
    fn names(&mut self, v: &mut Variations) -> (String, String, String, bool) {
        let habits = self.habits();
        let person = self.person;
        if self.noisy(habits.placeholder_name) {
            v.add(Variation::PlaceholderName);
            return (
                pick(self.rng, PLACEHOLDER_NAMES).to_string(),
                String::new(),
                String::new(),
                false,
            );
        }
        let shape = *pick(self.rng, &habits.shapes);
        if shape == Shape::Empty {
            v.add(Variation::NoName);
            return (String::new(), String::new(), String::new(), false);
        }
        let informal = matches!(
            self.channel,
            Channel::Store | Channel::App | Channel::Online
        );
        let mut first = match person.goes_by {
            Some(form) if informal && self.noisy(0.6) => {
                v.add(Variation::FirstNameDiminutive);
                form.to_string()
            }
            _ => self.first_name_form(v),
        };
        let unisex = is_unisex_form(&first);
        let mut last = (shape != Shape::FirstOnly).then(|| self.surname(v));
        let mut middle = (shape == Shape::Full).then(|| person.patronymic.clone());
        self.write_yo(&mut first, v);
        if let Some(last) = &mut last {
            self.write_yo(last, v);
        }
        if let Some(middle) = &mut middle {
            self.write_yo(middle, v);
        }
        let latin = self.noisy(habits.latin);
        if latin {
            let (system, variation) = *pick(
                self.rng,
                &[
                    ((System::Icao, Variation::TranslitIcao), 0.28),
                    ((System::OldPassport, Variation::TranslitOldPassport), 0.22),
                    ((System::GostB, Variation::TranslitGostB), 0.05),
                    ((System::Informal, Variation::TranslitInformal), 0.45),
                ],
            );
            v.add(variation);
            for field in [Some(&mut first), last.as_mut(), middle.as_mut()]
                .into_iter()
                .flatten()
            {
                let written = transliterate(self.rng, field, system);
                *field = drop_apostrophes(self.rng, written);
            }
        } else if self.noisy(habits.wrong_layout) {
            v.add(Variation::KeyboardLayout);
            first = wrong_layout(&first);
            if let Some(last) = &mut last {
                *last = wrong_layout(last);
            }
        }
        let hand = habits.hand;
        let typo_variations = [
            Variation::FirstNameTypo,
            Variation::LastNameTypo,
            Variation::MiddleNameTypo,
        ];
        for ((field, rate), variation) in [Some(&mut first), last.as_mut(), middle.as_mut()]
            .into_iter()
            .zip(habits.typo)
            .zip(typo_variations)
        {
            if let Some(field) = field
                && self.noisy(rate)
            {
                let slipped = if latin || field.is_ascii() {
                    misspell_latin(self.rng, field)
                } else {
                    misspell(self.rng, field, hand)
                };
                if slipped != *field {
                    v.add(variation);
                    *field = slipped;
                }
            }
        }
        if let Some(m) = &mut middle
            && self.noisy(habits.initials)
        {
            v.add(Variation::Initials);
            *m = initial(m);
            if chance(self.rng, 0.3) {
                first = initial(&first);
            }
        }
        let mut middle = middle.unwrap_or_default();
        let mut last = last.unwrap_or_default();
        if !last.is_empty() && self.noisy(habits.swap) {
            v.add(Variation::SwappedFirstLast);
            std::mem::swap(&mut first, &mut last);
        }
        if !last.is_empty() && self.noisy(habits.one_field) {
            v.add(Variation::FullNameInOneField);
            let parts: Vec<&str> = match *pick(self.rng, &[(0, 0.55), (1, 0.25), (2, 0.20)]) {
                0 => vec![&last, &first, &middle],
                1 => vec![&last, &first],
                _ => vec![&first, &last],
            };
            first = parts
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            middle.clear();
            last.clear();
        } else if !middle.is_empty() && self.noisy(habits.shifted) {
            v.add(Variation::FieldsShifted);
            (first, middle, last) = (last, first, middle);
        }
        if self.noisy(habits.upper) {
            v.add(Variation::NameCase);
            for field in [&mut first, &mut middle, &mut last] {
                *field = field.to_uppercase();
            }
        } else if self.noisy(habits.lower) {
            v.add(Variation::NameCase);
            for field in [&mut first, &mut middle, &mut last] {
                *field = field.to_lowercase();
            }
        }
        if self.noisy(habits.spacing) {
            v.add(Variation::NameSpacing);
            let field = if last.is_empty() || chance(self.rng, 0.5) {
                &mut first
            } else {
                &mut last
            };
            *field = match self.rng.random_range(0..3) {
                0 => format!("{field} "),
                1 => format!(" {field}"),
                _ if field.contains(' ') => field.replacen(' ', "  ", 1),
                _ => format!("{field}  "),
            };
        }
        (first, middle, last, unisex)
    }

    fn first_name_form(&mut self, v: &mut Variations) -> String {
        let name = self.person.first_name;
        let forms = diminutives(name);
        if !forms.is_empty() && self.noisy(self.habits().diminutive) {
            v.add(Variation::FirstNameDiminutive);
            return pick(self.rng, forms).to_string();
        }
        let spellings = spelling_variants(name);
        if !spellings.is_empty() && self.noisy(0.03) {
            v.add(Variation::FirstNameSpelling);
            return spellings[self.rng.random_range(0..spellings.len())].to_string();
        }
        name.to_string()
    }

    /// The surname written on this profile. Before the wedding it is the
    /// maiden name: that is life, not noise, and `--noise 0` keeps it.
    fn surname(&mut self, v: &mut Variations) -> String {
        let person = self.person;
        match &person.maiden {
            Some(maiden) if self.on < maiden.married_on || self.noisy(0.05) => {
                v.add(Variation::MaidenSurname);
                maiden.surname.clone()
            }
            Some(maiden) if person.double_barrelled && chance(self.rng, 0.5) => {
                v.add(Variation::DoubleBarrelledSurname);
                if chance(self.rng, 0.7) {
                    format!("{}-{}", maiden.surname, person.surname)
                } else {
                    format!("{}-{}", person.surname, maiden.surname)
                }
            }
            _ => person.surname.clone(),
        }
    }

    /// Names with ё as this person writes them, and now and then the other
    /// way.
    fn write_yo(&mut self, field: &mut String, v: &mut Variations) {
        if !field.contains(['ё', 'Ё']) {
            return;
        }
        let deviate = self.noisy(0.2);
        if deviate {
            v.add(Variation::YoE);
        }
        if self.person.writes_yo == deviate {
            *field = field.replace('ё', "е").replace('Ё', "Е");
        }
    }

    fn birth_date(&mut self, v: &mut Variations) -> String {
        let habits = self.habits();
        if self.person.withholds_birth_date || !chance(self.rng, habits.birth_date) {
            v.add(Variation::BirthDateMissing);
            return String::new();
        }
        if self.noisy(habits.birth_placeholder) {
            v.add(Variation::BirthDatePlaceholder);
            return pick(self.rng, habits.placeholder_dates).to_string();
        }
        if self.noisy(habits.birth_is_register_date) {
            v.add(Variation::BirthDateIsRegisterDate);
            return date(self.on).format("%Y-%m-%d").to_string();
        }
        let birth = self.person.birth;
        let written = if birth.day() <= 12
            && birth.day() != birth.month()
            && self.noisy(habits.day_month_swap)
        {
            v.add(Variation::BirthDateDayMonthSwap);
            birth
                .with_day(1)
                .and_then(|d| d.with_month(birth.day()))
                .and_then(|d| d.with_day(birth.month()))
        } else if self.noisy(habits.birth_typo) {
            v.add(Variation::BirthDateTypo);
            Some(mistype_date(self.rng, birth))
        } else if self.noisy(habits.year_only) {
            v.add(Variation::BirthDateYearOnly);
            birth.with_day(1).and_then(|d| d.with_month(1))
        } else {
            Some(birth)
        };
        written.unwrap_or(birth).format("%Y-%m-%d").to_string()
    }

    fn sex(&mut self, unisex_form: bool, v: &mut Variations) -> &'static str {
        let habits = self.habits();
        if !chance(self.rng, habits.sex) {
            v.add(Variation::SexMissing);
            return "";
        }
        let truth = self.person.sex;
        let clerk = matches!(
            self.channel,
            Channel::Store | Channel::PaperForm | Channel::CrmImport
        );
        let recorded = if truth == Sex::Female && self.noisy(habits.default_male) {
            Sex::Male
        } else if (unisex_form && clerk && self.noisy(0.4)) || self.noisy(0.006) {
            truth.other()
        } else {
            truth
        };
        if recorded != truth {
            v.add(Variation::SexWrong);
        }
        recorded.code()
    }
}

/// A record of the old CRM that repeats one of the person's profiles: the
/// names, birth date and sex exactly as that profile has them, with the
/// person's real identifiers where Sailplay still has them free, and a CRM
/// id of its own.
fn joined_copy(rng: &mut Rng, person: &Person, source: &Profile, taken: &mut Taken) -> Profile {
    let mut v = Variations::default();
    v.add(Variation::ChannelCrmImport);
    v.add(Variation::JoinedCopy);
    for variation in source.variations.iter().filter(|v| v.describes_person()) {
        v.add(variation);
    }
    let phone = person
        .phone_on(source.day)
        .map(|(number, _)| number)
        .filter(|number| !taken.phone(*number))
        .map(|number| {
            taken.phones.push(number);
            (number, PhoneFormat::Eight)
        });
    let email = person
        .email
        .as_ref()
        .map(contact::Email::render)
        .filter(|address| !taken.email(address))
        .inspect(|address| taken.emails.push(address.clone()));
    Profile {
        person: source.person,
        day: source.day,
        second: second_of_day(rng, Channel::CrmImport),
        phone,
        email,
        origin: Some(origin_user_id(rng, Channel::CrmImport)),
        first_name: source.first_name.clone(),
        middle_name: source.middle_name.clone(),
        last_name: source.last_name.clone(),
        birth_date: source.birth_date.clone(),
        sex: source.sex,
        points: 0,
        variations: v,
    }
}

/// The profile a cashier makes for a customer who gives nothing: an
/// invented number, a placeholder name, maybe a placeholder birth date.
pub fn placeholder_profile(rng: &mut Rng) -> Profile {
    let mut v = Variations::default();
    v.add(Variation::ChannelStore);
    v.add(Variation::PlaceholderName);
    let first_name = pick(rng, PLACEHOLDER_NAMES).to_string();
    let last_name = if chance(rng, 0.2) {
        pick(rng, PLACEHOLDER_NAMES).to_string()
    } else {
        String::new()
    };
    let birth_date = pick(
        rng,
        &[
            ("", 0.5),
            ("1900-01-01", 0.25),
            ("1971-01-01", 0.1),
            ("1970-01-01", 0.1),
            ("2000-01-01", 0.05),
        ],
    )
    .to_string();
    if birth_date.is_empty() {
        v.add(Variation::BirthDateMissing);
    } else {
        v.add(Variation::BirthDatePlaceholder);
    }
    let on = first_registration(rng);
    let sex = *pick(rng, &[("1", 0.4), ("", 0.5), ("2", 0.1)]);
    Profile {
        person: 0,
        day: on,
        second: second_of_day(rng, Channel::Store),
        phone: Some((invented_phone(rng), PhoneFormat::Canonical)),
        email: None,
        origin: chance(rng, 0.5).then(|| origin_user_id(rng, Channel::Store)),
        first_name,
        middle_name: String::new(),
        last_name,
        birth_date,
        sex,
        points: if chance(rng, 0.5) {
            0
        } else {
            rng.random_range(1..300)
        },
        variations: v,
    }
}

/// The external id a channel gives: a plastic card's EAN-13 at the till and
/// on paper forms, the old CRM's number, the web shop's account number, the
/// app's installation UUID.
fn origin_user_id(rng: &mut Rng, channel: Channel) -> String {
    match channel {
        Channel::Store | Channel::PaperForm => {
            let body: String = std::iter::once("27".to_string())
                .chain((0..10).map(|_| rng.random_range(0..10u8).to_string()))
                .collect();
            format!("{body}{}", ean13_check_digit(&body))
        }
        Channel::CrmImport => format!("{:08}", rng.random_range(0..100_000_000u32)),
        Channel::Online => rng.random_range(1_000_000..10_000_000u32).to_string(),
        Channel::App => {
            let hex: String = (0..32)
                .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
                .collect();
            format!(
                "{}-{}-4{}-{}-{}",
                &hex[..8],
                &hex[8..12],
                &hex[13..16],
                &hex[16..20],
                &hex[20..]
            )
        }
    }
}

fn ean13_check_digit(twelve: &str) -> u32 {
    let sum: u32 = twelve
        .chars()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d } else { 3 * d })
        .sum();
    (10 - sum % 10) % 10
}

/// Points on the account: many never earned any; the rest spread over
/// orders of magnitude.
fn points(rng: &mut Rng, channel: Channel) -> u32 {
    let (none, centre) = match channel {
        Channel::Store => (0.30, 5.2),
        Channel::App => (0.25, 5.6),
        Channel::Online => (0.50, 4.5),
        Channel::PaperForm => (0.40, 5.0),
        Channel::CrmImport => (0.60, 4.0),
    };
    if chance(rng, none) {
        return 0;
    }
    // Box-Muller: a normal deviate from two uniforms.
    let (a, b): (f64, f64) = (rng.random(), rng.random());
    let normal = (-2.0 * (1.0 - a).ln()).sqrt() * (std::f64::consts::TAU * b).cos();
    (centre + 1.3 * normal).exp().round().clamp(1.0, 200_000.0) as u32
}

/// `Елена` → `Е.`
fn initial(name: &str) -> String {
    name.chars()
        .next()
        .map_or_else(String::new, |c| format!("{c}."))
}

/// `ivanova.elena@mail.ru` → `Ivanova.Elena@Mail.ru`
fn capitalise_parts(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut start = true;
    for c in address.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = matches!(c, '.' | '@' | '_' | '-');
    }
    out
}

/// A birth date with one slip: the year's last two digits swapped, a year
/// or a day off by one, a day's digits swapped, a neighbouring month.
fn mistype_date(rng: &mut Rng, birth: chrono::NaiveDate) -> chrono::NaiveDate {
    for _ in 0..20 {
        let (y, m, d) = (birth.year(), birth.month(), birth.day());
        let candidate = match rng.random_range(0..5) {
            0 => {
                chrono::NaiveDate::from_ymd_opt(y - y % 100 + (y % 10) * 10 + (y % 100) / 10, m, d)
            }
            1 => chrono::NaiveDate::from_ymd_opt(y + if chance(rng, 0.5) { 1 } else { -1 }, m, d),
            2 => chrono::NaiveDate::from_ymd_opt(
                y,
                m,
                if d > 1 && chance(rng, 0.5) {
                    d - 1
                } else {
                    d + 1
                },
            ),
            3 => chrono::NaiveDate::from_ymd_opt(y, m, (d % 10) * 10 + d / 10),
            _ => chrono::NaiveDate::from_ymd_opt(
                y,
                if m > 1 && chance(rng, 0.5) {
                    m - 1
                } else {
                    m + 1
                },
                d,
            ),
        };
        if let Some(candidate) = candidate
            && candidate != birth
            && candidate.year() > 1920
        {
            return candidate;
        }
    }
    birth.succ_opt().unwrap_or(birth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate_b::people::{Spec, person};
    use crate::generate_b::random::stream;

    #[test]
    fn card_numbers_carry_a_valid_ean13_check_digit() {
        assert_eq!(ean13_check_digit("400638133393"), 1);
        let mut rng = stream(1, 0);
        let card = origin_user_id(&mut rng, Channel::Store);
        assert_eq!(card.len(), 13);
        assert_eq!(ean13_check_digit(&card[..12]).to_string(), card[12..]);
        assert_eq!(origin_user_id(&mut rng, Channel::App).len(), 36);
    }

    #[test]
    fn date_slips_are_valid_different_dates() {
        let mut rng = stream(2, 0);
        let birth = chrono::NaiveDate::from_ymd_opt(1986, 12, 31).unwrap();
        for _ in 0..200 {
            assert_ne!(mistype_date(&mut rng, birth), birth);
        }
    }

    #[test]
    fn capitalised_address_differs_only_in_case() {
        let mixed = capitalise_parts("ivanova.elena@mail.ru");
        assert_eq!(mixed, "Ivanova.Elena@Mail.Ru");
        assert!(mixed.eq_ignore_ascii_case("ivanova.elena@mail.ru"));
    }

    #[test]
    fn a_persons_profiles_never_repeat_a_phone_or_an_email() {
        let mut rng = stream(3, 0);
        for _ in 0..300 {
            let p = person(&mut rng, Spec::default(), 6);
            let mut out = Vec::new();
            profiles_of(&mut rng, &p, 0, 3.0, &mut out);
            assert_eq!(out.len(), 6);
            let phones: Vec<u64> = out.iter().filter_map(|p| p.phone.map(|(n, _)| n)).collect();
            let mut unique = phones.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), phones.len());
            let emails: Vec<String> = out
                .iter()
                .filter_map(|p| p.email.clone())
                .map(|e| e.to_lowercase())
                .collect();
            let mut unique = emails.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), emails.len());
            for profile in &out {
                assert!(
                    profile.phone.is_some() || profile.email.is_some() || profile.origin.is_some()
                );
                assert!(profile.day >= base_start() && profile.day <= base_end());
            }
            let fresh: Vec<i32> = out
                .iter()
                .filter(|p| !p.variations.contains(Variation::JoinedCopy))
                .map(|p| p.day)
                .collect();
            assert!(
                fresh.windows(2).all(|w| w[0] <= w[1]),
                "later profiles come later"
            );
        }
    }

    #[test]
    fn without_noise_profiles_show_no_mistakes() {
        let mut rng = stream(4, 0);
        let mistakes = [
            Variation::PhoneSubstitution,
            Variation::PhoneTransposition,
            Variation::EmailDomainTypo,
            Variation::EmailLoginTypo,
            Variation::FirstNameTypo,
            Variation::LastNameTypo,
            Variation::FirstNameDiminutive,
            Variation::TranslitInformal,
            Variation::SexWrong,
            Variation::BirthDateTypo,
            Variation::NameCase,
            Variation::PlaceholderName,
        ];
        for _ in 0..300 {
            let p = person(&mut rng, Spec::default(), 4);
            let mut out = Vec::new();
            profiles_of(&mut rng, &p, 0, 0.0, &mut out);
            for profile in &out {
                for mistake in mistakes {
                    assert!(!profile.variations.contains(mistake), "{mistake:?}");
                }
                if !profile.first_name.is_empty() {
                    let first = p.first_name.replace('ё', "е");
                    assert_eq!(profile.first_name.replace('ё', "е"), first);
                }
            }
        }
    }

    #[test]
    fn women_recorded_as_men_and_other_sex_slips_happen_at_realistic_rates() {
        let mut rng = stream(5, 0);
        let (mut wrong, mut total) = (0, 0);
        for _ in 0..20_000 {
            let p = person(&mut rng, Spec::default(), 1);
            let mut out = Vec::new();
            profiles_of(&mut rng, &p, 0, 1.0, &mut out);
            total += 1;
            wrong += usize::from(out[0].variations.contains(Variation::SexWrong));
            if out[0].variations.contains(Variation::SexWrong) {
                assert_ne!(out[0].sex, p.sex.code());
            }
        }
        let share = wrong as f64 / f64::from(total);
        assert!((0.012..0.035).contains(&share), "{share}");
    }
}
