//! From generated units to the files: Sailplay's uniqueness enforced,
//! user ids given in order of registration, entity and group ids given in
//! order of first appearance, and the four files written.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use rand::Rng as _;
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{Map, Value, json};

use super::Config;
use super::contact::{mailbox_key, render_phone};
use super::kinds::{HardNegative, Variation};
use super::people::date;
use super::profiles::Profile;
use super::random::{ID_STREAM, REPAIR_STREAM, Rng, chance, stream};
use crate::fsutil::write_atomically;
use crate::profile::Field;

/// The profiles of one unit, as the parallel stage hands them over.
pub struct UnitProfiles {
    pub kind: Option<HardNegative>,
    pub people: usize,
    pub profiles: Vec<Profile>,
}

/// One row of the export with what the truth and annotations need.
struct Row {
    /// Global index of the person (before renumbering).
    person: u32,
    unit: u32,
    profile: Profile,
    user_id: u64,
}

/// A finished base, ready to be written.
pub struct Base {
    config: Config,
    /// Rows in export order (by user id).
    rows: Vec<Row>,
    kinds: Vec<Option<HardNegative>>,
    repairs: Repairs,
}

#[derive(Default, Clone, Copy)]
struct Repairs {
    phone: usize,
    email: usize,
    origin: usize,
}

/// What `write` reports back.
pub struct Summary {
    pub profiles: usize,
    pub entities: usize,
    pub entities_with_duplicates: usize,
    pub true_pairs: u64,
    pub hard_negative_people: usize,
}

pub fn assemble(config: &Config, units: Vec<UnitProfiles>) -> Base {
    let mut rows = Vec::with_capacity(config.profiles);
    let mut kinds = Vec::with_capacity(units.len());
    let mut first_person = 0u32;
    for (unit, produced) in units.into_iter().enumerate() {
        kinds.push(produced.kind);
        for profile in produced.profiles {
            rows.push(Row {
                person: first_person + profile.person as u32,
                unit: unit as u32,
                profile,
                user_id: 0,
            });
        }
        first_person += produced.people as u32;
    }
    let repairs = enforce_uniqueness(config.seed, &mut rows);
    rows.sort_by_key(|row| (row.profile.day, row.profile.second));
    let mut ids = stream(config.seed, ID_STREAM);
    let mut user_id = 3_100_000 + ids.random_range(0..900_000u64);
    for row in &mut rows {
        row.user_id = user_id;
        user_id += if chance(&mut ids, 0.85) {
            1
        } else {
            ids.random_range(2..=40)
        };
    }
    Base {
        config: config.clone(),
        rows,
        kinds,
        repairs,
    }
}

/// Sailplay refuses a phone (as a national number), an e-mail (ignoring
/// case) or an origin_user_id another profile holds, and no mailbox
/// belongs to two people. Rows are visited in generation order; a later
/// row that collides gets a fresh value of the same shape, as the person
/// would have given another.
fn enforce_uniqueness(seed: u64, rows: &mut [Row]) -> Repairs {
    let mut rng = stream(seed, REPAIR_STREAM);
    let mut repairs = Repairs::default();
    let mut phones: FxHashSet<u64> = FxHashSet::default();
    let mut addresses: FxHashSet<String> = FxHashSet::default();
    let mut mailboxes: FxHashMap<String, u32> = FxHashMap::default();
    let mut origins: FxHashSet<String> = FxHashSet::default();
    for row in rows.iter_mut() {
        if let Some((number, _)) = &mut row.profile.phone {
            while !phones.insert(*number) {
                *number = *number / 10_000_000 * 10_000_000 + rng.random_range(0..10_000_000);
                repairs.phone += 1;
            }
        }
        if let Some(address) = &mut row.profile.email {
            loop {
                let lower = address.to_lowercase();
                let key = mailbox_key(&lower);
                let owner = *mailboxes.entry(key).or_insert(row.person);
                if owner == row.person && addresses.insert(lower) {
                    break;
                }
                *address = with_digits(&mut rng, address);
                repairs.email += 1;
            }
        }
        if let Some(origin) = &mut row.profile.origin {
            while !origins.insert(origin.clone()) {
                *origin = redraw_tail(&mut rng, origin);
                repairs.origin += 1;
            }
        }
    }
    repairs
}

/// `natalia1982@mail.ru` → `natalia1982_37@mail.ru`: what a provider
/// offers when the login is taken.
fn with_digits(rng: &mut Rng, address: &str) -> String {
    let (login, domain) = address.rsplit_once('@').unwrap_or((address, "mail.ru"));
    let login = login.split('+').next().unwrap_or(login);
    let separator = if chance(rng, 0.5) { "_" } else { "" };
    format!("{login}{separator}{}@{domain}", rng.random_range(1..1000))
}

/// The same id with its last six digits drawn again.
fn redraw_tail(rng: &mut Rng, id: &str) -> String {
    let mut chars: Vec<char> = id.chars().collect();
    let mut left = 6;
    for c in chars.iter_mut().rev() {
        if left == 0 {
            break;
        }
        if c.is_ascii_digit() {
            *c = char::from(b'0' + rng.random_range(0..10u8));
            left -= 1;
        }
    }
    if left == 6 {
        chars.extend(rng.random_range(0..10u32).to_string().chars());
    }
    chars.into_iter().collect()
}

impl Base {
    pub fn write(&self, dir: &Path, annotations: bool) -> Result<Summary> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let (entity_ids, group_ids) = self.numbering();
        write_atomically(&dir.join("export.csv"), |out| self.write_export(out))?;
        write_atomically(&dir.join("truth.csv"), |out| {
            writeln!(out, "user_id,entity_id")?;
            for (row, entity) in self.rows.iter().zip(&entity_ids) {
                writeln!(out, "{},{entity}", row.user_id)?;
            }
            Ok(())
        })?;
        if annotations {
            write_atomically(&dir.join("annotations.csv"), |out| {
                writeln!(out, "user_id,entity_id,group_id,hard_negative,variations")?;
                for ((row, entity), group) in self.rows.iter().zip(&entity_ids).zip(&group_ids) {
                    let kind = self.kinds[row.unit as usize].map_or("", HardNegative::name);
                    let group = group.map_or_else(String::new, |g| g.to_string());
                    let variations: Vec<&str> =
                        row.profile.variations.iter().map(Variation::name).collect();
                    writeln!(
                        out,
                        "{},{entity},{group},{kind},{}",
                        row.user_id,
                        variations.join("|")
                    )?;
                }
                Ok(())
            })?;
        }
        let (summary, json) = self.summary(&entity_ids);
        let text = serde_json::to_string_pretty(&json).context("cannot render generation.json")?;
        write_atomically(&dir.join("generation.json"), |out| writeln!(out, "{text}"))?;
        Ok(summary)
    }

    /// Entity ids and group ids numbered by first appearance in the export,
    /// so that neither says anything about how the base was generated.
    fn numbering(&self) -> (Vec<u32>, Vec<Option<u32>>) {
        let mut entities: FxHashMap<u32, u32> = FxHashMap::default();
        let mut groups: FxHashMap<u32, u32> = FxHashMap::default();
        let mut entity_ids = Vec::with_capacity(self.rows.len());
        let mut group_ids = Vec::with_capacity(self.rows.len());
        for row in &self.rows {
            let next = entities.len() as u32 + 1;
            entity_ids.push(*entities.entry(row.person).or_insert(next));
            group_ids.push(self.kinds[row.unit as usize].map(|_| {
                let next = groups.len() as u32 + 1;
                *groups.entry(row.unit).or_insert(next)
            }));
        }
        (entity_ids, group_ids)
    }

    fn write_export(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(Field::NAMES)?;
        for row in &self.rows {
            let p = &row.profile;
            let phone = p
                .phone
                .map_or_else(String::new, |(n, format)| render_phone(n, format));
            let registered = format!(
                "{} {:02}:{:02}:{:02}",
                date(p.day).format("%Y-%m-%d"),
                p.second / 3600,
                p.second / 60 % 60,
                p.second % 60
            );
            writer.write_record([
                row.user_id.to_string().as_str(),
                p.origin.as_deref().unwrap_or(""),
                &phone,
                p.email.as_deref().unwrap_or(""),
                &p.first_name,
                &p.middle_name,
                &p.last_name,
                &p.birth_date,
                p.sex,
                &registered,
                &p.points.to_string(),
            ])?;
        }
        writer.flush()
    }

    fn summary(&self, entity_ids: &[u32]) -> (Summary, Value) {
        let mut sizes: FxHashMap<u32, u64> = FxHashMap::default();
        for &entity in entity_ids {
            *sizes.entry(entity).or_default() += 1;
        }
        let mut cluster_sizes: BTreeMap<u64, u64> = BTreeMap::new();
        for &size in sizes.values() {
            *cluster_sizes.entry(size).or_default() += 1;
        }
        let true_pairs: u64 = sizes.values().map(|&n| n * (n - 1) / 2).sum();
        let entities_with_duplicates = sizes.values().filter(|&&n| n >= 2).count();

        let mut variation_counts: BTreeMap<Variation, (u64, u64)> = BTreeMap::new();
        for (row, entity) in self.rows.iter().zip(entity_ids) {
            let duplicated = sizes[entity] >= 2;
            for variation in row.profile.variations.iter() {
                let entry = variation_counts.entry(variation).or_default();
                entry.0 += 1;
                entry.1 += u64::from(duplicated);
            }
        }
        let mut variations = Map::new();
        for &variation in Variation::ALL {
            let (all, duplicated) = variation_counts
                .get(&variation)
                .copied()
                .unwrap_or_default();
            variations.insert(
                variation.name().to_string(),
                json!({"profiles": all, "profiles_of_people_with_duplicates": duplicated}),
            );
        }

        let mut groups: BTreeMap<HardNegative, (u64, FxHashSet<u32>, u64)> = BTreeMap::new();
        let mut seen_units: FxHashSet<u32> = FxHashSet::default();
        for row in &self.rows {
            if let Some(kind) = self.kinds[row.unit as usize] {
                let entry = groups
                    .entry(kind)
                    .or_insert_with(|| (0, FxHashSet::default(), 0));
                entry.0 += u64::from(seen_units.insert(row.unit));
                entry.1.insert(row.person);
                entry.2 += 1;
            }
        }
        let mut hard_negatives = Map::new();
        let mut hard_negative_people = 0;
        for &kind in HardNegative::ALL {
            let (count, people, profiles) = groups.remove(&kind).unwrap_or_default();
            hard_negative_people += people.len();
            hard_negatives.insert(
                kind.name().to_string(),
                json!({"groups": count, "people": people.len(), "profiles": profiles}),
            );
        }

        let share = |variation: Variation| {
            let count = variation_counts.get(&variation).map_or(0, |c| c.0);
            count as f64 / self.rows.len().max(1) as f64
        };
        let phones = self
            .rows
            .iter()
            .filter(|r| r.profile.phone.is_some())
            .count();
        let emails = self
            .rows
            .iter()
            .filter(|r| r.profile.email.is_some())
            .count();
        let summary = Summary {
            profiles: self.rows.len(),
            entities: sizes.len(),
            entities_with_duplicates,
            true_pairs,
            hard_negative_people,
        };
        let json = json!({
            "variant": "b",
            "seed": self.config.seed,
            "profiles": summary.profiles,
            "entities": summary.entities,
            "entities_with_duplicates": entities_with_duplicates,
            "true_pairs": true_pairs,
            "settings": {
                "duplicate_rate": self.config.duplicate_share,
                "hard_negative_rate": self.config.hard_negative_share,
                "noise": self.config.noise,
            },
            "cluster_sizes": cluster_sizes
                .iter()
                .map(|(size, count)| (size.to_string(), json!(count)))
                .collect::<Map<String, Value>>(),
            "shares": {
                "with_phone": phones as f64 / self.rows.len().max(1) as f64,
                "with_email": emails as f64 / self.rows.len().max(1) as f64,
                "store_profiles": share(Variation::ChannelStore),
                "store_phone_and_first_name_only": share(Variation::StorePhoneAndFirstNameOnly),
                "sex_wrong": share(Variation::SexWrong),
                "phone_non_canonical_format": share(Variation::PhoneNonCanonicalFormat),
            },
            "variations": variations,
            "hard_negatives": hard_negatives,
            "uniqueness_repairs": {
                "phone": self.repairs.phone,
                "email": self.repairs.email,
                "origin_user_id": self.repairs.origin,
            },
        });
        (summary, json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taken_logins_get_digits_and_lose_their_tag() {
        let mut rng = stream(1, 0);
        let fresh = with_digits(&mut rng, "natalia1982+shop@mail.ru");
        assert!(
            fresh.starts_with("natalia1982") && fresh.ends_with("@mail.ru"),
            "{fresh}"
        );
        assert!(!fresh.contains('+'));
        assert_ne!(fresh, "natalia1982@mail.ru");
    }

    #[test]
    fn redrawn_ids_keep_their_shape() {
        let mut rng = stream(2, 0);
        let card = redraw_tail(&mut rng, "2700000000017");
        assert_eq!(card.len(), 13);
        assert!(card.starts_with("2700000"));
        let uuid = redraw_tail(&mut rng, "abcdef12-3456-4abc-9def-0123456789ab");
        assert_eq!(uuid.len(), 36);
    }
}
