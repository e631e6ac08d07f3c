//! A realistic synthetic `MergePlan` for tests, benchmarks and demos of the
//! report: Russian names with diminutives and gendered surnames, changed
//! phones, several e-mails, conflicting birth dates, clusters of two to a
//! dozen profiles, evidence with per-field levels and weights, and each
//! cluster planned by the real planner (`merge::plan_cluster`) under the
//! default planner settings.
//!
//! It stands in for matching only: it exists so that the report, the review
//! server and the stages after planning can be exercised at any scale
//! without the matching pipeline. The same `(cluster_count, seed)` always gives the same
//! plan, byte for byte.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::cluster::Cluster;
use crate::ids::{ClusterId, UserId};
use crate::merge::plan_cluster;
use crate::normalize::DataQuality;
use crate::plan::risk::assess_risk;
use crate::plan::{
    Assumption, Diagnostics, FieldEvidence, HistogramBin, InputFile, MergePlan, Method,
    PairEvidence, PlanSummary, PlannedCluster, SCHEMA_VERSION,
};
use crate::profile::{Field, Profile};
use crate::settings::planner::PlannerSettings;

/// The match threshold the synthetic plan states.
pub const SYNTHETIC_THRESHOLD: f64 = 0.9;

/// Prior log2 odds that two random candidate profiles match; the evidence
/// weights add to it.
const PRIOR_WEIGHT: f64 = -13.3;

struct Person {
    first_names: &'static [&'static str],
    middle_name: &'static str,
    last_name: String,
    latin: &'static str,
    sex: &'static str,
    birth_date: String,
    phone: String,
}

// Full name first, then diminutives that exports really carry.
const MALE_FIRST: &[&[&str]] = &[
    &["Александр", "Саша", "Шура"],
    &["Дмитрий", "Дима"],
    &["Сергей", "Серёжа"],
    &["Алексей", "Алёша", "Лёша"],
    &["Андрей", "Андрюша"],
    &["Михаил", "Миша"],
    &["Иван", "Ваня"],
    &["Николай", "Коля"],
    &["Евгений", "Женя"],
    &["Владимир", "Вова", "Володя"],
    &["Артём"],
    &["Игорь"],
];
const FEMALE_FIRST: &[&[&str]] = &[
    &["Елена", "Лена"],
    &["Ольга", "Оля"],
    &["Наталья", "Наташа", "Наталия"],
    &["Татьяна", "Таня"],
    &["Екатерина", "Катя"],
    &["Анастасия", "Настя"],
    &["Мария", "Маша"],
    &["Юлия", "Юля"],
    &["Светлана", "Света"],
    &["Ирина", "Ира"],
    &["Дарья", "Даша"],
    &["Алёна"],
];
// (male patronymic, female patronymic)
const PATRONYMICS: &[(&str, &str)] = &[
    ("Александрович", "Александровна"),
    ("Сергеевич", "Сергеевна"),
    ("Владимирович", "Владимировна"),
    ("Андреевич", "Андреевна"),
    ("Игоревич", "Игоревна"),
    ("Николаевич", "Николаевна"),
    ("Михайлович", "Михайловна"),
    ("Петрович", "Петровна"),
];
// (male surname, latin for e-mails)
const SURNAMES: &[(&str, &str)] = &[
    ("Иванов", "ivanov"),
    ("Смирнов", "smirnov"),
    ("Кузнецов", "kuznetsov"),
    ("Попов", "popov"),
    ("Васильев", "vasiliev"),
    ("Петров", "petrov"),
    ("Соколов", "sokolov"),
    ("Михайлов", "mikhailov"),
    ("Новиков", "novikov"),
    ("Фёдоров", "fedorov"),
    ("Морозов", "morozov"),
    ("Волков", "volkov"),
    ("Лебедев", "lebedev"),
    ("Семёнов", "semenov"),
    ("Егоров", "egorov"),
    ("Козлов", "kozlov"),
];
const MAIL_DOMAINS: &[&str] = &["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru"];

/// A sealed plan of `cluster_count` clusters and a review band of one
/// candidate per ten clusters, deterministic in `seed`.
pub fn synthetic_plan(cluster_count: usize, seed: u64) -> MergePlan {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut next_user_id = 100_000u64;
    let mut clusters = Vec::with_capacity(cluster_count);
    for index in 0..cluster_count {
        let cluster_id = format!("c{:06}", index + 1).into();
        clusters.push(synthetic_cluster(&mut rng, cluster_id, &mut next_user_id));
    }
    let profiles_in_clusters: u64 = clusters.iter().map(|c| c.members.len() as u64).sum();
    let singletons = profiles_in_clusters * 7 + 1_000;
    let count_method = |method: Method| {
        clusters
            .iter()
            .flat_map(|c| &c.steps)
            .filter(|s| s.method == method)
            .count() as u64
    };
    let summary = PlanSummary {
        profiles: singletons + profiles_in_clusters,
        clusters: clusters.len() as u64,
        profiles_in_clusters,
        merge_calls: count_method(Method::Merge),
        update_calls: count_method(Method::Update),
        clusters_with_lost_values: clusters.iter().filter(|c| !c.lost.is_empty()).count() as u64,
        clusters_with_warnings: clusters.iter().filter(|c| !c.warnings.is_empty()).count() as u64,
        candidates: 0,
    };
    let mut plan = MergePlan {
        schema_version: SCHEMA_VERSION,
        plan_hash: String::new(),
        generated_by: format!("sailmerge {} (synthetic)", env!("CARGO_PKG_VERSION")),
        inputs: vec![InputFile {
            path: "exports/clients.csv".to_string(),
            rows: summary.profiles,
            sha256: format!("{:064x}", seed),
        }],
        settings: json!({
            "matching": {
                "threshold": SYNTHETIC_THRESHOLD,
                "review_threshold": 0.5,
                "max_block_size": 500,
                "blocking_rules": ["phone", "email_mailbox", "last_name+birth_date", "first_name+last_name+phone_prefix"],
                "em_iterations": 20
            },
            "planner": {
                "register_date": "earliest",
                "points": "sum",
                "follow_up_updates": true
            }
        }),
        assumptions: vec![
            Assumption {
                field: "register_date".into(),
                rule: "earliest".into(),
                description: "Sailplay's documentation does not say which registration date survives a merge; the plan assumes the earliest of the two.".into(),
            },
            Assumption {
                field: "points".into(),
                rule: "sum".into(),
                description: "Points balances are assumed to be added together.".into(),
            },
            Assumption {
                field: "subscriptions".into(),
                rule: "to".into(),
                description: "Subscriptions are assumed to follow the surviving profile (to).".into(),
            },
        ],
        summary,
        diagnostics: synthetic_diagnostics(&mut rng, profiles_in_clusters),
        language: "en".to_string(),
        history: Default::default(),
        clusters,
        candidates: synthetic_candidates(cluster_count / 10, seed, &mut next_user_id),
    };
    plan.summary.candidates = plan.candidates.len() as u64;
    for cluster in plan.clusters.iter_mut().chain(plan.candidates.iter_mut()) {
        cluster.triage.risk = assess_risk(cluster, SYNTHETIC_THRESHOLD);
    }
    plan.seal();
    plan
}

/// Candidates of the review band: clusters whose weakest link scores
/// between 0.5 and the threshold.
fn synthetic_candidates(count: usize, seed: u64, next_user_id: &mut u64) -> Vec<PlannedCluster> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5ea1_ba4d);
    (0..count)
        .map(|index| {
            let mut candidate =
                synthetic_cluster(&mut rng, format!("b{:06}", index + 1).into(), next_user_id);
            let weak = rng.random_range(0.5..SYNTHETIC_THRESHOLD);
            if let Some(pair) = candidate.evidence.last_mut() {
                pair.probability = weak;
                pair.weight = (weak / (1.0 - weak)).log2();
            }
            candidate.min_probability = weak;
            candidate
        })
        .collect()
}

fn synthetic_cluster(
    rng: &mut ChaCha8Rng,
    cluster_id: ClusterId,
    next_user_id: &mut u64,
) -> PlannedCluster {
    let size = match rng.random_range(0..100) {
        0..70 => 2,
        70..88 => 3,
        88..97 => rng.random_range(4..=6),
        _ => rng.random_range(7..=12),
    };
    let person = synthetic_person(rng);
    let profiles: Vec<Profile> = (0..size)
        .map(|_| {
            let user_id = next_user_id.to_string();
            *next_user_id += rng.random_range(1..40);
            synthetic_variant(rng, &person, user_id)
        })
        .collect();
    let evidence: Vec<PairEvidence> = profiles
        .iter()
        .skip(1)
        .enumerate()
        .map(|(position, profile)| {
            // A spanning chain: each profile linked to the one before it,
            // or to the first, as a real clustering would find them.
            let anchor = if position > 0 && rng.random_bool(0.5) {
                &profiles[position]
            } else {
                &profiles[0]
            };
            synthetic_evidence(rng, anchor, profile)
        })
        .collect();
    let min_probability = evidence
        .iter()
        .map(|e| e.probability)
        .fold(1.0f64, f64::min);
    let cluster = Cluster {
        cluster_id,
        members: (0..profiles.len() as u32).collect(),
        evidence,
        min_probability,
    };
    // The real planner picks the survivor, the steps, the lost values and
    // the warnings, so the fixture cannot drift from what a plan holds.
    plan_cluster(
        &profiles,
        &cluster,
        &PlannerSettings::default(),
        SYNTHETIC_THRESHOLD,
    )
}

fn synthetic_person(rng: &mut ChaCha8Rng) -> Person {
    let female = rng.random_bool(0.55);
    let (surname, latin) = SURNAMES[rng.random_range(0..SURNAMES.len())];
    let (male_patronymic, female_patronymic) = PATRONYMICS[rng.random_range(0..PATRONYMICS.len())];
    let first_names = if female {
        FEMALE_FIRST[rng.random_range(0..FEMALE_FIRST.len())]
    } else {
        MALE_FIRST[rng.random_range(0..MALE_FIRST.len())]
    };
    Person {
        first_names,
        middle_name: if female {
            female_patronymic
        } else {
            male_patronymic
        },
        last_name: if female {
            format!("{surname}а")
        } else {
            surname.to_string()
        },
        latin,
        sex: if female { "2" } else { "1" },
        birth_date: format!(
            "{}-{:02}-{:02}",
            rng.random_range(1955..2004),
            rng.random_range(1..=12),
            rng.random_range(1..=28)
        ),
        phone: format!("79{:09}", rng.random_range(0..1_000_000_000u64)),
    }
}

/// One export row of the person: some fields missing, some changed, as
/// store, web and CRM profiles of one customer differ.
fn synthetic_variant(rng: &mut ChaCha8Rng, person: &Person, user_id: String) -> Profile {
    let first_name = if rng.random_bool(0.75) {
        person.first_names[0]
    } else {
        person.first_names[rng.random_range(0..person.first_names.len())]
    };
    let phone = match rng.random_range(0..10) {
        0..5 => Some(person.phone.clone()),
        5..7 => Some(format!("79{:09}", rng.random_range(0..1_000_000_000u64))),
        _ => None,
    };
    let email = match rng.random_range(0..10) {
        0..4 => Some(format!(
            "{}.{}@{}",
            person.latin,
            &person.birth_date[..4],
            MAIL_DOMAINS[0]
        )),
        4..7 => Some(format!(
            "{}{}@{}",
            person.latin,
            rng.random_range(1..99),
            MAIL_DOMAINS[rng.random_range(0..MAIL_DOMAINS.len())]
        )),
        _ => None,
    };
    let birth_date = match rng.random_range(0..20) {
        0 => Some(format!("{}-01-01", &person.birth_date[..4])),
        1..4 => None,
        _ => Some(person.birth_date.clone()),
    };
    Profile {
        user_id: UserId::from(user_id),
        origin_user_id: rng
            .random_bool(0.4)
            .then(|| format!("CARD-{:08}", rng.random_range(0..100_000_000u64))),
        phone,
        email,
        first_name: Some(first_name.to_string()),
        middle_name: rng.random_bool(0.6).then(|| person.middle_name.to_string()),
        last_name: rng.random_bool(0.95).then(|| person.last_name.clone()),
        birth_date,
        sex: rng.random_bool(0.7).then(|| person.sex.to_string()),
        register_date: Some(format!(
            "{}-{:02}-{:02}",
            rng.random_range(2012..2026),
            rng.random_range(1..=12),
            rng.random_range(1..=28)
        )),
        points: Some(rng.random_range(0..5_000).to_string()),
        extra: BTreeMap::new(),
    }
}

/// The fields the evidence compares: the planned ones but origin_user_id.
const COMPARED_FIELDS: &[Field] = Field::PLANNED.split_at(1).1;
fn synthetic_evidence(rng: &mut ChaCha8Rng, left: &Profile, right: &Profile) -> PairEvidence {
    let mut fields = Vec::new();
    for &comparison in COMPARED_FIELDS {
        let (level, weight) = match (left.get(comparison), right.get(comparison)) {
            (Some(a), Some(b)) if a == b => ("exact", exact_weight(comparison)),
            (Some(a), Some(b))
                if comparison == Field::FirstName && a.chars().next() == b.chars().next() =>
            {
                ("diminutive", 2.1)
            }
            (Some(a), Some(b))
                if comparison == Field::Email && a.split('@').next() == b.split('@').next() =>
            {
                ("same_local_part", 6.4)
            }
            (Some(a), Some(b)) if comparison == Field::BirthDate && a[..4] == b[..4] => {
                ("same_year", 1.2)
            }
            (Some(_), Some(_)) => ("different", -exact_weight(comparison) * 0.6),
            _ => ("missing", 0.0),
        };
        fields.push(FieldEvidence {
            comparison: comparison.name().to_string(),
            level: level.to_string(),
            // Estimated weights differ a little from the textbook ones.
            weight: if level == "missing" {
                0.0
            } else {
                round2(weight + rng.random_range(-0.3..0.3))
            },
        });
    }
    let mut weight = PRIOR_WEIGHT + fields.iter().map(|f| f.weight).sum::<f64>();
    let mut rules = Vec::new();
    if left.phone.is_some() && left.phone == right.phone {
        rules.push("phone".to_string());
    }
    if left.email.is_some() && left.email == right.email {
        rules.push("email_mailbox".to_string());
    }
    if left.last_name.is_some()
        && left.last_name == right.last_name
        && left.birth_date == right.birth_date
    {
        rules.push("last_name+birth_date".to_string());
    }
    if rules.is_empty() {
        rules.push("first_name+last_name+phone_prefix".to_string());
    }
    // Pairs the clustering kept are above the threshold; some only just.
    let threshold_weight = (SYNTHETIC_THRESHOLD / (1.0 - SYNTHETIC_THRESHOLD)).log2();
    if weight < threshold_weight + 0.2 {
        let lift = threshold_weight + rng.random_range(0.2..2.5) - weight;
        fields.push(FieldEvidence {
            comparison: "name_frequency".to_string(),
            level: "rare_surname".to_string(),
            weight: round2(lift),
        });
        weight += round2(lift);
    }
    let weight = round2(weight);
    PairEvidence {
        left: left.user_id.clone(),
        right: right.user_id.clone(),
        rules,
        weight,
        probability: probability_from_weight(weight),
        fields,
    }
}

fn exact_weight(comparison: Field) -> f64 {
    match comparison {
        Field::Phone => 9.6,
        Field::Email => 10.2,
        Field::FirstName => 3.1,
        Field::MiddleName => 2.6,
        Field::LastName => 4.4,
        Field::BirthDate => 5.5,
        Field::Sex => 0.7,
        _ => 1.0,
    }
}

fn probability_from_weight(weight: f64) -> f64 {
    let odds = weight.exp2();
    odds / (1.0 + odds)
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn synthetic_diagnostics(rng: &mut ChaCha8Rng, profiles_in_clusters: u64) -> Diagnostics {
    let profiles = profiles_in_clusters * 8 + 1_000;
    let score_histogram = (-20..30)
        .map(|lower| {
            let centre = lower as f64 + 0.5;
            let non_matches = 40_000.0 * (-(centre + 12.0).powi(2) / 30.0).exp();
            let matches =
                profiles_in_clusters as f64 * 0.4 * (-(centre - 14.0).powi(2) / 40.0).exp();
            HistogramBin {
                lower: lower as f64,
                upper: lower as f64 + 1.0,
                count: (non_matches + matches) as u64 + rng.random_range(0..3),
            }
        })
        .collect();
    Diagnostics {
        data_quality: serde_json::to_value(DataQuality {
            profiles,
            phones_missing: profiles / 6,
            phones_mobile: profiles * 4 / 5,
            phones_landline: profiles / 150,
            phones_invalid: profiles / 90,
            emails_missing: profiles / 3,
            emails_invalid: profiles / 70,
            emails_repaired: profiles / 200,
            names_placeholder: profiles / 400,
            names_transliterated: profiles / 60,
            sex_inferred: profiles / 4,
            birth_dates_missing: profiles / 5,
            birth_dates_placeholder: profiles / 120,
            birth_date_defaults: vec!["1900-01-01".into(), "1971-01-01".into()],
            register_dates_before_1971: 3,
            ..DataQuality::default()
        })
        .expect("data quality serialises"),
        blocking: json!({
            "candidate_pairs": profiles * 3,
            "pairs_by_rule": {
                "phone": profiles / 3,
                "email_mailbox": profiles / 4,
                "last_name+birth_date": profiles,
                "first_name+last_name+phone_prefix": profiles * 2
            },
            "capped_blocks": 2,
            "largest_block": {"key": "last_name+birth_date=иванова|1980-01-01", "size": 500}
        }),
        model: json!({"prior_weight": PRIOR_WEIGHT, "em_iterations": 14, "converged": true}),
        clustering: json!({"components": profiles_in_clusters / 2, "split_oversized": 1, "flagged_contradictory": 4}),
        threshold: SYNTHETIC_THRESHOLD,
        score_histogram,
        review_band: serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_the_same_sealed_plan() {
        let first = synthetic_plan(40, 7);
        let second = synthetic_plan(40, 7);
        assert_eq!(first, second);
        assert_eq!(first.plan_hash, first.compute_hash());
        assert_ne!(first.plan_hash, synthetic_plan(40, 8).plan_hash);
    }

    #[test]
    fn clusters_are_consistent_with_their_steps() {
        let plan = synthetic_plan(200, 1);
        assert_eq!(plan.clusters.len(), 200);
        for cluster in &plan.clusters {
            assert!(cluster.members.len() >= 2);
            assert!(cluster.members.contains(&cluster.survivor));
            let merges = cluster
                .steps
                .iter()
                .filter(|s| s.method == Method::Merge)
                .count();
            assert_eq!(merges, cluster.members.len() - 1);
            assert_eq!(&cluster.steps.last().unwrap().after, &cluster.result);
            assert_eq!(cluster.evidence.len(), cluster.members.len() - 1);
            assert!(cluster.min_probability > SYNTHETIC_THRESHOLD);
            for lost in &cluster.lost {
                assert_ne!(
                    cluster.result.value_of(&lost.field),
                    Some(lost.value.as_str())
                );
            }
        }
    }
}
