//! Merge: Sailplay's `users/merge` and `users/update` simulated exactly, and
//! the planner that turns each cluster into the calls that reach its best
//! merged profile.
//!
//! Per cluster: the golden profile is chosen field by field (`golden`), the
//! survivor candidates ranked by the survivor policy (`survivor`), and the
//! survivor and merge sequence searched (`order`) to minimise the planned
//! fields that end different from golden. The chosen sequence is then
//! replayed through the simulator (`simulate`) to produce every step's
//! `after`, the `result`, and the values each step drops; optionally one
//! `users/update` sets what no order reaches. The `golden` profile of a
//! planned cluster holds the golden values of the eight planned fields and
//! the survivor's user_id; its register_date, points and custom attributes
//! are the result's (they follow the stated assumptions, not a choice).
//! Without `users/update` (`[planner] updates = false`, the default) the
//! reported golden value of a field is the result's unless a member holds
//! a better-quality one (`coherent_golden`), so that the report's
//! "Preferred" column and `golden_unreachable` mark what a reviewer can
//! act on.
//! Invariants, checked by tests:
//! every step addresses live profiles by `from_uid`/`to_uid`; replaying the
//! steps on the exported members gives `result`; the last step's `after` is
//! `result`; the same input gives the same plan.

pub mod golden;
pub mod order;
pub mod quality;
pub mod simulate;
pub mod survivor;
mod warnings;

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::cluster::Cluster;
use crate::ids::UserId;
use crate::plan::{Assumption, LostValue, Method, PlannedCluster, Step};
use crate::printer::Printer;
use crate::profile::{Field, Profile, Side};
use crate::settings::planner::{AttributeRule, PlannerSettings, PointsRule, RegisterDateRule};

pub use golden::{GoldenValues, choose_golden};
pub use order::{FieldState, MemberStates, Order, search_order};
pub use simulate::{
    DroppedValue, MergeOutcome, MergeRules, ReplayError, UpdateError, replay_steps, simulate_merge,
    simulate_update,
};

/// Plans every cluster, in parallel; the output keeps the clusters' order.
/// `threshold` is the match threshold, for the `weak_link` warning. Takes
/// the profiles and the clusters so that the members' profiles and the
/// evidence move into the plan uncopied.
pub fn plan_clusters(
    profiles: Vec<Profile>,
    clusters: Vec<Cluster>,
    settings: &PlannerSettings,
    threshold: f64,
    printer: &Printer,
) -> Vec<PlannedCluster> {
    let members = take_members(profiles, &clusters);
    let bar = printer.bar(
        "plan",
        clusters.len() as u64,
        crate::printer::Unit::Items("clusters"),
    );
    let planned = clusters
        .into_par_iter()
        .zip(members)
        .map(|(cluster, members)| {
            let planned = plan_members(members, cluster, settings, threshold);
            bar.inc(1);
            planned
        })
        .collect();
    bar.finish_and_clear();
    planned
}

/// Each cluster's member profiles, in the order of its `members`, moved out
/// of `profiles`; a row in several clusters (which clustering never gives)
/// is copied instead, so the plan cannot depend on that guarantee.
fn take_members(mut profiles: Vec<Profile>, clusters: &[Cluster]) -> Vec<Vec<Profile>> {
    let mut uses = vec![0u8; profiles.len()];
    for row in clusters.iter().flat_map(|c| &c.members) {
        uses[*row as usize] = uses[*row as usize].saturating_add(1);
    }
    clusters
        .iter()
        .map(|cluster| {
            cluster
                .members
                .iter()
                .map(|&row| {
                    let row = row as usize;
                    if uses[row] == 1 {
                        std::mem::take(&mut profiles[row])
                    } else {
                        profiles[row].clone()
                    }
                })
                .collect()
        })
        .collect()
}

/// Plans one cluster; `cluster.members` index `profiles`.
pub fn plan_cluster(
    profiles: &[Profile],
    cluster: &Cluster,
    settings: &PlannerSettings,
    threshold: f64,
) -> PlannedCluster {
    let members = cluster
        .members
        .iter()
        .map(|&row| profiles[row as usize].clone())
        .collect();
    plan_members(members, cluster.clone(), settings, threshold)
}

/// Plans one cluster whose member profiles, in the order of
/// `cluster.members`, are `members`.
fn plan_members(
    members: Vec<Profile>,
    cluster: Cluster,
    settings: &PlannerSettings,
    threshold: f64,
) -> PlannedCluster {
    let rules = MergeRules::from_settings(settings);
    let memo = quality::QualityMemo::default();
    let golden_values = choose_golden(&members, &settings.golden, &memo);
    let states = member_states(&members, &golden_values);
    let (ranked, tied) = survivor::rank_members(&members, settings);
    let candidates = if settings.survivor_free {
        &ranked[..]
    } else {
        &ranked[..tied]
    };
    let order = search_order(
        &states,
        candidates,
        &ranked,
        settings.exact_search_max_members,
    );
    let survivor = order.sequence[0];

    let (mut steps, mut dropped, provenance) = merge_steps(&members, &order.sequence, &rules);
    let mut update_error = None;
    if settings.updates {
        let current = steps
            .last()
            .map_or(&members[survivor], |s| &s.after)
            .clone();
        match update_step(
            &current,
            &provenance,
            &golden_values,
            steps.len() as u32 + 1,
        ) {
            Ok(Some((step, update_dropped))) => {
                dropped.extend(update_dropped);
                steps.push(step);
            }
            Ok(None) => {}
            Err(error) => update_error = Some(error),
        }
    }
    let result = steps
        .last()
        .map_or(&members[survivor], |s| &s.after)
        .clone();
    let lost = lost_values(dropped, &result);

    let mut golden = result.clone();
    for (field, value) in Field::PLANNED.into_iter().zip(&golden_values) {
        let preferred = if settings.updates {
            value.clone()
        } else {
            coherent_golden(field, value.as_deref(), result.get(field), &memo)
        };
        golden.set(field, preferred);
    }
    let survivor_reason = survivor_reason(&members, &states, &order, &ranked, tied, settings);
    let warnings = warnings::cluster_warnings(&warnings::WarningInput {
        members: &members,
        result: &result,
        golden: &golden,
        steps: &steps,
        lost: &lost,
        exact_order: order.exact,
        update_error: update_error.as_ref(),
        settings,
        threshold,
        min_probability: cluster.min_probability,
        memo: &memo,
    });
    PlannedCluster {
        cluster_id: cluster.cluster_id,
        members: members.iter().map(|m| m.user_id.clone()).collect(),
        survivor: members[survivor].user_id.clone(),
        survivor_reason,
        golden,
        steps,
        result,
        lost,
        warnings,
        evidence: cluster.evidence,
        min_probability: cluster.min_probability,
        profiles: members,
        triage: Default::default(),
    }
}

/// The golden value a plan without `users/update` reports for one field:
/// what its merges reach, unless a member holds a value of strictly better
/// quality (a mobile phone where a landline is kept, a full name where a
/// diminutive is, a real birth date where a placeholder is). A preference
/// among values of equal quality (the newest e-mail rather than the
/// survivor's) is the planner's to pursue through the merge order, not a
/// defect of the result: reporting it would flag nearly every cluster and
/// tell the reviewer nothing (`golden_unreachable` would mean nothing).
fn coherent_golden(
    field: Field,
    policy: Option<&str>,
    reached: Option<&str>,
    memo: &quality::QualityMemo,
) -> Option<String> {
    let better = match (policy, reached) {
        (Some(preferred), Some(reached)) if preferred != reached => {
            memo.quality(field, preferred) > memo.quality(field, reached)
        }
        (Some(_), None) => true,
        _ => false,
    };
    if better { policy } else { reached }.map(str::to_string)
}

/// Each member's fields relative to the golden values.
pub fn member_states(members: &[Profile], golden: &GoldenValues) -> Vec<MemberStates> {
    members
        .iter()
        .map(|member| {
            std::array::from_fn(
                |field| match (member.get(Field::PLANNED[field]), &golden[field]) {
                    (None, _) => FieldState::Empty,
                    (Some(value), Some(target)) if value == target => FieldState::Golden,
                    _ => FieldState::Other,
                },
            )
        })
        .collect()
}

/// Which member each value the survivor holds came from, by field; fields
/// not listed hold the survivor's own value.
type Provenance = BTreeMap<String, UserId>;

/// The merges of `sequence[1..]` into `sequence[0]`, each addressed by
/// user_id, with the values each drops attributed to the member they
/// came from, and the provenance of the final values.
fn merge_steps(
    members: &[Profile],
    sequence: &[usize],
    rules: &MergeRules,
) -> (Vec<Step>, Vec<LostValue>, Provenance) {
    let survivor = &members[sequence[0]];
    let mut provenance = Provenance::new();
    let mut steps: Vec<Step> = Vec::with_capacity(sequence.len());
    let mut dropped = Vec::new();
    for (position, &member) in sequence.iter().enumerate().skip(1) {
        let from = &members[member];
        let index = position as u32;
        let current = steps.last().map_or(survivor, |step| &step.after);
        let outcome = simulate_merge(from, current, rules);
        // Attribute drops by the provenance before this merge, then update it.
        for value in outcome.dropped {
            let user_id = match value.side {
                Side::From => from.user_id.clone(),
                Side::To => provenance
                    .get(&value.field)
                    .unwrap_or(&survivor.user_id)
                    .clone(),
            };
            dropped.push(LostValue {
                step: index,
                user_id,
                field: value.field,
                value: value.value,
                kept: value.kept,
            });
        }
        for field in changed_fields(current, &outcome.merged) {
            provenance.insert(field, from.user_id.clone());
        }
        steps.push(Step {
            index,
            method: Method::Merge,
            params: BTreeMap::from([
                ("from_uid".to_string(), from.user_id.to_string()),
                ("to_uid".to_string(), survivor.user_id.to_string()),
            ]),
            after: outcome.merged,
        });
    }
    (steps, dropped, provenance)
}

/// Fields (canonical and extra) whose value differs between two profiles.
fn changed_fields(before: &Profile, after: &Profile) -> Vec<String> {
    let canonical = Field::ALL.into_iter().map(|field| field.name() as &str);
    let extra = before
        .extra
        .keys()
        .chain(after.extra.keys())
        .map(String::as_str);
    canonical
        .chain(extra)
        .filter(|column| before.value_of(column) != after.value_of(column))
        .map(str::to_string)
        .collect()
}

/// One `users/update` of the survivor setting every golden value the merges
/// did not reach; `None` when there is none.
fn update_step(
    current: &Profile,
    provenance: &Provenance,
    golden: &GoldenValues,
    index: u32,
) -> Result<Option<(Step, Vec<LostValue>)>, UpdateError> {
    let mut params = BTreeMap::from([("user_id".to_string(), current.user_id.to_string())]);
    for (field, target) in Field::PLANNED.into_iter().zip(golden) {
        if let Some(target) = target
            && current.get(field) != Some(target.as_str())
        {
            let parameter = field
                .update_parameter()
                .expect("users/update sets every planned field");
            params.insert(parameter.to_string(), target.clone());
        }
    }
    if params.len() == 1 {
        return Ok(None);
    }
    let after = simulate_update(current, &params)?;
    let dropped = simulate::update_dropped(current, &after)
        .into_iter()
        .map(|value| LostValue {
            step: index,
            user_id: provenance
                .get(&value.field)
                .unwrap_or(&current.user_id)
                .clone(),
            field: value.field,
            value: value.value,
            kept: value.kept,
        })
        .collect();
    Ok(Some((
        Step {
            index,
            method: Method::Update,
            params,
            after,
        },
        dropped,
    )))
}

/// The dropped values that are in no member's place in the result: one per
/// member, field and value, at the step that first drops it.
/// `register_date` is left out: under every rule the merged history keeps
/// its dates, and the rule itself is listed in the plan's assumptions.
fn lost_values(dropped: Vec<LostValue>, result: &Profile) -> Vec<LostValue> {
    let mut lost: Vec<LostValue> = Vec::new();
    for value in dropped {
        let survives = result.value_of(&value.field) == Some(value.value.as_str());
        let repeated = lost.iter().any(|l| {
            l.user_id == value.user_id && l.field == value.field && l.value == value.value
        });
        if value.field != Field::RegisterDate.name() && !survives && !repeated {
            lost.push(value);
        }
    }
    lost
}

fn survivor_reason(
    members: &[Profile],
    states: &[MemberStates],
    order: &Order,
    ranked: &[usize],
    tied: usize,
    settings: &PlannerSettings,
) -> String {
    let survivor = order.sequence[0];
    let policy = survivor::describe_policy(&members[survivor], settings);
    if survivor == ranked[0] {
        return if tied > 1 {
            format!("{policy}; first by user_id among {tied} members the policy ranks equal")
        } else {
            policy
        };
    }
    let within_ties = ranked[..tied].contains(&survivor);
    if within_ties {
        return format!(
            "{policy}; among {tied} members the policy ranks equal, its merge order reaches the most golden values"
        );
    }
    let policy_pick = ranked[0];
    let policy_order = search_order(
        states,
        &[policy_pick],
        ranked,
        settings.exact_search_max_members,
    );
    format!(
        "chosen by the order search (survivor_free): ends {} field(s) closer to the golden profile than {} ({})",
        policy_order.mismatches.saturating_sub(order.mismatches),
        members[policy_pick].user_id,
        survivor::describe_policy(&members[policy_pick], settings)
    )
}

/// What the plan assumes where Sailplay's documentation is silent.
pub fn assumptions(settings: &PlannerSettings) -> Vec<Assumption> {
    let assumption = |field: &str, rule: &str, description: &str| Assumption {
        field: field.to_string(),
        rule: rule.to_string(),
        description: description.to_string(),
    };
    let register_date = match settings.register_date {
        RegisterDateRule::Earliest => assumption(
            Field::RegisterDate.name(),
            "earliest",
            "When both profiles have a register date, the merged profile keeps the earlier one (the joined history starts there).",
        ),
        RegisterDateRule::Latest => assumption(
            Field::RegisterDate.name(),
            "latest",
            "When both profiles have a register date, the merged profile keeps the later one.",
        ),
        RegisterDateRule::To => assumption(
            Field::RegisterDate.name(),
            "to",
            "When both profiles have a register date, the merged profile keeps the survivor's (\"to\"), like phone and email.",
        ),
        RegisterDateRule::From => assumption(
            Field::RegisterDate.name(),
            "from",
            "When both profiles have a register date, the merged profile keeps the merged-away profile's (\"from\"), like the names.",
        ),
    };
    let points = match settings.points {
        PointsRule::Sum => assumption(
            "points",
            "sum",
            "Point balances add up: the histories are joined, so the merged profile holds both balances.",
        ),
        PointsRule::To => assumption(
            "points",
            "to",
            "The merged profile shows the survivor's point balance; the other balance is reported as lost.",
        ),
    };
    let attributes = match settings.custom_attributes {
        AttributeRule::To => assumption(
            "custom_attributes",
            "to",
            "A custom attribute filled in both profiles keeps the survivor's (\"to\") value, like phone and email; one filled on one side only is kept.",
        ),
        AttributeRule::From => assumption(
            "custom_attributes",
            "from",
            "A custom attribute filled in both profiles keeps the merged-away profile's (\"from\") value, like the names; one filled on one side only is kept.",
        ),
    };
    vec![
        register_date,
        points,
        attributes,
        assumption(
            "history",
            "joined",
            "Purchases, point operations and tags of both profiles end up in the merged profile (as the docs state); the plan does not show them.",
        ),
        assumption(
            "subscriptions",
            "union",
            "A channel (email, SMS, push) subscribed in either profile stays subscribed; subscriptions are not in the export, so the plan does not show them.",
        ),
        assumption(
            "merged_identifiers",
            "freed",
            "A merged-away profile no longer exists, so its phone, email and origin_user_id are free for a later users/update of the survivor.",
        ),
        assumption(
            "update_null",
            "identifiers_only",
            "users/update clears a value only for identifiers (new_phone, new_email, new_origin_user_id = null); the plan never clears a name or date.",
        ),
    ]
}

#[cfg(test)]
mod tests;
