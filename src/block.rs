//! Block: candidate pairs from several keys, so that scoring compares only
//! profiles that share something, never all n² pairs.
//!
//! Each blocking rule turns a profile into zero or more keys, in one or more
//! passes (a phone's one-edit neighbourhood is 27 passes: one per
//! masked-position or swapped-pair variant of up to fifteen digits). Profiles sharing a key in a
//! pass form a block and every pair in it is a candidate. Invariants:
//! - every candidate pair has `left < right` and remembers, as a bitmask,
//!   every rule that proposed it (bit `i` is `Candidates::rules[i]`);
//! - placeholder values (filler phones, `test@test.ru`, `Покупатель`) never
//!   make a key, and are counted per rule;
//! - a block that would yield more than `max_block_pairs` pairs is skipped
//!   whole and reported with its key and size: its key is too common to be
//!   evidence of anything;
//! - the output is sorted by `(left, right)` and identical for the same
//!   input, whatever the thread count.
//!
//! Grouping is done by hashing each key to 64 bits and sorting (key, row)
//! arrays in parallel: at a million profiles that is faster and leaner than
//! a data-frame group-by over string keys. A hash collision can only add a
//! candidate pair, which scoring then judges on its merits.

use anyhow::{Result, bail};
use chrono::NaiveDate;
use compact_str::CompactString;
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::compare::{
    PhoneDifference, date_digits, latin_skeleton, nameless_login_skeleton, normalize_extra_value,
    phone_difference,
};
use crate::normalize::{NormalizedRecord, PhoneKind, name_phonetic_key};
use crate::printer::Printer;
use crate::profile::Profile;
use crate::settings::matching::MatchSettings;

/// Two profiles (row indices, `left < right`) worth comparing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CandidatePair {
    pub left: u32,
    pub right: u32,
    /// Bit `i` set when `Candidates::rules[i]` proposed the pair.
    pub rules: u32,
}

/// What a blocking rule keys on. The settings name the built-in rules by
/// their serde names (`phone_exact`, ...), so an unknown name is a parse
/// error of the settings file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    PhoneExact,
    /// Phones one substitution or one adjacent transposition apart.
    PhoneOneEdit,
    /// Phones two substitutions apart (two different typos of one number,
    /// each on a later profile), with one first name: numbers two digits
    /// apart are too many to compare without it.
    PhoneTwoSubstitutionsFirstName,
    EmailMailbox,
    /// Logins one edit apart within one mailbox domain.
    EmailOneEdit,
    /// The same login on any domain.
    EmailLogin,
    /// Full first name, gender-neutral surname, and birth year or birth
    /// month-day (so a typo in one half still meets).
    NameBirthDate,
    /// Full first name, patronymic and gender-neutral surname.
    NamePatronymic,
    /// Surname sound key and full first name.
    SurnamePhoneticFirstName,
    BirthDateFirstName,
    BirthDateLastName,
    /// Birth date and the first letters of a surname, as spelled in Latin
    /// letters: a profile with no name offers every stretch of its e-mail
    /// login instead, so that it meets the named profile whose surname its
    /// login spells.
    LoginNameBirthDate,
    OriginUserId,
    /// The exact value of a custom attribute (`[[matching.extra]]` with
    /// `block = true`), by its index in `settings.extra`. Never named in
    /// the settings: the extra column's `block` asks for it.
    #[serde(skip)]
    Extra(usize),
}

impl RuleKind {
    /// The built-in rules, in their default order.
    pub const BUILT_IN: [RuleKind; 13] = [
        RuleKind::PhoneExact,
        RuleKind::PhoneOneEdit,
        RuleKind::PhoneTwoSubstitutionsFirstName,
        RuleKind::EmailMailbox,
        RuleKind::EmailOneEdit,
        RuleKind::EmailLogin,
        RuleKind::NameBirthDate,
        RuleKind::NamePatronymic,
        RuleKind::SurnamePhoneticFirstName,
        RuleKind::BirthDateFirstName,
        RuleKind::BirthDateLastName,
        RuleKind::LoginNameBirthDate,
        RuleKind::OriginUserId,
    ];

    /// A built-in rule's name, as the settings and reports spell it;
    /// `None` for an extra column's rule, named after its column.
    pub fn built_in_name(self) -> Option<String> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(name)) => Some(name),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockingRule {
    pub name: String,
    pub kind: RuleKind,
}

impl BlockingRule {
    /// A built-in rule, named as the settings name it; `None` for an extra
    /// column's rule.
    pub fn built_in(kind: RuleKind) -> Option<BlockingRule> {
        Some(BlockingRule {
            name: kind.built_in_name()?,
            kind,
        })
    }

    /// The rules the settings ask for: the named built-in rules, then one
    /// per blocking extra column.
    pub fn from_settings(settings: &MatchSettings) -> Result<Vec<BlockingRule>> {
        let mut rules = Vec::new();
        for kind in &settings.blocking_rules {
            let Some(rule) = BlockingRule::built_in(*kind) else {
                bail!(
                    "matching.blocking_rules: an extra column's rule is asked for by its `block`"
                );
            };
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        }
        for (index, extra) in settings.extra.iter().enumerate() {
            if extra.block {
                rules.push(BlockingRule {
                    name: format!("extra_{}", extra.column),
                    kind: RuleKind::Extra(index),
                });
            }
        }
        if rules.len() > 32 {
            bail!(
                "{} blocking rules configured; at most 32 fit a candidate pair's rule mask",
                rules.len()
            );
        }
        Ok(rules)
    }

    /// Whether the rule's keys are names and nothing else: its blocks get
    /// `max_name_block_pairs`.
    fn keys_on_names_alone(&self) -> bool {
        matches!(
            self.kind,
            RuleKind::SurnamePhoneticFirstName | RuleKind::NamePatronymic
        )
    }

    /// Whether two rows sharing one of the rule's keys are a pair it
    /// proposes: the two-substitution rule's keys are coarser than what it
    /// looks for (five blocks of digits, not ten digits), so it checks.
    fn proposes(&self, records: &[NormalizedRecord], left: u32, right: u32) -> bool {
        if self.kind != RuleKind::PhoneTwoSubstitutionsFirstName {
            return true;
        }
        let phone = |row: u32| records[row as usize].phone.as_ref();
        match (phone(left), phone(right)) {
            (Some(x), Some(y)) => phone_difference(&x.digits, &y.digits) != PhoneDifference::Other,
            _ => false,
        }
    }

    /// How many independent key passes the rule makes.
    fn passes(&self) -> usize {
        match self.kind {
            // Positions 1..=10 deleted (the leading 7 is the same for every
            // Russian number), then pairs (1,2)..(9,10) put in order.
            RuleKind::PhoneOneEdit => PHONE_SUBSTITUTION_PASSES + PHONE_TRANSPOSITION_PASSES,
            RuleKind::PhoneTwoSubstitutionsFirstName => PHONE_TWO_SUBSTITUTION_PASSES,
            // Birth year, then birth month-day.
            RuleKind::NameBirthDate => 2,
            _ => 1,
        }
    }

    /// Calls `emit` with each key of `record` in `pass`, built in `key` (a
    /// scratch buffer the caller reuses: a million records make tens of
    /// millions of keys). Says whether the record had the rule's value at
    /// all, and whether it was junk.
    fn emit_keys(
        &self,
        record: &NormalizedRecord,
        extra_values: &[Vec<Option<String>>],
        pass: usize,
        key: &mut Vec<u8>,
        emit: &mut dyn FnMut(&[u8]),
    ) -> KeySource {
        key.clear();
        match self.kind {
            RuleKind::PhoneExact | RuleKind::PhoneOneEdit => {
                let Some(phone) = &record.phone else {
                    return KeySource::Missing;
                };
                if phone.placeholder {
                    return KeySource::Junk;
                }
                if phone.kind == PhoneKind::Invalid || phone.digits.len() < 7 {
                    return KeySource::Missing;
                }
                let digits = phone.digits.as_bytes();
                if self.kind == RuleKind::PhoneExact {
                    emit(digits);
                } else {
                    phone_neighbourhood_key(digits, pass, key);
                    if !key.is_empty() {
                        emit(key);
                    }
                }
            }
            RuleKind::PhoneTwoSubstitutionsFirstName => {
                let Some(phone) = &record.phone else {
                    return KeySource::Missing;
                };
                if phone.placeholder || record.name.placeholder {
                    return KeySource::Junk;
                }
                let digits = phone.digits.as_bytes();
                let mut first_forms = first_name_forms(record).peekable();
                if phone.kind == PhoneKind::Invalid
                    || digits.len() < 7
                    || first_forms.peek().is_none()
                {
                    return KeySource::Missing;
                }
                let (first_block, second_block) = two_blocks(pass);
                for first in first_forms {
                    key.clear();
                    key.extend_from_slice(digits);
                    for block in [first_block, second_block] {
                        let start = 1 + 2 * block;
                        for digit in key.iter_mut().skip(start).take(2) {
                            *digit = b'*';
                        }
                    }
                    key.push(SEPARATOR);
                    key.extend_from_slice(first.as_bytes());
                    emit(key);
                }
            }
            RuleKind::EmailMailbox | RuleKind::EmailOneEdit | RuleKind::EmailLogin => {
                let Some(email) = &record.email else {
                    return KeySource::Missing;
                };
                if email.placeholder {
                    return KeySource::Junk;
                }
                if !email.valid {
                    return KeySource::Missing;
                }
                let (login, domain) = mailbox_login_and_domain(&email.mailbox_key);
                match self.kind {
                    RuleKind::EmailMailbox => emit(email.mailbox_key.as_bytes()),
                    RuleKind::EmailLogin => {
                        if !login.is_empty() {
                            emit(login.as_bytes());
                        }
                    }
                    _ => {
                        // The login itself and each one-character deletion
                        // (a symmetric deletion neighbourhood: logins one
                        // edit apart share at least one key). Logins shorter
                        // than three characters get only the first.
                        key.extend_from_slice(domain.as_bytes());
                        key.push(SEPARATOR);
                        let prefix = key.len();
                        key.extend_from_slice(login.as_bytes());
                        emit(key);
                        if login.chars().count() >= 3 {
                            for (start, letter) in login.char_indices().take(MAX_LOGIN_DELETIONS) {
                                key.truncate(prefix);
                                key.extend_from_slice(&login.as_bytes()[..start]);
                                key.extend_from_slice(
                                    &login.as_bytes()[start + letter.len_utf8()..],
                                );
                                emit(key);
                            }
                        }
                    }
                }
            }
            RuleKind::NameBirthDate
            | RuleKind::NamePatronymic
            | RuleKind::SurnamePhoneticFirstName
            | RuleKind::BirthDateFirstName
            | RuleKind::BirthDateLastName => {
                let name = &record.name;
                if name.placeholder {
                    return KeySource::Junk;
                }
                let first_forms = first_name_forms(record);
                let date = record.birth_date.map(DateKey::of);
                let date = date.as_ref().map(DateKey::as_str);
                match self.kind {
                    RuleKind::NameBirthDate => {
                        let (Some(last), Some(date)) = (&name.last_key, &date) else {
                            return missing_or_junk(record, self.kind);
                        };
                        let date_part = if pass == 0 { &date[..4] } else { &date[4..] };
                        for first in first_forms.clone() {
                            emit_joined(key, &[first, last, date_part], emit);
                        }
                    }
                    RuleKind::NamePatronymic => {
                        let (Some(last), Some(middle)) = (&name.last_key, &name.middle) else {
                            return KeySource::Missing;
                        };
                        for first in first_forms.clone() {
                            emit_joined(key, &[first, middle, last], emit);
                        }
                    }
                    RuleKind::SurnamePhoneticFirstName => {
                        let Some(last) = &name.last_key else {
                            return KeySource::Missing;
                        };
                        // Normalising computed it already; computed here
                        // only for a record built without it.
                        let computed;
                        let sound = match &name.last_phonetic {
                            Some(sound) => sound.as_str(),
                            None => {
                                computed = name_phonetic_key(last);
                                computed.as_str()
                            }
                        };
                        for first in first_forms.clone() {
                            emit_joined(key, &[first, sound], emit);
                        }
                    }
                    RuleKind::BirthDateFirstName => {
                        let Some(date) = &date else {
                            return missing_or_junk(record, self.kind);
                        };
                        for first in first_forms.clone() {
                            emit_joined(key, &[first, date], emit);
                        }
                    }
                    _ => {
                        let (Some(last), Some(date)) = (&name.last_key, &date) else {
                            return missing_or_junk(record, self.kind);
                        };
                        emit_joined(key, &[last, date], emit);
                    }
                }
                if first_forms.clone().next().is_none() && self.kind != RuleKind::BirthDateLastName
                {
                    return KeySource::Missing;
                }
            }
            RuleKind::LoginNameBirthDate => {
                let Some(date) = record.birth_date.map(DateKey::of) else {
                    return missing_or_junk(record, self.kind);
                };
                let date = date.as_str();
                if let Some(login) = nameless_login_skeleton(record) {
                    for stretch in login_name_stretches(&login) {
                        emit_joined(key, &[stretch, date], emit);
                    }
                } else if let Some(last) = &record.name.last {
                    let surname = latin_skeleton(last);
                    match surname.get(..LOGIN_NAME_KEY_LETTERS) {
                        Some(start) => emit_joined(key, &[start, date], emit),
                        None => return KeySource::Missing,
                    }
                } else {
                    return KeySource::Missing;
                }
            }
            RuleKind::OriginUserId => {
                let Some(origin) = &record.origin_user_id else {
                    return KeySource::Missing;
                };
                emit(origin.as_bytes());
            }
            RuleKind::Extra(index) => {
                let Some(value) = extra_values
                    .get(index)
                    .and_then(|values| values.get(record.row as usize))
                    .and_then(Option::as_ref)
                else {
                    return KeySource::Missing;
                };
                emit(value.as_bytes());
            }
        }
        KeySource::Present
    }
}

/// Letters of a surname's Latin skeleton in a `login_name_birth_date` key:
/// enough to tell most surnames apart among the profiles of one birth
/// date, few enough that a login spelling a longer surname still holds
/// them.
const LOGIN_NAME_KEY_LETTERS: usize = 5;

/// Every stretch of `LOGIN_NAME_KEY_LETTERS` letters of a login skeleton
/// (ASCII), where a surname the login spells may start.
fn login_name_stretches(login: &str) -> impl Iterator<Item = &str> {
    let count = (login.len() + 1).saturating_sub(LOGIN_NAME_KEY_LETTERS);
    (0..count).filter_map(move |start| login.get(start..start + LOGIN_NAME_KEY_LETTERS))
}

/// E.164 numbers have up to fifteen digits: a Russian number's passes past
/// its eleventh make no key, a longer foreign number's do.
const PHONE_SUBSTITUTION_PASSES: usize = 14;
/// The ten digits after the country code, in five blocks of two: two
/// substitutions touch at most two blocks, so two numbers two digits apart
/// agree on the other three, and meet in the pass that masks the two they
/// differ in. Ten passes (every two of five blocks) instead of forty-five
/// (every two of ten digits); a pair found that differs in more digits is
/// merely compared and weighed as any other.
const PHONE_TWO_SUBSTITUTION_PASSES: usize = 10;

/// The two masked blocks (0..5) of a `phone_two_substitutions_first_name`
/// pass: (0,1), (0,2) ... (3,4) in order.
fn two_blocks(pass: usize) -> (usize, usize) {
    let mut remaining = pass;
    for first in 0..4 {
        let seconds = 4 - first;
        if remaining < seconds {
            return (first, first + 1 + remaining);
        }
        remaining -= seconds;
    }
    (4, 4)
}
const PHONE_TRANSPOSITION_PASSES: usize = 13;
const MAX_LOGIN_DELETIONS: usize = 32;
/// Joins the parts of a composite key; never occurs in normalised values.
const SEPARATOR: u8 = 0x1f;

/// A key of the one-edit neighbourhood of a phone, for one pass: the number
/// with one position masked (two numbers one substitution apart share the
/// key of that position), or with two adjacent digits put in order (two
/// numbers one transposition apart share it). Positions count from the
/// second digit: the first is the country code.
fn phone_neighbourhood_key(digits: &[u8], pass: usize, key: &mut Vec<u8>) {
    key.clear();
    if pass < PHONE_SUBSTITUTION_PASSES {
        let position = pass + 1;
        if position < digits.len() {
            key.extend_from_slice(digits);
            key[position] = b'*';
        }
    } else {
        let position = pass - PHONE_SUBSTITUTION_PASSES + 1;
        if position + 1 < digits.len() && digits[position] != digits[position + 1] {
            key.extend_from_slice(digits);
            let (low, high) = if digits[position] < digits[position + 1] {
                (digits[position], digits[position + 1])
            } else {
                (digits[position + 1], digits[position])
            };
            key[position] = low;
            key[position + 1] = high;
            key.push(b'T');
        }
    }
}

/// The login and domain halves of a mailbox key.
fn mailbox_login_and_domain(mailbox_key: &str) -> (&str, &str) {
    mailbox_key.rsplit_once('@').unwrap_or((mailbox_key, ""))
}

/// The full first names a record's first name may stand for (every reading
/// of an ambiguous diminutive), or the first name itself. An iterator, not
/// a Vec: it runs for every record in every pass of five rules.
fn first_name_forms(record: &NormalizedRecord) -> impl Iterator<Item = &str> + Clone {
    let full = &record.name.first_full;
    let first = if full.is_empty() {
        record.name.first.as_deref()
    } else {
        None
    };
    full.iter().map(CompactString::as_str).chain(first)
}

/// A birth date as the `YYYYMMDD` text of its keys, built without the
/// formatting machinery (chrono's `format` parses its pattern on every
/// call, and blocking asks for a million dates per pass).
struct DateKey {
    bytes: [u8; 8],
    /// Years outside 0..=9999 are spelled by chrono (`+10000...`).
    unusual: Option<String>,
}

impl DateKey {
    fn of(date: NaiveDate) -> DateKey {
        match date_digits(date) {
            Some(bytes) => DateKey {
                bytes,
                unusual: None,
            },
            None => DateKey {
                bytes: [0; 8],
                unusual: Some(date.format("%Y%m%d").to_string()),
            },
        }
    }

    fn as_str(&self) -> &str {
        match &self.unusual {
            Some(text) => text,
            // Eight ASCII digits.
            None => std::str::from_utf8(&self.bytes).unwrap_or_default(),
        }
    }
}

fn missing_or_junk(record: &NormalizedRecord, kind: RuleKind) -> KeySource {
    let needs_date = matches!(
        kind,
        RuleKind::NameBirthDate
            | RuleKind::BirthDateFirstName
            | RuleKind::BirthDateLastName
            | RuleKind::LoginNameBirthDate
    );
    if needs_date && record.birth_date.is_none() && record.birth_date_placeholder {
        KeySource::Junk
    } else {
        KeySource::Missing
    }
}

fn emit_joined(key: &mut Vec<u8>, parts: &[&str], emit: &mut dyn FnMut(&[u8])) {
    key.clear();
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            key.push(SEPARATOR);
        }
        key.extend_from_slice(part.as_bytes());
    }
    emit(key);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeySource {
    Present,
    Missing,
    Junk,
}

/// 64-bit hash of a key; stable across runs and platforms.
fn hash_key(bytes: &[u8]) -> u64 {
    const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut hash = 0x243f_6a88_85a3_08d3_u64 ^ (bytes.len() as u64).wrapping_mul(MULTIPLIER);
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        hash = (hash ^ u64::from_le_bytes(word)).wrapping_mul(MULTIPLIER);
        hash ^= hash >> 29;
    }
    // murmur3 finaliser
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

/// The candidate pairs, sorted by `(left, right)`.
pub struct Candidates {
    pub pairs: Vec<CandidatePair>,
    /// Bit `i` of a pair's `rules` is `rules[i]`.
    pub rules: Vec<BlockingRule>,
    pub stats: BlockingStats,
}

impl Candidates {
    /// The names of the rules in a pair's mask, in rule order.
    pub fn rule_names(&self, mask: u32) -> Vec<String> {
        self.rules
            .iter()
            .enumerate()
            .filter(|(index, _)| mask & (1 << index) != 0)
            .map(|(_, rule)| rule.name.clone())
            .collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BlockingStats {
    pub profiles: u64,
    /// Distinct candidate pairs, all rules together.
    pub candidate_pairs: u64,
    pub max_block_pairs: u64,
    pub rules: Vec<RuleStats>,
    /// The largest skipped blocks (at most 50), largest first.
    pub capped_blocks: Vec<CappedBlock>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleStats {
    pub rule: String,
    /// Distinct candidate pairs this rule proposed.
    pub pairs: u64,
    /// Of those, pairs no other rule proposed.
    pub pairs_only_this_rule: u64,
    /// Blocks of two or more profiles that were kept.
    pub blocks: u64,
    /// Profiles whose value for this rule was a placeholder (no key made).
    pub junk_values_skipped: u64,
    /// Blocks skipped for exceeding `max_block_pairs`, and the pairs they
    /// would have given.
    pub capped_blocks: u64,
    pub capped_pairs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CappedBlock {
    pub rule: String,
    /// The shared key, its parts joined by ` | `.
    pub key: String,
    pub profiles: u64,
    pub pairs: u64,
}

/// A skipped block before its key is spelled out.
struct CappedBlockRef {
    rule: usize,
    pass: usize,
    key_hash: u64,
    first_row: u32,
    profiles: u64,
}

pub fn candidate_pairs(
    profiles: &[Profile],
    records: &[NormalizedRecord],
    settings: &MatchSettings,
    printer: &Printer,
) -> Result<Candidates> {
    let rules = BlockingRule::from_settings(settings)?;
    let extra_values: Vec<Vec<Option<String>>> = settings
        .extra
        .iter()
        .map(|extra| {
            if extra.block {
                profiles
                    .iter()
                    .map(|profile| {
                        profile
                            .value_of(&extra.column)
                            .and_then(normalize_extra_value)
                    })
                    .collect()
            } else {
                Vec::new()
            }
        })
        .collect();
    let total_passes: usize = rules.iter().map(BlockingRule::passes).sum();
    let bar = printer.bar(
        "block",
        total_passes as u64,
        crate::printer::Unit::Items("passes"),
    );

    // Pairs are merged as they will be returned (12 bytes each, not a
    // padded 16): at ten million profiles there are a hundred million.
    let mut merged: Vec<CandidatePair> = Vec::new();
    // Buffers reused from rule to rule: fresh ones of this size cost more
    // in page faults than the merging itself.
    let mut spare: Vec<CandidatePair> = Vec::new();
    let mut rule_pairs: Vec<u64> = Vec::new();
    let mut rule_stats = Vec::with_capacity(rules.len());
    let mut capped_refs = Vec::new();
    for (rule_index, rule) in rules.iter().enumerate() {
        let mut stats = RuleStats {
            rule: rule.name.clone(),
            ..RuleStats::default()
        };
        rule_pairs.clear();
        for pass in 0..rule.passes() {
            let (mut keyed, junk) = keyed_rows(rule, records, &extra_values, pass);
            if pass == 0 {
                stats.junk_values_skipped = junk;
            }
            keyed.par_sort_unstable();
            let cap = if rule.keys_on_names_alone() {
                settings.max_name_block_pairs
            } else {
                settings.max_block_pairs
            };
            for_each_block(&keyed, |block_hash, rows| {
                let size = rows.len() as u64;
                let pairs = size * (size - 1) / 2;
                if pairs > cap {
                    stats.capped_blocks += 1;
                    stats.capped_pairs += pairs;
                    capped_refs.push(CappedBlockRef {
                        rule: rule_index,
                        pass,
                        key_hash: block_hash,
                        first_row: rows[0],
                        profiles: size,
                    });
                    return;
                }
                stats.blocks += 1;
                for (position, &left) in rows.iter().enumerate() {
                    for &right in &rows[position + 1..] {
                        if left != right && rule.proposes(records, left, right) {
                            rule_pairs.push(pack_pair(left, right));
                        }
                    }
                }
            });
            bar.inc(1);
        }
        rule_pairs.par_sort_unstable();
        rule_pairs.dedup();
        merge_rule_pairs(&merged, &rule_pairs, 1 << rule_index, &mut spare);
        std::mem::swap(&mut merged, &mut spare);
        rule_stats.push(stats);
    }
    drop(spare);
    drop(rule_pairs);
    bar.finish_and_clear();

    let mut pairs_by_rule = vec![0u64; rules.len()];
    let mut pairs_only_by_rule = vec![0u64; rules.len()];
    for pair in &merged {
        let mask = pair.rules;
        let mut bits = mask;
        while bits != 0 {
            pairs_by_rule[bits.trailing_zeros() as usize] += 1;
            bits &= bits - 1;
        }
        if mask.is_power_of_two() {
            pairs_only_by_rule[mask.trailing_zeros() as usize] += 1;
        }
    }
    for (index, stats) in rule_stats.iter_mut().enumerate() {
        stats.pairs = pairs_by_rule[index];
        stats.pairs_only_this_rule = pairs_only_by_rule[index];
    }
    capped_refs.sort_by(|a, b| {
        b.profiles
            .cmp(&a.profiles)
            .then(a.rule.cmp(&b.rule))
            .then(a.first_row.cmp(&b.first_row))
    });
    let capped_blocks = capped_refs
        .iter()
        .take(50)
        .map(|block| CappedBlock {
            rule: rules[block.rule].name.clone(),
            key: spell_key(&rules[block.rule], records, &extra_values, block),
            profiles: block.profiles,
            pairs: block.profiles * (block.profiles - 1) / 2,
        })
        .collect();
    let pairs = merged;
    let stats = BlockingStats {
        profiles: records.len() as u64,
        candidate_pairs: pairs.len() as u64,
        max_block_pairs: settings.max_block_pairs,
        rules: rule_stats,
        capped_blocks,
    };
    Ok(Candidates {
        pairs,
        rules,
        stats,
    })
}

fn pack_pair(left: u32, right: u32) -> u64 {
    let (low, high) = if left < right {
        (left, right)
    } else {
        (right, left)
    };
    ((low as u64) << 32) | high as u64
}

/// Records per parallel task of `keyed_rows`.
const RECORDS_PER_TASK: usize = 4096;

/// `(key hash, row)` for every key of every record in one pass of a rule,
/// and how many records had a junk value.
///
/// The keys are counted first, then written straight into a buffer of the
/// final size, each task into its own stretch. Collecting per-task vectors
/// and copying them into one would hold every key twice: the email
/// neighbourhood makes about twenty keys per address, 4 GB at ten million
/// profiles. Counting costs a second run of the key builder, without the
/// hashing.
fn keyed_rows(
    rule: &BlockingRule,
    records: &[NormalizedRecord],
    extra_values: &[Vec<Option<String>>],
    pass: usize,
) -> (Vec<(u64, u32)>, u64) {
    let counts: Vec<(usize, u64)> = records
        .par_chunks(RECORDS_PER_TASK)
        .map(|chunk| {
            let mut keys = 0usize;
            let mut junk = 0u64;
            let mut key = Vec::with_capacity(64);
            for record in chunk {
                let source =
                    rule.emit_keys(record, extra_values, pass, &mut key, &mut |_| keys += 1);
                if source == KeySource::Junk {
                    junk += 1;
                }
            }
            (keys, junk)
        })
        .collect();
    let junk = counts.iter().map(|(_, junk)| junk).sum();
    let mut keyed = vec![(0u64, 0u32); counts.iter().map(|(keys, _)| keys).sum()];
    let mut stretches = Vec::with_capacity(counts.len());
    let mut rest = keyed.as_mut_slice();
    for &(keys, _) in &counts {
        let (stretch, tail) = rest.split_at_mut(keys);
        stretches.push(stretch);
        rest = tail;
    }
    records
        .par_chunks(RECORDS_PER_TASK)
        .zip(stretches.into_par_iter())
        .for_each(|(chunk, stretch)| {
            // A stretch of records that made no key in the count (a phone
            // pass past the eleventh digit, records without the field)
            // needs no second run of the key builder.
            if stretch.is_empty() {
                return;
            }
            let mut written = 0;
            let mut key = Vec::with_capacity(64);
            for (index, record) in chunk.iter().enumerate() {
                // The values live on the heap, a few hundred bytes apart
                // per record: past the hardware prefetcher's reach.
                if let Some(ahead) = chunk.get(index + VALUES_AHEAD) {
                    crate::normalize::prefetch::values(ahead);
                }
                let row = record.row;
                rule.emit_keys(record, extra_values, pass, &mut key, &mut |key| {
                    stretch[written] = (hash_key(key), row);
                    written += 1;
                });
            }
            debug_assert_eq!(written, stretch.len(), "keys counted and written differ");
        });
    (keyed, junk)
}

/// Records ahead whose values `keyed_rows` asks the CPU to fetch.
const VALUES_AHEAD: usize = 8;

/// Calls `visit` with each run of equal keys of two or more rows (rows
/// ascending, a row listed once).
fn for_each_block(keyed: &[(u64, u32)], mut visit: impl FnMut(u64, &[u32])) {
    let mut rows = Vec::new();
    let mut start = 0;
    while start < keyed.len() {
        let key = keyed[start].0;
        let mut end = start + 1;
        while end < keyed.len() && keyed[end].0 == key {
            end += 1;
        }
        if end - start >= 2 {
            rows.clear();
            rows.extend(keyed[start..end].iter().map(|(_, row)| *row));
            rows.dedup();
            if rows.len() >= 2 {
                visit(key, &rows);
            }
        }
        start = end;
    }
}

/// Merges one rule's sorted, distinct pairs (packed by `pack_pair`) into
/// the union so far, OR-ing the rule's bit into the masks; the result
/// replaces `merged`'s contents.
fn merge_rule_pairs(
    union: &[CandidatePair],
    rule_pairs: &[u64],
    bit: u32,
    merged: &mut Vec<CandidatePair>,
) {
    let unpacked = |packed: u64, rules: u32| CandidatePair {
        left: (packed >> 32) as u32,
        right: packed as u32,
        rules,
    };
    merged.clear();
    merged.reserve(union.len() + rule_pairs.len());
    let mut new_pairs = rule_pairs.iter().peekable();
    for pair in union {
        let packed = pack_pair(pair.left, pair.right);
        while let Some(&&next) = new_pairs.peek() {
            if next >= packed {
                break;
            }
            merged.push(unpacked(next, bit));
            new_pairs.next();
        }
        if new_pairs.peek() == Some(&&packed) {
            new_pairs.next();
            merged.push(CandidatePair {
                rules: pair.rules | bit,
                ..*pair
            });
        } else {
            merged.push(*pair);
        }
    }
    merged.extend(new_pairs.map(|&packed| unpacked(packed, bit)));
}

/// The readable key of a skipped block, recomputed from its first member.
fn spell_key(
    rule: &BlockingRule,
    records: &[NormalizedRecord],
    extra_values: &[Vec<Option<String>>],
    block: &CappedBlockRef,
) -> String {
    let mut spelled = String::new();
    if let Some(record) = records.get(block.first_row as usize) {
        rule.emit_keys(
            record,
            extra_values,
            block.pass,
            &mut Vec::new(),
            &mut |key| {
                if spelled.is_empty() && hash_key(key) == block.key_hash {
                    spelled = String::from_utf8_lossy(key).replace(SEPARATOR as char, " | ");
                }
            },
        );
    }
    spelled
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{NormalizedEmail, NormalizedName, NormalizedPhone};
    use chrono::NaiveDate;

    fn record(row: u32) -> NormalizedRecord {
        NormalizedRecord {
            row,
            phone: None,
            email: None,
            name: NormalizedName::default(),
            birth_date: None,
            birth_date_placeholder: false,
            birth_date_implausible: false,
            sex_from_names: false,
            sex: None,
            origin_user_id: None,
            register_date: None,
        }
    }

    fn with_phone(row: u32, digits: &str) -> NormalizedRecord {
        NormalizedRecord {
            phone: Some(NormalizedPhone {
                digits: digits.into(),
                kind: PhoneKind::Mobile,
                placeholder: false,
            }),
            ..record(row)
        }
    }

    fn with_email(row: u32, login: &str, domain: &str) -> NormalizedRecord {
        NormalizedRecord {
            email: Some(NormalizedEmail {
                address: format!("{login}@{domain}").into(),
                login: login.into(),
                domain: domain.into(),
                mailbox_key: format!("{login}@{domain}").into(),
                repaired: false,
                valid: true,
                placeholder: false,
            }),
            ..record(row)
        }
    }

    fn with_name(row: u32, first: &str, last: &str, birth: Option<&str>) -> NormalizedRecord {
        NormalizedRecord {
            name: NormalizedName {
                first: Some(first.into()),
                first_full: vec![first.into()],
                last: Some(last.into()),
                last_key: Some(last.trim_end_matches('а').into()),
                ..NormalizedName::default()
            },
            birth_date: birth.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
            ..record(row)
        }
    }

    #[test]
    fn built_in_rules_are_named_as_the_settings_read_them() {
        for kind in RuleKind::BUILT_IN {
            let name = kind.built_in_name().unwrap();
            let read: RuleKind = serde_json::from_value(serde_json::json!(name)).unwrap();
            assert_eq!(read, kind);
        }
        assert_eq!(
            RuleKind::SurnamePhoneticFirstName
                .built_in_name()
                .as_deref(),
            Some("surname_phonetic_first_name")
        );
        assert_eq!(RuleKind::Extra(0).built_in_name(), None);
    }

    fn only_rules(kinds: &[RuleKind]) -> MatchSettings {
        MatchSettings {
            blocking_rules: kinds.to_vec(),
            ..MatchSettings::default()
        }
    }

    fn pairs_of(records: &[NormalizedRecord], settings: &MatchSettings) -> Vec<(u32, u32)> {
        let profiles = vec![Profile::default(); records.len()];
        candidate_pairs(&profiles, records, settings, &Printer::silent())
            .unwrap()
            .pairs
            .iter()
            .map(|pair| (pair.left, pair.right))
            .collect()
    }

    #[test]
    fn phone_neighbourhood_reaches_one_substitution_and_one_transposition() {
        let records = vec![
            with_phone(0, "79161234567"),
            with_phone(1, "79161234568"), // one substitution from 0
            with_phone(2, "79161235467"), // transposition from 0
            with_phone(3, "79169999999"), // far from all
            with_phone(4, "79161234567"), // equal to 0
        ];
        let pairs = pairs_of(&records, &only_rules(&[RuleKind::PhoneOneEdit]));
        assert_eq!(pairs, vec![(0, 1), (0, 2), (0, 4), (1, 4), (2, 4)]);
    }

    #[test]
    fn phone_neighbourhood_reaches_the_last_digits_of_a_fifteen_digit_number() {
        let records = vec![
            with_phone(0, "375291234567"),
            with_phone(1, "375291234568"), // twelfth digit
            with_phone(2, "861012345678901"),
            with_phone(3, "861012345678910"), // fourteenth and fifteenth swapped
        ];
        let pairs = pairs_of(&records, &only_rules(&[RuleKind::PhoneOneEdit]));
        assert_eq!(pairs, vec![(0, 1), (2, 3)]);
    }

    #[test]
    fn two_typos_of_one_number_meet_with_one_first_name() {
        let named = |row: u32, digits: &str, first: &str| {
            let mut record = with_phone(row, digits);
            record.name.first = Some(first.into());
            record
        };
        let records = vec![
            named(0, "79161234567", "анна"),
            // Two digits off, far apart: two typos of one number.
            named(1, "79261234557", "анна"),
            // Two digits off, another first name: not proposed.
            named(2, "79261234557", "мария"),
            // Three digits off.
            named(3, "79261234998", "анна"),
        ];
        let settings = only_rules(&[RuleKind::PhoneTwoSubstitutionsFirstName]);
        assert_eq!(pairs_of(&records, &settings), vec![(0, 1)]);
        let passes: Vec<_> = (0..PHONE_TWO_SUBSTITUTION_PASSES).map(two_blocks).collect();
        assert_eq!(passes.first(), Some(&(0, 1)));
        assert_eq!(passes.last(), Some(&(3, 4)));
        let distinct: std::collections::BTreeSet<_> = passes.iter().collect();
        assert_eq!(distinct.len(), 10);
    }

    #[test]
    fn placeholder_phones_make_no_block_and_are_counted() {
        let mut records = vec![with_phone(0, "79999999999"), with_phone(1, "79999999999")];
        for record in &mut records {
            record.phone.as_mut().unwrap().placeholder = true;
        }
        let profiles = vec![Profile::default(); 2];
        let candidates = candidate_pairs(
            &profiles,
            &records,
            &only_rules(&[RuleKind::PhoneExact]),
            &Printer::silent(),
        )
        .unwrap();
        assert!(candidates.pairs.is_empty());
        assert_eq!(candidates.stats.rules[0].junk_values_skipped, 2);
    }

    #[test]
    fn email_one_edit_stays_within_a_domain() {
        let records = vec![
            with_email(0, "ivanov", "mail.ru"),
            with_email(1, "ivanof", "mail.ru"),
            with_email(2, "ivanovv", "mail.ru"),
            with_email(3, "ivanov", "gmail.com"),
        ];
        let pairs = pairs_of(&records, &only_rules(&[RuleKind::EmailOneEdit]));
        assert_eq!(pairs, vec![(0, 1), (0, 2)]);
        let pairs = pairs_of(&records, &only_rules(&[RuleKind::EmailLogin]));
        assert_eq!(pairs, vec![(0, 3)]);
    }

    #[test]
    fn name_and_birth_date_meet_despite_a_typo_in_the_date() {
        let records = vec![
            with_name(0, "александр", "иванов", Some("1985-03-07")),
            with_name(1, "александр", "иванов", Some("1985-03-08")),
            with_name(2, "александр", "иванов", Some("1958-03-07")),
            with_name(3, "александр", "иванов", Some("1970-01-02")),
        ];
        let pairs = pairs_of(&records, &only_rules(&[RuleKind::NameBirthDate]));
        assert_eq!(pairs, vec![(0, 1), (0, 2)]);
    }

    #[test]
    fn a_nameless_profile_meets_the_named_one_its_login_spells_on_one_birth_date() {
        let born = |mut record: NormalizedRecord, date: &str| {
            record.birth_date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok();
            record
        };
        let records = vec![
            with_name(0, "арина", "кузнецова", Some("1990-05-29")),
            born(
                with_email(1, "kuznetsova.arina884", "mail.ru"),
                "1990-05-29",
            ),
            // The login spells her surname, but another birth date.
            born(
                with_email(2, "kuznetsova.arina884", "gmail.com"),
                "1991-05-29",
            ),
            // A login spelling nothing of hers.
            born(with_email(3, "cool_hunter2398", "mail.ru"), "1990-05-29"),
            // Named profiles offer their surname, not their login.
            {
                let mut named = with_name(4, "ольга", "петрова", Some("1990-05-29"));
                named.email = with_email(4, "kuznetsova", "mail.ru").email;
                named
            },
        ];
        let pairs = pairs_of(&records, &only_rules(&[RuleKind::LoginNameBirthDate]));
        assert_eq!(pairs, vec![(0, 1)]);
        assert_eq!(
            login_name_stretches("kuznecova").collect::<Vec<_>>(),
            ["kuzne", "uznec", "zneco", "necov", "ecova"]
        );
        assert_eq!(login_name_stretches("ivan").count(), 0);
    }

    #[test]
    fn oversized_blocks_are_skipped_and_reported_with_their_key() {
        let records: Vec<_> = (0..10)
            .map(|row| with_name(row, "александр", "иванов", None))
            .collect();
        let settings = MatchSettings {
            max_name_block_pairs: 44,
            ..only_rules(&[RuleKind::SurnamePhoneticFirstName])
        };
        let profiles = vec![Profile::default(); records.len()];
        let candidates =
            candidate_pairs(&profiles, &records, &settings, &Printer::silent()).unwrap();
        assert!(candidates.pairs.is_empty());
        assert_eq!(candidates.stats.rules[0].capped_blocks, 1);
        assert_eq!(candidates.stats.rules[0].capped_pairs, 45);
        let block = &candidates.stats.capped_blocks[0];
        assert_eq!(block.key, "александр | иванаф");
        assert_eq!(block.profiles, 10);
        let settings = MatchSettings {
            max_name_block_pairs: 45,
            ..settings
        };
        assert_eq!(pairs_of(&records, &settings).len(), 45);
    }

    #[test]
    fn each_pair_remembers_every_rule_that_found_it() {
        let mut both = with_name(0, "ольга", "петрова", Some("1990-05-05"));
        both.phone = with_phone(0, "79160000001").phone;
        let mut other = with_name(1, "ольга", "петрова", Some("1990-05-05"));
        other.phone = with_phone(1, "79160000002").phone;
        let profiles = vec![Profile::default(); 2];
        let candidates = candidate_pairs(
            &profiles,
            &[both, other],
            &only_rules(&[
                RuleKind::PhoneExact,
                RuleKind::PhoneOneEdit,
                RuleKind::NameBirthDate,
            ]),
            &Printer::silent(),
        )
        .unwrap();
        assert_eq!(candidates.pairs.len(), 1);
        assert_eq!(
            candidates.rule_names(candidates.pairs[0].rules),
            vec!["phone_one_edit", "name_birth_date"]
        );
        assert_eq!(candidates.stats.rules[1].pairs, 1);
        assert_eq!(candidates.stats.rules[0].pairs, 0);
    }

    #[test]
    fn date_keys_spell_dates_as_chrono_does() {
        for (year, month, day) in [
            (1985, 3, 7),
            (2001, 12, 31),
            (987, 1, 2),
            (5, 6, 7),
            (12345, 1, 1),
            (-44, 3, 15),
        ] {
            let date = NaiveDate::from_ymd_opt(year, month, day).unwrap();
            assert_eq!(
                DateKey::of(date).as_str(),
                date.format("%Y%m%d").to_string(),
                "{date}"
            );
        }
    }

    #[test]
    fn keyed_rows_holds_every_key_in_row_order_across_tasks() {
        // More records than one task takes, so the stretches of several
        // tasks are filled; each record makes a different number of keys.
        let records: Vec<NormalizedRecord> = (0..(RECORDS_PER_TASK as u32 * 2 + 7))
            .map(|row| match row % 3 {
                0 => with_email(row, &format!("login{}", row % 50), "mail.ru"),
                1 => with_email(row, "ab", "mail.ru"),
                _ => record(row),
            })
            .collect();
        let rule = BlockingRule::built_in(RuleKind::EmailOneEdit).unwrap();
        let mut expected = Vec::new();
        for record in &records {
            rule.emit_keys(record, &[], 0, &mut Vec::new(), &mut |key| {
                expected.push((hash_key(key), record.row));
            });
        }
        let (keyed, junk) = keyed_rows(&rule, &records, &[], 0);
        assert_eq!(junk, 0);
        assert!(keyed.len() > records.len());
        assert_eq!(keyed, expected);
    }

    #[test]
    fn merging_rule_pairs_unions_masks() {
        let pair = |left, right, rules| CandidatePair { left, right, rules };
        let union = vec![pair(0, 1, 1), pair(0, 5, 1), pair(2, 3, 1)];
        let mut merged = vec![pair(7, 8, 7)];
        let new_pairs = [
            pack_pair(0, 0),
            pack_pair(0, 5),
            pack_pair(1, 9),
            pack_pair(4, 2),
        ];
        merge_rule_pairs(&union, &new_pairs, 2, &mut merged);
        assert_eq!(
            merged,
            vec![
                pair(0, 0, 2),
                pair(0, 1, 1),
                pair(0, 5, 3),
                pair(1, 9, 2),
                pair(2, 3, 1),
                pair(2, 4, 2)
            ]
        );
    }
}
