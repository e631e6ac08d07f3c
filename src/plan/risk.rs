//! The risk score that orders the report riskiest first: a wrong merge
//! cannot be undone, so the reviewer's attention goes where a mistake is
//! likeliest or costliest.
//!
//! The score is a sum of four bounded parts, 0 to 100 in all, each with the
//! plain-words reason the card shows:
//! - margin (up to 40): how few bits of match weight the weakest linking
//!   pair has over the threshold;
//! - size (up to 20): more profiles, more chances that one does not belong;
//! - lost values (up to 20): identifiers (phone, e-mail, origin id) count
//!   double, since losing one cuts a customer off from a channel;
//! - conflicts (up to 20): comparisons that disagreed on a linking pair
//!   (a weight of -1 bit or less) and warnings whose code names a conflict.
//!
//! The parts are pure functions of the cluster and the threshold, so the
//! order is deterministic. `plan` stores each cluster's risk in plan.json
//! (`triage.risk`), where the report filters and sorts by it and `approve
//! --risk` / `--max-risk` select by its level.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::plan::{Language, PlannedCluster};
use crate::profile::Field;

const MARGIN_POINTS: f64 = 40.0;
const SIZE_POINTS: f64 = 20.0;
const LOST_POINTS: f64 = 20.0;
const CONFLICT_POINTS: f64 = 20.0;

/// A margin of this many bits (a likelihood ratio of 256) or more over the
/// threshold adds nothing.
const SAFE_MARGIN_BITS: f64 = 8.0;
/// Cluster size at which the size part is full.
const LARGE_CLUSTER: usize = 8;
/// Weighted lost values at which the lost part is full.
const MANY_LOST: f64 = 4.0;
/// Conflicts at which the conflict part is full.
const MANY_CONFLICTS: f64 = 2.0;
/// A comparison weighing at least this much against the match (2:1 odds)
/// is a conflict; smaller negative weights are noise of the model.
const CONFLICT_WEIGHT: f64 = -1.0;

/// Score at or above which a cluster is shown as high risk.
pub const HIGH_RISK: f64 = 50.0;
/// Score at or above which a cluster is shown as medium risk.
pub const MEDIUM_RISK: f64 = 25.0;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Risk {
    /// 0 (nothing to worry about) to 100, rounded to one decimal.
    pub score: f64,
    /// `high`, `medium` or `low` ([`risk_level`] of the score); empty in a
    /// plan written before risk was stored.
    pub level: String,
    /// Why the score is what it is, most important first; empty when low.
    pub reasons: Vec<String>,
}

/// A risk level, as `approve --risk` and `--max-risk` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

impl RiskLevel {
    pub fn name(self) -> &'static str {
        match self {
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }

    pub fn of_name(name: &str) -> Option<RiskLevel> {
        match name {
            "low" => Some(RiskLevel::Low),
            "medium" => Some(RiskLevel::Medium),
            "high" => Some(RiskLevel::High),
            _ => None,
        }
    }
}

/// log2 of the odds of `probability`, kept finite at 0 and 1.
pub fn log2_odds(probability: f64) -> f64 {
    let p = probability.clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).log2()
}

/// Bits of match weight the weakest link has over the threshold; negative
/// when it is below.
pub fn margin_bits(min_probability: f64, threshold: f64) -> f64 {
    log2_odds(min_probability) - log2_odds(threshold)
}

pub fn assess_risk(cluster: &PlannedCluster, threshold: f64) -> Risk {
    assess_risk_in(cluster, threshold, Language::En)
}

/// [`assess_risk`] with the reasons in `language` (the report's).
pub fn assess_risk_in(cluster: &PlannedCluster, threshold: f64, language: Language) -> Risk {
    let ru = language == Language::Ru;
    let mut parts: Vec<(f64, String)> = Vec::new();

    let margin = margin_bits(cluster.min_probability, threshold);
    let margin_part = MARGIN_POINTS * (1.0 - (margin / SAFE_MARGIN_BITS).clamp(0.0, 1.0));
    let p = cluster.min_probability;
    if margin < 0.0 {
        parts.push((
            margin_part,
            if ru {
                format!("самая слабая связь (p = {p:.4}) ниже порога {threshold}")
            } else {
                format!("weakest link (p = {p:.4}) is below the threshold {threshold}")
            },
        ));
    } else if margin < SAFE_MARGIN_BITS / 2.0 {
        parts.push((
            margin_part,
            if ru {
                format!("самая слабая связь (p = {p:.4}) всего на {margin:.1} бит выше порога")
            } else {
                format!("weakest link (p = {p:.4}) is only {margin:.1} bits above the threshold")
            },
        ));
    } else {
        parts.push((margin_part, String::new()));
    }

    let size = cluster.members.len();
    let size_part =
        SIZE_POINTS * ((size.saturating_sub(2)) as f64 / (LARGE_CLUSTER - 2) as f64).min(1.0);
    parts.push((
        size_part,
        match (size >= 4, ru) {
            (false, _) => String::new(),
            (true, false) => format!("{size} profiles in one cluster"),
            (true, true) => format!("{size} профилей в одной группе"),
        },
    ));

    let weighted_lost: f64 = cluster
        .lost
        .iter()
        .map(|lost| if is_identifier(&lost.field) { 2.0 } else { 1.0 })
        .sum();
    let lost_part = LOST_POINTS * (weighted_lost / MANY_LOST).min(1.0);
    let fields: BTreeSet<&str> = cluster.lost.iter().map(|l| l.field.as_str()).collect();
    let fields = fields.into_iter().collect::<Vec<_>>().join(", ");
    let lost_reason = match (cluster.lost.len(), ru) {
        (0, _) => String::new(),
        (1, false) => format!("1 value will be lost ({fields})"),
        (count, false) => format!("{count} values will be lost ({fields})"),
        (count, true) => format!("будет потеряно значений: {count} ({fields})"),
    };
    parts.push((lost_part, lost_reason));

    let conflicts = conflicts(cluster);
    let conflict_part = CONFLICT_POINTS * (conflicts.len() as f64 / MANY_CONFLICTS).min(1.0);
    let subjects = conflicts.into_iter().collect::<Vec<_>>().join(", ");
    parts.push((
        conflict_part,
        match (subjects.is_empty(), ru) {
            (true, _) => String::new(),
            (false, false) => format!("conflicting {subjects}"),
            (false, true) => format!("противоречат друг другу: {subjects}"),
        },
    ));

    let score = (parts.iter().map(|(points, _)| points).sum::<f64>() * 10.0).round() / 10.0;
    // Most points first; equal points keep the fixed order above.
    parts.sort_by(|a, b| b.0.total_cmp(&a.0));
    let reasons = parts
        .into_iter()
        .filter(|(points, reason)| *points > 0.0 && !reason.is_empty())
        .map(|(_, reason)| reason)
        .collect();
    Risk {
        score,
        level: risk_level(score).to_string(),
        reasons,
    }
}

/// `high`, `medium` or `low`, for the badge and the summary counts.
pub fn risk_level(score: f64) -> &'static str {
    if score >= HIGH_RISK {
        "high"
    } else if score >= MEDIUM_RISK {
        "medium"
    } else {
        "low"
    }
}

/// An identifier other than `user_id`: a lost one cannot be looked up by.
fn is_identifier(field: &str) -> bool {
    Field::from_name(field)
        .is_some_and(|field| Field::IDENTIFIERS.contains(&field) && field != Field::UserId)
}

/// What disagrees inside the cluster: comparisons weighing against the match
/// (at most `CONFLICT_WEIGHT`) on a linking pair, and the subject of warnings coded `conflicting_*`.
fn conflicts(cluster: &PlannedCluster) -> BTreeSet<String> {
    let mut found: BTreeSet<String> = cluster
        .evidence
        .iter()
        .flat_map(|pair| &pair.fields)
        .filter(|field| field.weight <= CONFLICT_WEIGHT)
        .map(|field| field.comparison.clone())
        .collect();
    for warning in &cluster.warnings {
        if let Some(subject) = warning.code.strip_prefix("conflicting_") {
            found.insert(subject.to_string());
        } else if warning.code.contains("conflict") {
            found.insert(warning.code.clone());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use crate::plan::{FieldEvidence, LostValue, PairEvidence, Warning};
    use crate::profile::Profile;

    fn cluster(size: usize, min_probability: f64) -> PlannedCluster {
        let members: Vec<UserId> = (1..=size).map(|i| i.to_string().into()).collect();
        PlannedCluster {
            cluster_id: "c1".into(),
            profiles: members
                .iter()
                .map(|id| Profile {
                    user_id: id.clone(),
                    ..Profile::default()
                })
                .collect(),
            survivor: members[0].clone(),
            members,
            survivor_reason: String::new(),
            golden: Profile::default(),
            steps: Vec::new(),
            result: Profile::default(),
            lost: Vec::new(),
            warnings: Vec::new(),
            evidence: Vec::new(),
            min_probability,
            triage: Default::default(),
        }
    }

    fn lost(field: &str) -> LostValue {
        LostValue {
            step: 1,
            user_id: "2".into(),
            field: field.into(),
            value: "x".into(),
            kept: None,
        }
    }

    #[test]
    fn confident_pair_with_nothing_lost_is_no_risk() {
        let risk = assess_risk(&cluster(2, 0.999_999), 0.9);
        assert_eq!(risk.score, 0.0);
        assert!(risk.reasons.is_empty());
        assert_eq!(risk_level(risk.score), "low");
    }

    #[test]
    fn link_at_the_threshold_takes_the_whole_margin_part() {
        let risk = assess_risk(&cluster(2, 0.9), 0.9);
        assert_eq!(risk.score, MARGIN_POINTS);
        assert!(
            risk.reasons[0].contains("only 0.0 bits"),
            "{:?}",
            risk.reasons
        );
        let below = assess_risk(&cluster(2, 0.5), 0.9);
        assert_eq!(below.score, MARGIN_POINTS);
        assert!(below.reasons[0].contains("below the threshold"));
    }

    #[test]
    fn margin_part_falls_with_the_margin() {
        let near = assess_risk(&cluster(2, 0.95), 0.9).score;
        let far = assess_risk(&cluster(2, 0.999), 0.9).score;
        assert!(near > far && far > 0.0, "near {near}, far {far}");
    }

    #[test]
    fn size_lost_values_and_conflicts_each_raise_the_score() {
        let base = assess_risk(&cluster(2, 0.9999), 0.9).score;
        let large = assess_risk(&cluster(8, 0.9999), 0.9);
        assert_eq!(large.score - base, SIZE_POINTS);
        assert!(
            large
                .reasons
                .iter()
                .any(|r| r == "8 profiles in one cluster")
        );

        let mut with_lost = cluster(2, 0.9999);
        with_lost.lost = vec![lost("first_name")];
        let one_name = assess_risk(&with_lost, 0.9).score - base;
        with_lost.lost = vec![lost("phone")];
        let one_phone = assess_risk(&with_lost, 0.9).score - base;
        assert_eq!(one_phone, 2.0 * one_name);

        let mut conflicting = cluster(2, 0.9999);
        conflicting.evidence = vec![PairEvidence {
            left: "1".into(),
            right: "2".into(),
            rules: vec![],
            weight: 10.0,
            probability: 0.9999,
            fields: vec![
                FieldEvidence {
                    comparison: "birth_date".into(),
                    level: "different".into(),
                    weight: -3.0,
                },
                // Slightly negative is model noise, not a conflict.
                FieldEvidence {
                    comparison: "sex".into(),
                    level: "missing".into(),
                    weight: -0.5,
                },
            ],
        }];
        conflicting.warnings = vec![Warning {
            code: "conflicting_birth_date".into(),
            message: String::new(),
        }];
        let risk = assess_risk(&conflicting, 0.9);
        // One subject, counted once, whether seen in evidence or warnings.
        assert_eq!(risk.score - base, CONFLICT_POINTS / 2.0);
        assert!(risk.reasons.iter().any(|r| r == "conflicting birth_date"));
    }

    #[test]
    fn reasons_read_in_russian_with_the_same_score() {
        let mut large = cluster(5, 0.85);
        large.lost = vec![lost("phone")];
        let en = assess_risk(&large, 0.8);
        let ru = assess_risk_in(&large, 0.8, Language::Ru);
        assert_eq!((en.score, en.level.as_str()), (ru.score, ru.level.as_str()));
        assert!(
            ru.reasons.iter().any(|r| r == "5 профилей в одной группе"),
            "{:?}",
            ru.reasons
        );
        assert!(
            ru.reasons
                .iter()
                .any(|r| r.starts_with("самая слабая связь"))
        );
    }

    #[test]
    fn score_never_exceeds_one_hundred() {
        let mut worst = cluster(30, 0.1);
        worst.lost = (0..10).map(|_| lost("email")).collect();
        worst.warnings = vec![
            Warning {
                code: "conflicting_sex".into(),
                message: String::new(),
            },
            Warning {
                code: "conflicting_birth_date".into(),
                message: String::new(),
            },
        ];
        let risk = assess_risk(&worst, 0.9);
        assert_eq!(risk.score, 100.0);
        assert_eq!(risk_level(risk.score), "high");
        assert_eq!(risk.reasons.len(), 4);
    }
}
