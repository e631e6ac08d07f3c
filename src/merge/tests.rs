//! Planner tests on hand-made clusters: one per precedence consequence,
//! warning and setting. Property tests against brute force are in
//! `tests/integration/planner.rs`.

use super::*;
use crate::plan::PairEvidence;
use crate::profile::Field;
use crate::settings::planner::SurvivorPolicy;

fn profile(user_id: &str, fields: &[(&str, &str)]) -> Profile {
    let mut profile = Profile {
        user_id: user_id.into(),
        ..Profile::default()
    };
    for (column, value) in fields {
        match Field::from_name(column) {
            Some(field) => profile.set(field, Some(value.to_string())),
            None => {
                profile.extra.insert(column.to_string(), value.to_string());
            }
        }
    }
    profile
}

fn cluster(rows: &[u32]) -> Cluster {
    Cluster {
        cluster_id: "c1".into(),
        members: rows.to_vec(),
        evidence: vec![PairEvidence {
            left: "x".into(),
            right: "y".into(),
            rules: vec!["phone".into()],
            weight: 12.0,
            probability: 0.999,
            fields: vec![],
        }],
        min_probability: 0.999,
    }
}

fn plan(profiles: &[Profile], settings: &PlannerSettings) -> PlannedCluster {
    let rows: Vec<u32> = (0..profiles.len() as u32).collect();
    plan_cluster(profiles, &cluster(&rows), settings, 0.9)
}

fn codes(planned: &PlannedCluster) -> Vec<&str> {
    planned.warnings.iter().map(|w| w.code.as_str()).collect()
}

/// A phone-only store profile (registered first, full name) and an
/// email-only online profile (diminutive, birth date).
fn store_and_online() -> Vec<Profile> {
    vec![
        profile(
            "1001",
            &[
                ("phone", "79161234567"),
                ("first_name", "Александр"),
                ("last_name", "Петров"),
                ("register_date", "2015-04-02"),
                ("points", "350"),
            ],
        ),
        profile(
            "2002",
            &[
                ("email", "sasha.petrov@mail.ru"),
                ("first_name", "Саша"),
                ("last_name", "Петров"),
                ("birth_date", "1987-09-14"),
                ("register_date", "2021-11-30"),
                ("points", "40"),
            ],
        ),
    ]
}

#[test]
fn store_and_online_profiles_merge_into_the_oldest_and_report_the_diminutive() {
    let planned = plan(&store_and_online(), &PlannerSettings::default());
    assert_eq!(planned.survivor, "1001");
    assert_eq!(planned.steps.len(), 1);
    assert_eq!(planned.steps[0].params["from_uid"], "2002");
    assert_eq!(planned.steps[0].params["to_uid"], "1001");
    let result = &planned.result;
    assert_eq!(result.user_id, "1001");
    assert_eq!(result.phone.as_deref(), Some("79161234567"));
    assert_eq!(result.email.as_deref(), Some("sasha.petrov@mail.ru"));
    assert_eq!(result.birth_date.as_deref(), Some("1987-09-14"));
    assert_eq!(result.register_date.as_deref(), Some("2015-04-02"));
    assert_eq!(result.points.as_deref(), Some("390"));
    // "from" wins the name: the diminutive overwrites the full name.
    assert_eq!(result.first_name.as_deref(), Some("Саша"));
    assert_eq!(planned.golden.first_name.as_deref(), Some("Александр"));
    assert_eq!(planned.lost.len(), 1);
    assert_eq!(planned.lost[0].user_id, "1001");
    assert_eq!(planned.lost[0].value, "Александр");
    // A diminutive of the same name is no "different name" warning; the
    // missed golden value is.
    assert_eq!(codes(&planned), ["golden_unreachable"]);
}

#[test]
fn survivor_free_lets_the_newer_profile_survive_to_keep_the_full_name() {
    let settings = PlannerSettings {
        survivor_free: true,
        ..PlannerSettings::default()
    };
    let planned = plan(&store_and_online(), &settings);
    assert_eq!(planned.survivor, "2002");
    assert_eq!(planned.result.first_name.as_deref(), Some("Александр"));
    assert_eq!(planned.result.phone.as_deref(), Some("79161234567"));
    assert!(planned.lost.iter().all(|l| l.value != "Александр"));
    assert!(
        planned.survivor_reason.contains("survivor_free"),
        "{}",
        planned.survivor_reason
    );
    assert!(!codes(&planned).contains(&"golden_unreachable"));
}

#[test]
fn updates_setting_adds_one_update_that_reaches_golden() {
    let settings = PlannerSettings {
        updates: true,
        ..PlannerSettings::default()
    };
    let planned = plan(&store_and_online(), &settings);
    assert_eq!(planned.steps.len(), 2);
    let update = &planned.steps[1];
    assert_eq!(update.method, Method::Update);
    assert_eq!(update.params["user_id"], "1001");
    assert_eq!(update.params["first_name"], "Александр");
    assert_eq!(update.params.len(), 2);
    assert_eq!(planned.result, update.after);
    assert_eq!(planned.result.first_name.as_deref(), Some("Александр"));
    assert_eq!(planned.lost.len(), 1, "Саша is overwritten by the update");
    let lost = &planned.lost[0];
    assert_eq!(
        (lost.step, lost.user_id.as_str(), lost.value.as_str()),
        (2, "2002", "Саша")
    );
    assert!(codes(&planned).contains(&"update_step"));
    assert!(!codes(&planned).contains(&"golden_unreachable"));
}

#[test]
fn update_replaces_an_identifier_with_new_phone() {
    // Survivor (oldest) has a landline; the mobile is on the other member
    // and the to-precedence keeps the landline.
    let profiles = [
        profile(
            "1",
            &[("phone", "74951234567"), ("register_date", "2012-01-01")],
        ),
        profile(
            "2",
            &[("phone", "79261234567"), ("register_date", "2020-01-01")],
        ),
    ];
    let off = plan(&profiles, &PlannerSettings::default());
    assert_eq!(off.result.phone.as_deref(), Some("74951234567"));
    assert_eq!(codes(&off), ["lost_phone", "golden_unreachable"]);
    let on = plan(
        &profiles,
        &PlannerSettings {
            updates: true,
            ..PlannerSettings::default()
        },
    );
    assert_eq!(on.steps[1].params["new_phone"], "79261234567");
    assert_eq!(on.result.phone.as_deref(), Some("79261234567"));
    assert_eq!(on.lost.len(), 1);
    assert_eq!(on.lost[0].value, "74951234567");
    let replayed = replay_steps(&profiles, &on.steps, &MergeRules::default()).unwrap();
    assert_eq!(replayed.as_ref(), Some(&on.result));
}

#[test]
fn order_puts_the_golden_name_last_and_attributes_losses_to_their_member() {
    let profiles = [
        profile(
            "10",
            &[("phone", "79031112233"), ("register_date", "2010-01-01")],
        ),
        profile(
            "11",
            &[
                ("first_name", "Александра"),
                ("register_date", "2012-01-01"),
            ],
        ),
        profile(
            "12",
            &[("first_name", "Саша"), ("register_date", "2013-01-01")],
        ),
    ];
    let planned = plan(&profiles, &PlannerSettings::default());
    let froms: Vec<&str> = planned
        .steps
        .iter()
        .map(|s| s.params["from_uid"].as_str())
        .collect();
    assert_eq!(froms, ["12", "11"]);
    assert_eq!(planned.result.first_name.as_deref(), Some("Александра"));
    assert_eq!(planned.lost.len(), 1);
    let lost = &planned.lost[0];
    assert_eq!(
        (lost.step, lost.user_id.as_str(), lost.value.as_str()),
        (2, "12", "Саша")
    );
    assert_eq!(lost.kept.as_deref(), Some("Александра"));
    // A diminutive giving way to its full form is lost, but no warning.
    assert!(codes(&planned).is_empty());
}

#[test]
fn a_full_name_typed_into_the_first_name_field_is_not_golden_and_its_win_is_warned() {
    // The survivor (registered first) has the clean first name; merging the
    // newer profile overwrites it with "Кристина Гончарова".
    let profiles = [
        profile(
            "1",
            &[
                ("first_name", "Кристина"),
                ("last_name", "Гончарова"),
                ("register_date", "2012-07-06"),
            ],
        ),
        profile(
            "2",
            &[
                ("first_name", "Кристина Гончарова"),
                ("register_date", "2024-06-30"),
            ],
        ),
    ];
    let planned = plan(&profiles, &PlannerSettings::default());
    assert_eq!(planned.golden.first_name.as_deref(), Some("Кристина"));
    assert_eq!(
        planned.result.first_name.as_deref(),
        Some("Кристина Гончарова")
    );
    assert_eq!(codes(&planned), ["golden_unreachable"]);

    let with_updates = PlannerSettings {
        updates: true,
        ..PlannerSettings::default()
    };
    let planned = plan(&profiles, &with_updates);
    assert_eq!(planned.result.first_name.as_deref(), Some("Кристина"));
}

#[test]
fn a_different_name_overwritten_is_warned() {
    let profiles = [
        profile(
            "1",
            &[("first_name", "Ольга"), ("register_date", "2010-01-01")],
        ),
        profile(
            "2",
            &[("first_name", "Оксана"), ("register_date", "2012-01-01")],
        ),
    ];
    let planned = plan(&profiles, &PlannerSettings::default());
    assert_eq!(planned.result.first_name.as_deref(), Some("Оксана"));
    assert_eq!(
        codes(&planned),
        ["name_overwritten"],
        "golden is the newer name"
    );
    assert!(
        planned.warnings[0].message.contains("\"Ольга\" (of 1)"),
        "{}",
        planned.warnings[0].message
    );
}

#[test]
fn steps_address_live_profiles_by_uid_and_end_in_the_result() {
    let profiles: Vec<Profile> = (0..5)
        .map(|i| {
            profile(
                &format!("{}", 500 + i),
                &[
                    ("phone", &format!("7916123456{i}")),
                    ("first_name", "Иван"),
                    ("register_date", "2018-01-01"),
                ],
            )
        })
        .collect();
    let planned = plan(&profiles, &PlannerSettings::default());
    let mut merged_away = Vec::new();
    for step in &planned.steps {
        assert_eq!(step.params.len(), 2);
        assert_eq!(step.params["to_uid"], planned.survivor);
        assert!(!merged_away.contains(&step.params["from_uid"]));
        merged_away.push(step.params["from_uid"].clone());
    }
    assert_eq!(merged_away.len(), 4);
    assert_eq!(planned.steps.last().unwrap().after, planned.result);
    assert_eq!(codes(&planned), ["lost_phone"]);
    assert_eq!(planned.lost.len(), 4);
}

#[test]
fn conflicts_placeholders_weak_and_large_clusters_are_warned() {
    let mut profiles: Vec<Profile> = vec![
        profile(
            "1",
            &[
                ("birth_date", "1980-02-03"),
                ("sex", "1"),
                ("first_name", "Покупатель"),
            ],
        ),
        profile("2", &[("birth_date", "1982-05-06"), ("sex", "2")]),
    ];
    for i in 3..=7 {
        profiles.push(profile(&i.to_string(), &[("birth_date", "1900-01-01")]));
    }
    let rows: Vec<u32> = (0..profiles.len() as u32).collect();
    let weak = Cluster {
        min_probability: 0.92,
        ..cluster(&rows)
    };
    let planned = plan_cluster(&profiles, &weak, &PlannerSettings::default(), 0.9);
    assert_eq!(
        codes(&planned),
        [
            "conflicting_birth_date",
            "conflicting_sex",
            "placeholder_kept",
            "weak_link",
            "large_cluster"
        ]
    );
    let mut strict = PlannerSettings {
        exact_search_max_members: 4,
        ..PlannerSettings::default()
    };
    strict.large_cluster_members = 10;
    let heuristic = plan_cluster(&profiles, &weak, &strict, 0.9);
    assert!(codes(&heuristic).contains(&"heuristic_order"));
    assert!(!codes(&heuristic).contains(&"large_cluster"));
}

#[test]
fn lost_origin_id_and_email_are_warned_and_custom_attributes_reported() {
    let profiles = [
        profile(
            "1",
            &[
                ("origin_user_id", "CARD-1"),
                ("email", "anna.k@mail.ru"),
                ("card_type", "silver"),
                ("register_date", "2011-01-01"),
            ],
        ),
        profile(
            "2",
            &[
                ("origin_user_id", "CARD-2"),
                ("email", "kuznetsova.anna@yandex.ru"),
                ("card_type", "gold"),
                ("register_date", "2019-01-01"),
            ],
        ),
    ];
    let planned = plan(&profiles, &PlannerSettings::default());
    assert_eq!(
        planned.result.origin_user_id.as_deref(),
        Some("CARD-2"),
        "from wins, and golden is the most recent"
    );
    assert_eq!(planned.result.extra["card_type"], "silver");
    // Both e-mails are valid: the survivor's own, which the merge keeps,
    // is the golden one, and nothing is "unreachable".
    assert_eq!(planned.golden.email.as_deref(), Some("anna.k@mail.ru"));
    assert_eq!(
        codes(&planned),
        ["lost_email", "lost_origin_user_id", "lost_attribute"]
    );
}

#[test]
fn tied_survivors_are_chosen_by_reachability_then_user_id() {
    // No register dates: both tie. User_id would pick 7, but only with 9
    // as survivor does the golden (mobile) phone win over the landline.
    let profiles = [
        profile(
            "9",
            &[("phone", "79161234567"), ("middle_name", "Петрович")],
        ),
        profile("7", &[("phone", "74951234567")]),
    ];
    let planned = plan(&profiles, &PlannerSettings::default());
    assert_eq!(planned.survivor, "9");
    assert_eq!(planned.result.middle_name.as_deref(), Some("Петрович"));
    assert!(
        planned.survivor_reason.contains("reaches the most golden"),
        "{}",
        planned.survivor_reason
    );
    let symmetric = [profile("9", &[]), profile("7", &[])];
    let planned = plan(&symmetric, &PlannerSettings::default());
    assert_eq!(planned.survivor, "7");
    assert!(
        planned.survivor_reason.contains("first by user_id"),
        "{}",
        planned.survivor_reason
    );
}

#[test]
fn survivor_policies_pick_by_points_and_column() {
    let profiles = [
        profile(
            "1",
            &[
                ("points", "10"),
                ("tier", "basic"),
                ("register_date", "2010-01-01"),
            ],
        ),
        profile("2", &[("points", "900"), ("register_date", "2015-01-01")]),
        profile(
            "3",
            &[
                ("points", "5"),
                ("tier", "vip"),
                ("register_date", "2016-01-01"),
            ],
        ),
    ];
    let points = PlannerSettings {
        survivor: SurvivorPolicy::MostPoints,
        ..PlannerSettings::default()
    };
    assert_eq!(plan(&profiles, &points).survivor, "2");
    let column = PlannerSettings {
        survivor: SurvivorPolicy::Column,
        survivor_column: Some("tier".into()),
        survivor_column_value: Some("vip".into()),
        ..PlannerSettings::default()
    };
    let planned = plan(&profiles, &column);
    assert_eq!(planned.survivor, "3");
    assert_eq!(planned.survivor_reason, "tier is \"vip\"");
    assert_eq!(planned.result.points.as_deref(), Some("915"));
}

#[test]
fn planning_is_deterministic_and_plans_every_cluster_in_order() {
    let profiles = store_and_online();
    let clusters = [
        Cluster {
            cluster_id: "a".into(),
            ..cluster(&[0, 1])
        },
        Cluster {
            cluster_id: "b".into(),
            ..cluster(&[0, 1])
        },
    ];
    let settings = PlannerSettings::default();
    let first = plan_clusters(
        profiles.clone(),
        clusters.to_vec(),
        &settings,
        0.9,
        &Printer::silent(),
    );
    let second = plan_clusters(
        profiles.clone(),
        clusters.to_vec(),
        &settings,
        0.9,
        &Printer::silent(),
    );
    assert_eq!(first, second);
    let ids: Vec<&str> = first.iter().map(|c| c.cluster_id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(first[0].members, ["1001", "2002"]);
    assert_eq!(first[0].profiles, profiles);
    assert_eq!(first[0].evidence, clusters[0].evidence);
}

#[test]
fn assumptions_follow_the_settings() {
    let rules = |settings: &PlannerSettings| -> Vec<(String, String)> {
        assumptions(settings)
            .into_iter()
            .map(|a| (a.field, a.rule))
            .collect()
    };
    let defaults = rules(&PlannerSettings::default());
    assert!(defaults.contains(&("register_date".into(), "earliest".into())));
    assert!(defaults.contains(&("points".into(), "sum".into())));
    assert!(defaults.contains(&("custom_attributes".into(), "to".into())));
    assert!(defaults.contains(&("subscriptions".into(), "union".into())));
    let changed = PlannerSettings {
        register_date: RegisterDateRule::From,
        points: PointsRule::To,
        custom_attributes: AttributeRule::From,
        ..PlannerSettings::default()
    };
    let changed = rules(&changed);
    assert!(changed.contains(&("register_date".into(), "from".into())));
    assert!(changed.contains(&("points".into(), "to".into())));
    assert!(changed.contains(&("custom_attributes".into(), "from".into())));
}

#[test]
fn members_moved_into_the_plan_give_the_plan_of_each_cluster_alone() {
    let mut profiles = store_and_online();
    profiles.extend(store_and_online().into_iter().map(|mut profile| {
        profile.user_id = format!("{}9", profile.user_id).into();
        profile
    }));
    let clusters = vec![
        Cluster {
            cluster_id: "a".into(),
            ..cluster(&[2, 3])
        },
        Cluster {
            cluster_id: "b".into(),
            ..cluster(&[0, 1])
        },
    ];
    let settings = PlannerSettings::default();
    let alone: Vec<PlannedCluster> = clusters
        .iter()
        .map(|c| plan_cluster(&profiles, c, &settings, 0.9))
        .collect();
    let together = plan_clusters(profiles, clusters, &settings, 0.9, &Printer::silent());
    assert_eq!(together, alone);
    assert_eq!(together[0].members, ["10019", "20029"]);
}

#[test]
fn bidi_and_control_characters_in_values_are_warned_with_the_value_escaped() {
    let mut profiles = store_and_online();
    profiles[1].last_name = Some("Пет\u{202e}ров".to_string());
    profiles[0]
        .extra
        .insert("note".to_string(), "\u{1b}[2Jok".to_string());
    let planned = plan(&profiles, &PlannerSettings::default());
    let hidden: Vec<&str> = planned
        .warnings
        .iter()
        .filter(|w| w.code == "hidden_characters")
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(hidden.len(), 2, "{hidden:?}");
    assert!(
        hidden[0].contains("1001")
            && hidden[0].contains("U+001B")
            && hidden[0].contains("\\u{1b}[2Jok"),
        "{}",
        hidden[0]
    );
    assert!(
        hidden[1].contains("2002")
            && hidden[1].contains("U+202E")
            && hidden[1].contains("last name"),
        "{}",
        hidden[1]
    );
    assert!(
        hidden
            .iter()
            .all(|message| !message.contains('\u{202e}') && !message.contains('\u{1b}'))
    );
    let plain = plan(&store_and_online(), &PlannerSettings::default());
    assert!(!codes(&plain).contains(&"hidden_characters"));
}
