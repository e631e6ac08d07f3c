//! Warnings a reviewer must see before approving a cluster: conflicts among
//! the members, values the merges lose, golden values no order reaches,
//! placeholders kept, weak or large clusters. Each has a stable `code` the
//! report filters on and a message in plain words; the order is fixed, so
//! plans stay byte-identical.

use std::collections::BTreeSet;

use crate::merge::quality::{
    QualityMemo, birth_date_is_placeholder, birth_date_is_valid, same_name,
};
use crate::merge::simulate::UpdateError;
use crate::plan::{LostValue, Method, Step, Warning};
use crate::printer::{escape_for_terminal, is_unsafe_for_display};
use crate::profile::{Field, Profile};
use crate::settings::planner::PlannerSettings;

pub struct WarningInput<'a> {
    pub members: &'a [Profile],
    pub result: &'a Profile,
    pub golden: &'a Profile,
    pub steps: &'a [Step],
    pub lost: &'a [LostValue],
    pub exact_order: bool,
    pub update_error: Option<&'a UpdateError>,
    pub settings: &'a PlannerSettings,
    pub threshold: f64,
    pub min_probability: f64,
    pub memo: &'a QualityMemo,
}

fn warning(code: &str, message: String) -> Warning {
    Warning {
        code: code.to_string(),
        message,
    }
}

/// Field names as a reviewer reads them.
fn label(field: Field) -> &'static str {
    match field {
        Field::OriginUserId => "origin_user_id (card/CRM id)",
        Field::Phone => "phone",
        Field::Email => "email",
        Field::FirstName => "first name",
        Field::MiddleName => "patronymic",
        Field::LastName => "last name",
        Field::BirthDate => "birth date",
        other => other.name(),
    }
}

/// A column's name as a reviewer reads it: a field's label, or a custom
/// attribute's own name.
fn column_label(column: &str) -> &str {
    Field::from_name(column).map_or(column, |field| label(field))
}

fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "nothing".to_string(), |v| format!("{v:?}"))
}

pub fn cluster_warnings(input: &WarningInput) -> Vec<Warning> {
    let mut warnings = Vec::new();
    conflicts(input, &mut warnings);
    losses(input, &mut warnings);
    unreached(input, &mut warnings);
    for field in Field::PLANNED {
        if let Some(value) = input.result.get(field)
            && input.memo.is_placeholder_or_invalid(field, value)
        {
            warnings.push(warning(
                "placeholder_kept",
                format!(
                    "The merged profile keeps the {} {value:?}, a placeholder or invalid value: no member has a better one.",
                    label(field)
                ),
            ));
        }
    }
    if input.min_probability < input.threshold + input.settings.weak_link_margin {
        warnings.push(warning(
            "weak_link",
            format!(
                "The weakest link in this cluster has match probability {:.3}, within {} of the threshold {}: check that these are one person.",
                input.min_probability, input.settings.weak_link_margin, input.threshold
            ),
        ));
    }
    if input.members.len() > input.settings.large_cluster_members {
        warnings.push(warning(
            "large_cluster",
            format!(
                "{} profiles in one cluster (more than {}): large clusters are more often chained family members or shared contacts.",
                input.members.len(),
                input.settings.large_cluster_members
            ),
        ));
    }
    if !input.exact_order {
        warnings.push(warning(
            "heuristic_order",
            format!(
                "{} members is more than exact_search_max_members = {}: the merge order was chosen by the heuristic and may not be the best possible.",
                input.members.len(),
                input.settings.exact_search_max_members
            ),
        ));
    }
    hidden_characters(input, &mut warnings);
    warnings
}

/// Values holding control characters or bidirectional-text controls: a
/// right-to-left override shows `Иванова` reversed or makes one id look
/// like another, in this report, in a spreadsheet and on a terminal, so
/// the reviewer must know the value is not what it shows.
fn hidden_characters(input: &WarningInput, warnings: &mut Vec<Warning>) {
    for member in input.members {
        let values = Field::ALL
            .into_iter()
            .filter_map(|field| member.get(field).map(|value| (field.name(), value)))
            .chain(
                member
                    .extra
                    .iter()
                    .map(|(column, value)| (column.as_str(), value.as_str())),
            );
        for (field, value) in values {
            let found: BTreeSet<char> = value
                .chars()
                .filter(|c| is_unsafe_for_display(*c))
                .collect();
            if found.is_empty() {
                continue;
            }
            let codes = found
                .iter()
                .map(|c| format!("U+{:04X}", *c as u32))
                .collect::<Vec<_>>()
                .join(", ");
            warnings.push(warning(
                "hidden_characters",
                format!(
                    "Profile {} has invisible control characters ({codes}) in its {}, shown here as {}: the value may display reversed, hidden or as another value; check it in the export before approving.",
                    escape_for_terminal(&member.user_id),
                    column_label(field),
                    escape_for_terminal(value)
                ),
            ));
        }
    }
}

fn conflicts(input: &WarningInput, warnings: &mut Vec<Warning>) {
    let real_dates: BTreeSet<&str> = input
        .members
        .iter()
        .filter_map(|m| m.birth_date.as_deref())
        .filter(|d| birth_date_is_valid(d) && !birth_date_is_placeholder(d))
        .collect();
    if real_dates.len() > 1 {
        warnings.push(warning(
            "conflicting_birth_date",
            format!(
                "Members give {} different birth dates ({}): relatives (twins, parent and child) can look like one person. The merged profile keeps {}.",
                real_dates.len(),
                real_dates.iter().copied().collect::<Vec<_>>().join(", "),
                shown(input.result.birth_date.as_deref())
            ),
        ));
    }
    let sexes: BTreeSet<&str> = input
        .members
        .iter()
        .filter_map(|m| m.sex.as_deref())
        .filter(|s| matches!(*s, "1" | "2"))
        .collect();
    if sexes.len() > 1 {
        warnings.push(warning(
            "conflicting_sex",
            format!(
                "Members are recorded as both male and female: spouses or relatives often share a phone or surname. The merged profile keeps sex {}.",
                shown(input.result.sex.as_deref())
            ),
        ));
    }
}

fn losses(input: &WarningInput, warnings: &mut Vec<Warning>) {
    let identifier_codes = [
        (Field::Phone, "lost_phone"),
        (Field::Email, "lost_email"),
        (Field::OriginUserId, "lost_origin_user_id"),
    ];
    for (field, code) in identifier_codes {
        let lost: Vec<&LostValue> = input
            .lost
            .iter()
            .filter(|l| l.field == field.name())
            .collect();
        if lost.is_empty() {
            continue;
        }
        let values: Vec<String> = lost
            .iter()
            .map(|l| format!("{:?} (of {})", l.value, l.user_id))
            .collect();
        warnings.push(warning(
            code,
            format!(
                "The {} {} will be dropped; the merged profile keeps {}. A customer who logs in or is found by a dropped value will no longer be found.",
                label(field),
                values.join(", "),
                shown(input.result.get(field))
            ),
        ));
    }
    // One warning for every name replaced by a different name; a spelling
    // of the same name (case, transliteration, diminutive) giving way to
    // another is in `lost` but is no warning.
    let mut overwritten: Vec<String> = Vec::new();
    for field in [Field::FirstName, Field::MiddleName, Field::LastName] {
        let kept = input.result.get(field);
        for lost in input.lost.iter().filter(|l| l.field == field.name()) {
            if kept.is_none_or(|k| !same_name(field, k, &lost.value)) {
                overwritten.push(format!(
                    "{} {:?} (of {}) by {}",
                    label(field),
                    lost.value,
                    lost.user_id,
                    shown(kept)
                ));
            }
        }
    }
    if !overwritten.is_empty() {
        warnings.push(warning(
            "name_overwritten",
            format!(
                "A different name will be replaced: {}. Check that these are one person.",
                overwritten.join("; ")
            ),
        ));
    }
    let attributes: Vec<String> = input
        .lost
        .iter()
        .filter(|l| Field::from_name(&l.field).is_none_or(|field| !Field::PLANNED.contains(&field)))
        .map(|l| format!("{} {:?} (of {})", l.field, l.value, l.user_id))
        .collect();
    if !attributes.is_empty() {
        warnings.push(warning(
            "lost_attribute",
            format!(
                "Values dropped under the plan's assumptions: {}.",
                attributes.join(", ")
            ),
        ));
    }
}

fn unreached(input: &WarningInput, warnings: &mut Vec<Warning>) {
    let updated: Vec<&str> = input
        .steps
        .iter()
        .filter(|s| s.method == Method::Update)
        .flat_map(|s| s.params.keys())
        .filter(|k| k.as_str() != "user_id")
        .map(String::as_str)
        .collect();
    if !updated.is_empty() {
        warnings.push(warning(
            "update_step",
            format!(
                "No merge order reaches the whole golden profile: a users/update after the merges sets {}.",
                updated.join(", ")
            ),
        ));
    }
    let missed: Vec<String> = Field::PLANNED
        .into_iter()
        .filter(|field| input.result.get(*field) != input.golden.get(*field))
        .map(|field| {
            format!(
                "{} ends as {} instead of {}",
                label(field),
                shown(input.result.get(field)),
                shown(input.golden.get(field))
            )
        })
        .collect();
    if missed.is_empty() {
        return;
    }
    let hint = match input.update_error {
        Some(error) => format!(" The users/update that would set it was not planned: {error}."),
        None if !input.settings.updates => {
            " Set [planner] updates = true to add a users/update call after the merges.".to_string()
        }
        None => String::new(),
    };
    warnings.push(warning(
        "golden_unreachable",
        format!(
            "No merge order reaches the golden profile: {}.{hint}",
            missed.join("; ")
        ),
    ));
}
