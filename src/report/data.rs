//! The data the page's script renders cluster cards from, in two parts, so
//! that a plan of 100,000 clusters opens in seconds:
//!
//! - the index ([`PageIndex`], one JSON object parsed when the page opens):
//!   per cluster only what sorting and filtering need (id, risk, level,
//!   weakest link, size, lost count, warning codes, status against the
//!   previous plan, review band or not), planned clusters first, each part
//!   riskiest first; the lower-cased searchable values go apart
//!   ([`PageData::search_lines`]), read at the first search;
//! - the details ([`PageCluster`], one JSON document per line, in index
//!   order, in chunks of [`CHUNK`]), which the page parses only for the
//!   cards it shows. The first chunk is written before the page's script,
//!   so that the first cards show while the browser still reads the rest.
//!   They are built one at a time as the page is written
//!   ([`PageData::details`]), never all at once.
//!
//! The details are compact too: profiles are arrays in the order of
//! `fields` (trailing empty fields dropped) rather than objects repeating
//! every key, a step's simulated profile is left out when it equals the
//! final result, and the preferred ("golden") profile only when it differs
//! from the result; what the index already holds (risk and level) is not
//! repeated, and repeated names are positions in `terms`.
//! `templates/report.js` documents the keys where it reads them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;
use serde::Serialize;

use super::explain::explain_pair;
use super::words::{Language, Words};
use crate::plan::risk::{Risk, assess_risk_in};
use crate::plan::{MergePlan, PlanHistory, PlannedCluster};
use crate::profile::{Field, Profile};

/// Whether a reviewer searches by the field's values: the identifiers and
/// the names, not dates, sex or points.
fn is_searched(field: Field) -> bool {
    !matches!(
        field,
        Field::BirthDate | Field::Sex | Field::RegisterDate | Field::Points
    )
}

/// Clusters per details chunk: enough for the first pages (up to 200
/// cards), small enough that the first chunk, written before the page's
/// script, is read in a few milliseconds; a larger page waits for the rest
/// of the page to be read.
pub const CHUNK: usize = 200;

/// Everything the page needs: the index, and the clusters in its order,
/// from which [`PageData::details`] builds each card's data on demand.
#[derive(Debug)]
pub struct PageData<'a> {
    pub index: PageIndex<'a>,
    /// In the order of `index.clusters`, with their assessed risk.
    ordered: Vec<(&'a PlannedCluster, Risk)>,
    /// Position of each string in `index.terms`.
    term_positions: TermPositions<'a>,
    /// Per cluster (in index order) and linking pair, its explanation as a
    /// position in `index.explanations`.
    explained: Vec<Vec<usize>>,
}

#[derive(Debug, Serialize)]
pub struct PageIndex<'a> {
    pub plan_hash: &'a str,
    pub threshold: f64,
    /// The review band's lower end.
    pub review_threshold: f64,
    pub language: &'static str,
    /// The page's words in its language.
    pub words: BTreeMap<&'static str, &'static str>,
    pub history: &'a PlanHistory,
    /// Details per chunk.
    pub chunk: usize,
    /// Entries before this one are planned clusters, the rest candidates.
    pub planned: usize,
    /// Field names; every profile array is in this order.
    pub fields: Vec<String>,
    /// The pairs' explanations in plain words, each once.
    pub explanations: Vec<String>,
    /// `[code, clusters carrying it]`, by code.
    pub warning_codes: Vec<(String, u64)>,
    /// Strings many clusters repeat (methods, comparison and level names,
    /// blocking rules, survivor reasons), which the details give as
    /// positions here.
    pub terms: Vec<&'a str>,
    /// Riskiest first; ties by cluster id.
    pub clusters: Vec<IndexEntry<'a>>,
}

/// Numbers each distinct string once, in order of first use (a hash map:
/// looked up for every name of every cluster, and never iterated).
#[derive(Debug, Default)]
struct Terms<'a> {
    positions: TermPositions<'a>,
    terms: Vec<&'a str>,
}

impl<'a> Terms<'a> {
    fn add(&mut self, term: &'a str) {
        self.positions.entry(term).or_insert_with(|| {
            self.terms.push(term);
            self.terms.len() - 1
        });
    }
}

type TermPositions<'a> = HashMap<&'a str, usize, BuildHasherDefault<Fnv1a>>;

/// FNV-1a: the terms are short names looked up millions of times, where
/// SipHash's protection against chosen keys buys nothing (the page's own
/// data) and costs a tenth of writing the page.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Probabilities to nine decimals and weights to three: more than the page
/// shows, and a third of the bytes of a full `f64`.
fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// `[id, risk, level, weakest link p, size, lost values, warning codes (as
/// positions in `warning_codes`), status, band (1 for a candidate)]`.
pub type IndexEntry<'a> = (
    &'a str,
    f64,
    String,
    f64,
    usize,
    usize,
    Vec<usize>,
    &'static str,
    u8,
);

/// A profile as an array of optional values in the order of `fields`.
type ProfileRow<'a> = Vec<Option<&'a str>>;

#[derive(Debug, Serialize)]
pub struct PageCluster<'a> {
    pub id: &'a str,
    /// Why it is risky, most important first.
    pub why: &'a [String],
    /// The weakest link's match probability.
    pub p: f64,
    pub members: Vec<ProfileRow<'a>>,
    /// Index in `members` of the survivor.
    pub survivor: usize,
    /// Why this survivor, as a position in `terms`.
    pub reason: usize,
    pub steps: Vec<PageStep<'a>>,
    pub result: ProfileRow<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub golden: Option<ProfileRow<'a>>,
    /// `[step, user_id, field, value, kept]`.
    pub lost: Vec<(u32, &'a str, &'a str, &'a str, Option<&'a str>)>,
    /// `[code, message]`.
    pub warnings: Vec<(&'a str, &'a str)>,
    pub evidence: Vec<PageEvidence<'a>>,
    /// The previous plan's cluster: `[id, decision, reviewer, decided_at,
    /// note]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousEntry<'a>>,
    /// Kept apart: `[member, other, cluster, reviewer, decided_at, note]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub apart: Vec<ApartEntry<'a>>,
    /// Applied before: `[member, survivor, cluster]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub applied: Vec<(&'a str, &'a str, &'a str)>,
}

type PreviousEntry<'a> = (
    &'a str,
    Option<&'static str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);
type ApartEntry<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, Option<&'a str>);

#[derive(Debug, Serialize)]
pub struct PageStep<'a> {
    /// The method, as a position in `terms`.
    pub m: usize,
    /// The parameters, flat: `[name, value, name, value, ...]`.
    pub p: Vec<&'a str>,
    /// The survivor after this step; absent when it equals `result`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a: Option<ProfileRow<'a>>,
}

#[derive(Debug, Serialize)]
pub struct PageEvidence<'a> {
    pub left: &'a str,
    pub right: &'a str,
    pub p: f64,
    /// Total match weight, prior included.
    pub w: f64,
    /// Blocking rules, as positions in `terms`.
    pub rules: Vec<usize>,
    /// The explanation in plain words, as a position in `explanations`.
    pub x: usize,
    /// `[comparison, level, weight]`, names as positions in `terms`.
    pub f: Vec<(usize, usize, f64)>,
}

/// The clusters with their risk (reasons in `language`), riskiest first,
/// ties by id.
fn riskiest_first(
    clusters: &[PlannedCluster],
    threshold: f64,
    language: Language,
) -> Vec<(&PlannedCluster, Risk)> {
    let mut ordered: Vec<(&PlannedCluster, Risk)> = clusters
        .par_iter()
        .map(|cluster| (cluster, assess_risk_in(cluster, threshold, language)))
        .collect();
    ordered.par_sort_by(|(a, a_risk), (b, b_risk)| {
        b_risk
            .score
            .total_cmp(&a_risk.score)
            .then_with(|| a.cluster_id.cmp(&b.cluster_id))
    });
    ordered
}

pub fn page_data(plan: &MergePlan) -> PageData<'_> {
    let fields = field_order(plan);
    let threshold = plan.diagnostics.threshold;
    let language = Language::of_code(&plan.language);
    let mut ordered = riskiest_first(&plan.clusters, threshold, language);
    let planned = ordered.len();
    ordered.extend(riskiest_first(&plan.candidates, threshold, language));
    // Terms numbered in the order the details use them.
    let mut terms = Terms::default();
    for (cluster, _) in &ordered {
        terms.add(&cluster.survivor_reason);
        for step in &cluster.steps {
            terms.add(step.method.path());
        }
        for pair in &cluster.evidence {
            for rule in &pair.rules {
                terms.add(rule);
            }
            for field in &pair.fields {
                terms.add(&field.comparison);
                terms.add(&field.level);
            }
        }
    }
    // Worded on every core (a million-profile plan has a quarter of a
    // million pairs), numbered in order on one.
    let worded: Vec<Vec<String>> = ordered
        .par_iter()
        .map(|(cluster, _)| {
            cluster
                .evidence
                .iter()
                .map(|pair| explain_pair(pair, language))
                .collect()
        })
        .collect();
    let mut explanations: Vec<String> = Vec::new();
    let mut explanation_position: HashMap<String, usize> = HashMap::new();
    let explained = worded
        .into_iter()
        .map(|texts| {
            texts
                .into_iter()
                .map(|text| {
                    *explanation_position.entry(text).or_insert_with_key(|text| {
                        explanations.push(text.clone());
                        explanations.len() - 1
                    })
                })
                .collect()
        })
        .collect();
    let warning_codes: Vec<(String, u64)> = warning_code_counts(plan).into_iter().collect();
    let code_position: BTreeMap<&str, usize> = warning_codes
        .iter()
        .enumerate()
        .map(|(position, (code, _))| (code.as_str(), position))
        .collect();
    let index = ordered
        .iter()
        .enumerate()
        .map(|(position, (cluster, risk))| {
            let codes: BTreeSet<usize> = cluster
                .warnings
                .iter()
                .filter_map(|w| code_position.get(w.code.as_str()).copied())
                .collect();
            (
                cluster.cluster_id.as_str(),
                risk.score,
                risk.level.clone(),
                round_to(cluster.min_probability, 9),
                cluster.members.len(),
                cluster.lost.len(),
                codes.into_iter().collect(),
                cluster.triage.status.name(),
                u8::from(position >= planned),
            )
        })
        .collect();
    let review_threshold = plan
        .settings
        .pointer("/matching/review_threshold")
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(threshold);
    PageData {
        index: PageIndex {
            plan_hash: &plan.plan_hash,
            threshold,
            review_threshold,
            language: language.code(),
            words: Words(language).all(),
            history: &plan.history,
            chunk: CHUNK,
            planned,
            fields,
            explanations,
            warning_codes,
            terms: terms.terms,
            clusters: index,
        },
        ordered,
        term_positions: terms.positions,
        explained,
    }
}

impl<'a> PageData<'a> {
    /// How many planned clusters per risk level: `[high, medium, low]`.
    pub fn risk_counts(&self) -> [u64; 3] {
        ["high", "medium", "low"].map(|level| {
            self.index.clusters[..self.index.planned]
                .iter()
                .filter(|entry| entry.2 == level)
                .count() as u64
        })
    }

    /// The details of the clusters at index positions `range`, in order,
    /// built as they are asked for.
    pub fn details(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = PageCluster<'_>> + '_ {
        let range = range.start.min(self.ordered.len())..range.end.min(self.ordered.len());
        self.ordered[range.clone()]
            .iter()
            .zip(range)
            .map(|((cluster, risk), position)| self.page_cluster(cluster, risk, position))
    }

    /// Each cluster's searchable text, in index order: worded on every
    /// core, a few dozen bytes per cluster.
    pub fn search_lines(&self) -> Vec<String> {
        self.ordered
            .par_iter()
            .map(|(cluster, _)| search_text(cluster))
            .collect()
    }

    fn term(&self, term: &str) -> usize {
        self.term_positions[term]
    }

    fn page_cluster<'s>(
        &'s self,
        cluster: &'s PlannedCluster,
        risk: &'s Risk,
        position: usize,
    ) -> PageCluster<'s> {
        let triage = &cluster.triage;
        let fields = &self.index.fields;
        let steps = cluster
            .steps
            .iter()
            .map(|step| PageStep {
                m: self.term(step.method.path()),
                p: step
                    .params
                    .iter()
                    .flat_map(|(k, v)| [k.as_str(), v.as_str()])
                    .collect(),
                a: (step.after != cluster.result).then(|| profile_row(&step.after, fields)),
            })
            .collect();
        PageCluster {
            id: &cluster.cluster_id,
            why: &risk.reasons,
            p: round_to(cluster.min_probability, 9),
            members: cluster
                .profiles
                .iter()
                .map(|p| profile_row(p, fields))
                .collect(),
            survivor: cluster
                .profiles
                .iter()
                .position(|p| p.user_id == cluster.survivor)
                .unwrap_or(0),
            reason: self.term(&cluster.survivor_reason),
            steps,
            golden: (cluster.golden != cluster.result && cluster.golden != Profile::default())
                .then(|| profile_row(&cluster.golden, fields)),
            result: profile_row(&cluster.result, fields),
            lost: cluster
                .lost
                .iter()
                .map(|l| {
                    (
                        l.step,
                        l.user_id.as_str(),
                        l.field.as_str(),
                        l.value.as_str(),
                        l.kept.as_deref(),
                    )
                })
                .collect(),
            warnings: cluster
                .warnings
                .iter()
                .map(|w| (w.code.as_str(), w.message.as_str()))
                .collect(),
            evidence: cluster
                .evidence
                .iter()
                .zip(&self.explained[position])
                .map(|(pair, &x)| PageEvidence {
                    left: &pair.left,
                    right: &pair.right,
                    p: round_to(pair.probability, 9),
                    w: round_to(pair.weight, 3),
                    rules: pair.rules.iter().map(|rule| self.term(rule)).collect(),
                    x,
                    f: pair
                        .fields
                        .iter()
                        .map(|f| {
                            (
                                self.term(&f.comparison),
                                self.term(&f.level),
                                round_to(f.weight, 3),
                            )
                        })
                        .collect(),
                })
                .collect(),
            previous: triage.previous.as_ref().map(|p| {
                (
                    p.cluster_id.as_str(),
                    p.decision.map(|d| d.name()),
                    p.reviewer.as_deref(),
                    p.decided_at.as_deref(),
                    p.note.as_deref(),
                )
            }),
            apart: triage
                .kept_apart
                .iter()
                .map(|k| {
                    (
                        k.user_id.as_str(),
                        k.other.as_str(),
                        k.cluster_id.as_str(),
                        k.reviewer.as_str(),
                        k.decided_at.as_str(),
                        k.note.as_deref(),
                    )
                })
                .collect(),
            applied: triage
                .applied_before
                .iter()
                .map(|a| {
                    (
                        a.user_id.as_str(),
                        a.survivor.as_str(),
                        a.cluster_id.as_str(),
                    )
                })
                .collect(),
        }
    }
}

/// The cluster id and its members' searched values, lower-cased with `ё`
/// as `е` (as the page folds the query), and each phone's digits alone
/// when it is written with other characters.
pub fn search_text(cluster: &PlannedCluster) -> String {
    let mut text = String::new();
    push_folded(&mut text, &cluster.cluster_id);
    for profile in &cluster.profiles {
        for field in Field::ALL.into_iter().filter(|field| is_searched(*field)) {
            if let Some(value) = profile.get(field) {
                text.push(' ');
                push_folded(&mut text, value);
            }
        }
        if let Some(phone) = &profile.phone {
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            if digits.len() != phone.len() {
                text.push(' ');
                text.push_str(&digits);
            }
        }
    }
    text
}

/// `value` lower-cased with `ё` as `е`. Value by value rather than the
/// joined text: the space between values ends a word either way, so the
/// result is the same. Latin and Cyrillic letters are mapped directly
/// (most of a Russian base); anything else goes through `char`'s rules,
/// and text with a capital sigma through `str`'s, which lower-cases it by
/// its place in the word.
fn push_folded(text: &mut String, value: &str) {
    if value.contains('Σ') {
        text.push_str(&value.to_lowercase().replace('ё', "е"));
        return;
    }
    for c in value.chars() {
        match c {
            'A'..='Z' => text.push(c.to_ascii_lowercase()),
            // А..Я are U+0410..U+042F, а..я thirty-two places on.
            'А'..='Я' => text.extend(char::from_u32(u32::from(c) + 0x20)),
            'Ё' | 'ё' => text.push('е'),
            c if c.is_ascii() || ('а'..='я').contains(&c) => text.push(c),
            c => text.extend(c.to_lowercase()),
        }
    }
}

/// The canonical fields, then every custom column any profile has, sorted.
pub fn field_order(plan: &MergePlan) -> Vec<String> {
    let extra: BTreeSet<&str> = plan
        .clusters
        .iter()
        .flat_map(|c| c.profiles.iter().chain([&c.result]))
        .flat_map(|p| p.extra.keys().map(String::as_str))
        .collect();
    Field::ALL
        .into_iter()
        .map(|field| field.name() as &str)
        .chain(extra)
        .map(str::to_string)
        .collect()
}

/// How many clusters carry each warning code.
pub fn warning_code_counts(plan: &MergePlan) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for cluster in &plan.clusters {
        let codes: BTreeSet<&str> = cluster.warnings.iter().map(|w| w.code.as_str()).collect();
        for code in codes {
            *counts.entry(code.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

fn profile_row<'a>(profile: &'a Profile, fields: &[String]) -> ProfileRow<'a> {
    let mut row: ProfileRow = fields.iter().map(|field| profile.value_of(field)).collect();
    while row.last().is_some_and(Option::is_none) {
        row.pop();
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::synthetic::synthetic_plan;

    #[test]
    fn clusters_come_riskiest_first_and_rows_follow_the_field_order() {
        let mut plan = synthetic_plan(60, 3);
        plan.clusters[0].profiles[0]
            .extra
            .insert("card_level".into(), "gold".into());
        let data = page_data(&plan);
        let details: Vec<PageCluster> = data.details(0..usize::MAX).collect();
        // 60 clusters, then the review band's 6 candidates.
        assert_eq!(details.len(), 66);
        assert_eq!(data.index.planned, 60);
        let (planned, band) = data.index.clusters.split_at(60);
        assert!(planned.windows(2).all(|w| w[0].1 >= w[1].1));
        assert!(band.windows(2).all(|w| w[0].1 >= w[1].1));
        assert!(planned.iter().all(|e| e.8 == 0) && band.iter().all(|e| e.8 == 1));
        let index_ids: Vec<&str> = data.index.clusters.iter().map(|e| e.0).collect();
        let detail_ids: Vec<&str> = details.iter().map(|c| c.id).collect();
        assert_eq!(index_ids, detail_ids);
        assert_eq!(
            data.index.fields.last().map(String::as_str),
            Some("card_level")
        );
        let first = details
            .iter()
            .find(|c| c.id == plan.clusters[0].cluster_id)
            .unwrap();
        assert_eq!(first.members[0].last(), Some(&Some("gold")));
        assert_eq!(
            first.members[0][0],
            Some(plan.clusters[0].profiles[0].user_id.as_str())
        );
        // Repeated names are stored once and referred to by position.
        let distinct: BTreeSet<&str> = data.index.terms.iter().copied().collect();
        assert_eq!(distinct.len(), data.index.terms.len());
        let pair = &first.evidence[0];
        assert_eq!(
            data.index.terms[pair.f[0].0],
            plan.clusters[0].evidence[0].fields[0].comparison
        );
        assert_eq!(
            data.index.terms[first.reason],
            plan.clusters[0].survivor_reason
        );
        // The last step's profile is the result, so it is not repeated.
        assert!(details.iter().all(|c| c.steps.last().unwrap().a.is_none()));
        assert_eq!(
            data.index.terms[first.steps[0].m],
            plan.clusters[0].steps[0].method.path()
        );
        assert_eq!(first.steps[0].p.len(), 4);
    }

    #[test]
    fn index_points_at_warning_codes_and_folds_search_text() {
        let mut plan = synthetic_plan(8, 2);
        let cluster = &mut plan.clusters[0];
        cluster.profiles[0].last_name = Some("Семёнова".into());
        cluster.profiles[0].phone = Some("+7 (999) 123-45-67".into());
        cluster.warnings = vec![crate::plan::Warning {
            code: "weak_link".into(),
            message: String::new(),
        }];
        let data = page_data(&plan);
        let position = data
            .index
            .clusters
            .iter()
            .position(|e| e.0 == plan.clusters[0].cluster_id)
            .unwrap();
        let entry = &data.index.clusters[position];
        let search = data.search_lines().swap_remove(position);
        let codes: Vec<&str> = entry
            .6
            .iter()
            .map(|&i| data.index.warning_codes[i].0.as_str())
            .collect();
        assert_eq!(codes, ["weak_link"]);
        assert!(search.contains("семенова"), "{search}");
        assert!(search.contains("79991234567"));
        assert_eq!(entry.7, "new");
        assert_eq!(entry.4, plan.clusters[0].members.len());
    }

    #[test]
    fn search_text_is_the_folded_joined_values() {
        let mut plan = synthetic_plan(3, 2);
        let cluster = &mut plan.clusters[1];
        cluster.profiles[0].first_name = Some("ЁЛКА".into());
        cluster.profiles[0].last_name = Some("ΟΔΥΣΣΕΥΣ".into());
        cluster.profiles[1].phone = Some("8 (916) 000-11-22".into());
        cluster.profiles[1].first_name = Some("ÄNNE-МАРИЯ İz Юлия".into());
        let cluster = &plan.clusters[1];
        // The text as first specified: every value joined, then folded.
        let mut parts = vec![cluster.cluster_id.to_string()];
        for profile in &cluster.profiles {
            for field in Field::ALL.into_iter().filter(|field| is_searched(*field)) {
                if let Some(value) = profile.get(field) {
                    parts.push(value.to_string());
                }
            }
            if let Some(phone) = &profile.phone {
                let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
                if digits.len() != phone.len() {
                    parts.push(digits);
                }
            }
        }
        let expected = parts.join(" ").to_lowercase().replace('ё', "е");
        assert_eq!(search_text(cluster), expected);
        assert!(expected.contains("елка") && expected.contains("οδυσσευς"));
        assert!(expected.contains("änne-мария i\u{307}z юлия"), "{expected}");
    }

    #[test]
    fn warning_codes_count_clusters_not_warnings() {
        let mut plan = synthetic_plan(5, 1);
        for cluster in &mut plan.clusters {
            cluster.warnings.clear();
        }
        let twice = crate::plan::Warning {
            code: "lost_phone".into(),
            message: String::new(),
        };
        plan.clusters[0].warnings = vec![twice.clone(), twice];
        assert_eq!(
            warning_code_counts(&plan),
            BTreeMap::from([("lost_phone".to_string(), 1)])
        );
    }
}
