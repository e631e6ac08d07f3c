//! Cluster: scored pairs at or above the threshold into a petgraph union
//! graph, with guards against chaining.
//!
//! Linking is transitive, so one weak or wrong link can join two people
//! (A–B strong, B–C strong, A and C plainly different). Each connected
//! component is therefore checked before it is accepted: if two of its
//! members contradict each other (male and female, birth dates no typo can
//! explain, different first names or patronymics, Петров and Петрова) or it
//! has more than `max_cluster_size` members, it is split at its weakest
//! links: its links are replayed strongest first and a link is kept only if
//! the two groups it joins hold no contradictory pair and fit the size cap.
//! Every split is reported. A reviewer's decisions carried by the ledger
//! act here too (`LinkConstraints`): two profiles kept apart are never
//! linked, and a component that would join them is split at its weakest
//! links the same way; a pair approved in the review band links although
//! it scores below the threshold.
//!
//! A cluster's id is `C-` and its smallest member user_id (numerically
//! when both are numbers), so that an unchanged cluster keeps its id from
//! one export to the next; clusters are ordered by their smallest member
//! row. The same input and settings give the same ids.

use petgraph::unionfind::UnionFind;
use serde::{Deserialize, Serialize};

use crate::compare::{
    dates_compatible, full_names_overlap, jaro_winkler, patronymic_forms_conflict, sexes_conflict,
};
use crate::constraints::LinkConstraints;
use crate::ids::{ClusterId, PLANNED_PREFIX, UserId};
use crate::normalize::NormalizedRecord;
use crate::plan::PairEvidence;
use crate::printer::Printer;
use crate::profile::Profile;
use crate::score::comparison::{self, Field};
use crate::score::{ScoredPair, ScoredPairs, probability_of_weight, weight_of_probability};
pub use crate::settings::matching::Contradiction;
use crate::settings::matching::MatchSettings;

/// A set of profiles judged to be one person.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Stable for the same input and settings; the id in clusters.csv.
    pub cluster_id: ClusterId,
    /// Row indices into the loaded profiles, ascending; two or more.
    pub members: Vec<u32>,
    /// The scored pairs that link the members.
    pub evidence: Vec<PairEvidence>,
    /// The weakest linking pair's match probability.
    pub min_probability: f64,
}

pub struct Clustering {
    /// Ordered by `cluster_id` (that is, by smallest member row).
    pub clusters: Vec<Cluster>,
    pub stats: ClusteringStats,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusteringStats {
    pub threshold: f64,
    /// Pairs at or above the threshold: the links of the union graph.
    pub links: u64,
    /// Pairs above the threshold left unlinked by `father_son_guard`: they
    /// share only names a father and son named alike share.
    #[serde(default)]
    pub links_held_back_father_son: u64,
    /// Connected components of two or more profiles.
    pub components: u64,
    /// Components split because two members contradict each other.
    pub components_split_for_contradiction: u64,
    /// Components split only because they exceeded `max_cluster_size`.
    pub components_split_for_size: u64,
    /// Components split because they held two profiles a reviewer kept
    /// apart (a never-merge constraint of the ledger).
    #[serde(default)]
    pub components_split_for_never_merge: u64,
    /// Links between two profiles a reviewer kept apart, never made.
    #[serde(default)]
    pub links_kept_apart: u64,
    /// Links a reviewer approved in the review band, made although below
    /// the threshold.
    #[serde(default)]
    pub links_approved_below_threshold: u64,
    /// Links dropped by the splits.
    pub links_dropped: u64,
    /// Contradictions found in components, by kind (`sex`,
    /// `birth_date`, `first_name`, `patronymic`, `gendered_surname`).
    pub contradictions: Vec<ContradictionCount>,
    pub clusters: u64,
    pub profiles_in_clusters: u64,
    pub largest_cluster: u64,
    /// Cluster size → how many clusters have it.
    pub cluster_sizes: Vec<SizeCount>,
    /// The largest splits (at most 100), largest first.
    pub splits: Vec<Split>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContradictionCount {
    pub kind: String,
    pub pairs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeCount {
    pub size: u64,
    pub clusters: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Split {
    /// The component's members (user_ids, first 20).
    pub user_ids: Vec<UserId>,
    pub profiles: u64,
    /// `contradiction`, `never_merge` or `size`.
    pub reason: String,
    /// Example contradictions: `user_id / user_id: kind` (first 10).
    pub contradictions: Vec<String>,
    /// Clusters of two or more it became.
    pub clusters: u64,
    pub links_dropped: u64,
}

/// The first reason among `guards` that `a` and `b` cannot be one person,
/// if any. Only values both profiles have count; a missing value
/// contradicts nothing.
pub fn contradiction(
    a: &NormalizedRecord,
    b: &NormalizedRecord,
    guards: &[Contradiction],
) -> Option<Contradiction> {
    let guarded = |kind| guards.contains(&kind);
    // Only sexes both implied by the given names: a stated sex is wrong on
    // a few profiles in a hundred, and the sex comparison weighs that.
    if guarded(Contradiction::Sex)
        && a.sex_from_names
        && b.sex_from_names
        && sexes_conflict(a.sex, b.sex)
    {
        return Some(Contradiction::Sex);
    }
    if guarded(Contradiction::BirthDate)
        && let (Some(x), Some(y)) = (a.birth_date, b.birth_date)
        && !a.birth_date_implausible
        && !b.birth_date_implausible
        && !dates_compatible(x, y)
    {
        return Some(Contradiction::BirthDate);
    }
    if guarded(Contradiction::FirstName)
        && let (Some(x), Some(y)) = (&a.name.first, &b.name.first)
        && x != y
        && !full_names_overlap(a, b)
        && jaro_winkler(x, y) < 0.85
    {
        return Some(Contradiction::FirstName);
    }
    if guarded(Contradiction::Patronymic)
        && let (Some(x), Some(y)) = (&a.name.middle, &b.name.middle)
        && x != y
        && (patronymic_forms_conflict(x, y) || jaro_winkler(x, y) < 0.92)
    {
        return Some(Contradiction::Patronymic);
    }
    if guarded(Contradiction::GenderedSurname)
        && let (Some(x), Some(y)) = (&a.name.last, &b.name.last)
        && x != y
        && a.name.last_key.is_some()
        && a.name.last_key == b.name.last_key
    {
        return Some(Contradiction::GenderedSurname);
    }
    None
}

/// Whether the pair agrees on the names a son takes from a father of his
/// own name and nothing else identifies it: no phone, e-mail, birth date,
/// origin id, login birth year or extra column weighs for it, leaving out
/// what a family shares (numbers in sequence, logins of one habit). A
/// father and son named alike look exactly like that (`father_son_guard`):
/// one patronymic formed from the first name both bear, on both profiles
/// (Степан Степанович twice) or on one while the other names none (Степан
/// Степанович beside Степан, who may be his father; a son's patronymic
/// only, since a daughter's father bears another form of the name).
pub fn rests_on_names_a_father_and_son_share(
    records: &[NormalizedRecord],
    scored: &ScoredPairs,
    pair: &ScoredPair,
) -> bool {
    let position = |field: Field| scored.comparisons.iter().position(|c| c.field == field);
    let Some(patronymic) = position(Field::Patronymic) else {
        return false;
    };
    let named_alike = match pair.levels[patronymic] {
        comparison::patronymic::EXACT_NAMED_AFTER_FATHER => true,
        comparison::MISSING => {
            let first_names_agree = position(Field::FirstName).is_some_and(|first| {
                matches!(
                    pair.levels[first],
                    comparison::first_name::EXACT | comparison::first_name::SAME_FULL_NAME
                )
            });
            first_names_agree
                && [pair.left, pair.right]
                    .into_iter()
                    .any(|row| comparison::son_named_after_father(&records[row as usize]))
        }
        _ => false,
    };
    if !named_alike {
        return false;
    }
    !scored.comparisons.iter().enumerate().any(|(index, c)| {
        let identifying = matches!(
            c.field,
            Field::Phone
                | Field::Email
                | Field::BirthDate
                | Field::OriginUserId
                | Field::LoginBirthYear
                | Field::Extra(_)
        );
        identifying
            && !shared_within_a_family(c.field, pair.levels[index])
            && scored.field_weight(pair, index) > 0.0
    })
}

/// Agreement a father and son often show without being one person: their
/// numbers bought together (the last digit, or two digits, apart), their
/// logins of one habit (ivanov.ivan@ and ivanov.ivan03@, one login on two
/// domains, another initial).
fn shared_within_a_family(field: Field, level: u8) -> bool {
    use comparison::{email, phone};
    match field {
        Field::Phone => matches!(level, phone::LAST_DIGIT | phone::TWO_SUBSTITUTIONS),
        Field::Email => matches!(
            level,
            email::ONE_EDIT_IN_DIGITS_SAME_DOMAIN
                | email::ONE_EDIT_ON_INITIAL_SAME_DOMAIN
                | email::SAME_LOGIN_SISTER_DOMAIN
                | email::SAME_LOGIN_OTHER_DOMAIN
        ),
        _ => false,
    }
}

pub fn cluster_pairs(
    profiles: &[Profile],
    records: &[NormalizedRecord],
    scored: &ScoredPairs,
    settings: &MatchSettings,
    printer: &Printer,
) -> Clustering {
    let none = LinkConstraints::default();
    cluster_pairs_constrained(profiles, records, scored, settings, &none, printer)
}

/// `cluster_pairs` under a reviewer's constraints: a pair kept apart never
/// links (and a component holding one is split), an approved pair links
/// whatever its score.
pub fn cluster_pairs_constrained(
    profiles: &[Profile],
    records: &[NormalizedRecord],
    scored: &ScoredPairs,
    settings: &MatchSettings,
    constraints: &LinkConstraints,
    printer: &Printer,
) -> Clustering {
    let threshold_weight = weight_of_probability(settings.threshold);
    let mut held_back_father_son = 0;
    let (mut kept_apart, mut approved_below) = (0, 0);
    let mut links: Vec<&ScoredPair> = scored
        .pairs
        .iter()
        .filter(|pair| {
            if constraints.forbids(pair.left, pair.right) {
                kept_apart += u64::from(pair.weight >= threshold_weight);
                return false;
            }
            // A reviewer approved it: no threshold or guard overrides that.
            if constraints.requires(pair.left, pair.right) {
                approved_below += u64::from(pair.weight < threshold_weight);
                return true;
            }
            pair.weight >= threshold_weight
        })
        .filter(|pair| {
            let held_back = settings.father_son_guard
                && !constraints.requires(pair.left, pair.right)
                && rests_on_names_a_father_and_son_share(records, scored, pair);
            held_back_father_son += u64::from(held_back);
            !held_back
        })
        .collect();
    // Strongest first; ties by the user_ids, not the rows, so that a
    // component split replays its links in the same order whatever the
    // export's row order.
    let rank = user_id_ranks(profiles, &links);
    links.sort_by(|a, b| strongest_first(&rank, a, b));

    let mut union = UnionFind::<u32>::new(records.len());
    for link in &links {
        union.union(link.left, link.right);
    }
    // Component root → its links (strongest first) and members.
    let mut component_of_root: std::collections::HashMap<u32, usize> =
        std::collections::HashMap::new();
    let mut components: Vec<(Vec<u32>, Vec<&ScoredPair>)> = Vec::new();
    for link in &links {
        let root = union.find(link.left);
        let index = *component_of_root.entry(root).or_insert_with(|| {
            components.push((Vec::new(), Vec::new()));
            components.len() - 1
        });
        let (members, component_links) = &mut components[index];
        members.push(link.left);
        members.push(link.right);
        component_links.push(*link);
    }

    let bar = printer.bar(
        "cluster",
        components.len() as u64,
        crate::printer::Unit::Items("components"),
    );
    let mut stats = ClusteringStats {
        threshold: settings.threshold,
        links: links.len() as u64,
        links_held_back_father_son: held_back_father_son,
        links_kept_apart: kept_apart,
        links_approved_below_threshold: approved_below,
        components: components.len() as u64,
        ..ClusteringStats::default()
    };
    let mut contradiction_counts = std::collections::BTreeMap::<&'static str, u64>::new();
    let mut groups: Vec<(Vec<u32>, Vec<&ScoredPair>)> = Vec::new();
    for (mut members, component_links) in components {
        members.sort_unstable();
        members.dedup();
        let found = contradictions_within(records, &members, &settings.contradiction_guards);
        for (_, _, kind) in &found {
            *contradiction_counts.entry(kind.name()).or_default() += 1;
        }
        let kept_apart = constraints.forbidden_within(&members);
        let too_large = members.len() > settings.max_cluster_size;
        if found.is_empty() && kept_apart.is_empty() && !too_large {
            let kept = spanning_links(&members, &component_links);
            groups.push((members, kept));
        } else {
            let pieces = split_component(
                records,
                &rank,
                &members,
                &component_links,
                settings.max_cluster_size,
                &settings.contradiction_guards,
                constraints,
            );
            let kept_links: usize = pieces.iter().map(|(_, links)| links.len()).sum();
            let dropped = component_links.len() - kept_links;
            stats.links_dropped += dropped as u64;
            let reason = if !found.is_empty() {
                stats.components_split_for_contradiction += 1;
                "contradiction"
            } else if !kept_apart.is_empty() {
                stats.components_split_for_never_merge += 1;
                "never_merge"
            } else {
                stats.components_split_for_size += 1;
                "size"
            };
            let user_id = |row: u32| profiles[row as usize].user_id.clone();
            let never_merge = kept_apart
                .iter()
                .map(|(a, b)| format!("{} / {}: never_merge", user_id(*a), user_id(*b)));
            stats.splits.push(Split {
                user_ids: members.iter().take(20).map(|&row| user_id(row)).collect(),
                profiles: members.len() as u64,
                reason: reason.to_string(),
                contradictions: found
                    .iter()
                    .map(|(a, b, kind)| {
                        format!("{} / {}: {}", user_id(*a), user_id(*b), kind.name())
                    })
                    .chain(never_merge)
                    .take(10)
                    .collect(),
                clusters: pieces.len() as u64,
                links_dropped: dropped as u64,
            });
            groups.extend(pieces);
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    stats.splits.sort_by(|a, b| {
        b.profiles
            .cmp(&a.profiles)
            // Text order, not UserId's: the order plans have always listed them in.
            .then_with(|| {
                let (a, b) = (a.user_ids.iter(), b.user_ids.iter());
                a.map(UserId::as_str).cmp(b.map(UserId::as_str))
            })
    });
    stats.splits.truncate(100);
    stats.contradictions = contradiction_counts
        .into_iter()
        .map(|(kind, pairs)| ContradictionCount {
            kind: kind.to_string(),
            pairs,
        })
        .collect();

    groups.sort_by_key(|(members, _)| members[0]);
    let clusters: Vec<Cluster> = groups
        .into_iter()
        .map(|(members, kept)| {
            let min_probability = kept
                .iter()
                .map(|link| link.probability())
                .fold(1.0, f64::min);
            Cluster {
                cluster_id: stable_cluster_id(PLANNED_PREFIX, profiles, &members),
                members,
                evidence: kept
                    .iter()
                    .map(|link| scored.evidence(link, profiles))
                    .collect(),
                min_probability,
            }
        })
        .collect();

    stats.clusters = clusters.len() as u64;
    stats.profiles_in_clusters = clusters.iter().map(|c| c.members.len() as u64).sum();
    stats.largest_cluster = clusters
        .iter()
        .map(|c| c.members.len() as u64)
        .max()
        .unwrap_or(0);
    let mut sizes = std::collections::BTreeMap::<u64, u64>::new();
    for cluster in &clusters {
        *sizes.entry(cluster.members.len() as u64).or_default() += 1;
    }
    stats.cluster_sizes = sizes
        .into_iter()
        .map(|(size, clusters)| SizeCount { size, clusters })
        .collect();
    debug_assert!(
        constraints.has_required_links()
            || clusters
                .iter()
                .all(|c| c.min_probability >= probability_of_weight(threshold_weight) - 1e-12)
    );
    Clustering { clusters, stats }
}

/// `<prefix>-<smallest member user_id>`: the same members give the same id
/// in every export, whatever rows they sit on, and no two clusters share
/// one (a profile is in one cluster only).
pub fn stable_cluster_id(prefix: &str, profiles: &[Profile], members: &[u32]) -> ClusterId {
    let smallest = members
        .iter()
        .map(|&row| &profiles[row as usize].user_id)
        .min()
        .map_or("", UserId::as_str);
    ClusterId::new(prefix, smallest)
}

/// Every contradictory pair among `members` (rows ascending).
fn contradictions_within(
    records: &[NormalizedRecord],
    members: &[u32],
    guards: &[Contradiction],
) -> Vec<(u32, u32, Contradiction)> {
    let mut found = Vec::new();
    for (position, &a) in members.iter().enumerate() {
        for &b in &members[position + 1..] {
            if let Some(kind) = contradiction(&records[a as usize], &records[b as usize], guards) {
                found.push((a, b, kind));
            }
        }
    }
    found
}

/// Each linked row's place in user_id order (`u32::MAX` for rows without
/// a link): the tie-break of [`strongest_first`].
fn user_id_ranks(profiles: &[Profile], links: &[&ScoredPair]) -> Vec<u32> {
    let mut linked: Vec<u32> = links
        .iter()
        .flat_map(|link| [link.left, link.right])
        .collect();
    linked.sort_unstable();
    linked.dedup();
    linked.sort_by(|&a, &b| {
        profiles[a as usize]
            .user_id
            .cmp(&profiles[b as usize].user_id)
    });
    let mut rank = vec![u32::MAX; profiles.len()];
    for (place, &row) in linked.iter().enumerate() {
        rank[row as usize] = place as u32;
    }
    rank
}

/// Links strongest first; equal weights by their two user_ids' ranks.
fn strongest_first(rank: &[u32], a: &ScoredPair, b: &ScoredPair) -> std::cmp::Ordering {
    let key = |pair: &ScoredPair| {
        let (x, y) = (rank[pair.left as usize], rank[pair.right as usize]);
        (x.min(y), x.max(y))
    };
    b.weight
        .total_cmp(&a.weight)
        .then_with(|| key(a).cmp(&key(b)))
}

/// The links of a maximum spanning tree of an accepted component
/// (strongest first), i.e. the links that explain why its members are one.
fn spanning_links<'a>(members: &[u32], links: &[&'a ScoredPair]) -> Vec<&'a ScoredPair> {
    let position = |row: u32| {
        members
            .binary_search(&row)
            .expect("link endpoint is a member")
    };
    let mut forest = UnionFind::<usize>::new(members.len());
    links
        .iter()
        .filter(|link| forest.union(position(link.left), position(link.right)))
        .copied()
        .collect()
}

/// Replays a component's links strongest first, keeping a link only when
/// the two groups it joins hold no contradictory pair, no pair a reviewer
/// kept apart, and fit `max_size`. Returns the groups of two or more with
/// the links that formed them.
fn split_component<'a>(
    records: &[NormalizedRecord],
    rank: &[u32],
    members: &[u32],
    links: &[&'a ScoredPair],
    max_size: usize,
    guards: &[Contradiction],
    constraints: &LinkConstraints,
) -> Vec<(Vec<u32>, Vec<&'a ScoredPair>)> {
    let position = |row: u32| {
        members
            .binary_search(&row)
            .expect("link endpoint is a member")
    };
    // Each member's group index; each group's members and links.
    let mut group_of: Vec<usize> = (0..members.len()).collect();
    let mut groups: Vec<(Vec<u32>, Vec<&ScoredPair>)> =
        members.iter().map(|&row| (vec![row], Vec::new())).collect();
    for link in links {
        let (a, b) = (
            group_of[position(link.left)],
            group_of[position(link.right)],
        );
        if a == b {
            continue;
        }
        if groups[a].0.len() + groups[b].0.len() > max_size {
            continue;
        }
        let compatible = groups[a].0.iter().all(|&x| {
            groups[b].0.iter().all(|&y| {
                !constraints.forbids(x, y)
                    && contradiction(&records[x as usize], &records[y as usize], guards).is_none()
            })
        });
        if !compatible {
            continue;
        }
        let (keep, absorb) = if a < b { (a, b) } else { (b, a) };
        let (absorbed_members, absorbed_links) = std::mem::take(&mut groups[absorb]);
        for &row in &absorbed_members {
            group_of[position(row)] = keep;
        }
        groups[keep].0.extend(absorbed_members);
        groups[keep].1.extend(absorbed_links);
        groups[keep].1.push(*link);
    }
    groups
        .into_iter()
        .filter(|(group_members, _)| group_members.len() >= 2)
        .map(|(mut group_members, mut group_links)| {
            group_members.sort_unstable();
            group_links.sort_by(|x, y| strongest_first(rank, x, y));
            (group_members, group_links)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::NormalizedName;
    use crate::profile::Sex;
    use crate::score::comparison::MAX_COMPARISONS;
    use crate::score::{ScoredPairs, TERM_FREQUENCY_SLOTS};
    use chrono::NaiveDate;

    fn person(
        row: u32,
        first: &str,
        middle: &str,
        last: &str,
        born: &str,
        sex: Sex,
    ) -> NormalizedRecord {
        let last_key = last.strip_suffix('а').unwrap_or(last).to_string();
        NormalizedRecord {
            row,
            phone: None,
            email: None,
            name: NormalizedName {
                first: Some(first.into()),
                first_full: vec![first.into()],
                middle: (!middle.is_empty()).then(|| middle.into()),
                last: Some(last.into()),
                last_key: Some(last_key.into()),
                ..NormalizedName::default()
            },
            birth_date: NaiveDate::parse_from_str(born, "%Y-%m-%d").ok(),
            birth_date_placeholder: false,
            birth_date_implausible: false,
            sex_from_names: true,
            sex: Some(sex),
            origin_user_id: None,
            register_date: None,
        }
    }

    fn link(left: u32, right: u32, weight: f64) -> ScoredPair {
        ScoredPair {
            left,
            right,
            rules: 0,
            levels: [0; MAX_COMPARISONS],
            term_frequency_weights: [0.0; TERM_FREQUENCY_SLOTS],
            weight,
        }
    }

    fn profiles(count: usize) -> Vec<Profile> {
        (0..count)
            .map(|row| Profile {
                user_id: format!("u{row}").into(),
                ..Profile::default()
            })
            .collect()
    }

    fn clusters_of(
        records: &[NormalizedRecord],
        links: Vec<ScoredPair>,
        max_size: usize,
    ) -> Clustering {
        let settings = MatchSettings {
            max_cluster_size: max_size,
            ..MatchSettings::default()
        };
        clusters_with(records, links, &settings)
    }

    fn clusters_with(
        records: &[NormalizedRecord],
        links: Vec<ScoredPair>,
        settings: &MatchSettings,
    ) -> Clustering {
        let scored = ScoredPairs::of_links(links);
        cluster_pairs(
            &profiles(records.len()),
            records,
            &scored,
            settings,
            &Printer::silent(),
        )
    }

    const ALL: &[Contradiction] = &Contradiction::ALL;

    #[test]
    fn contradictions_by_kind() {
        let ivan = person(0, "иван", "сергеевич", "петров", "1980-05-05", Sex::Male);
        let same = ivan.clone();
        assert_eq!(contradiction(&ivan, &same, ALL), None);
        let wife = person(1, "иван", "сергеевич", "петрова", "1980-05-05", Sex::Female);
        assert_eq!(contradiction(&ivan, &wife, ALL), Some(Contradiction::Sex));
        // A sex only stated (no name of one sex behind it) may be a
        // cashier's slip: no contradiction; the sex comparison weighs it.
        let mut stated_only = wife.clone();
        stated_only.name.last = Some("петров".into());
        stated_only.sex_from_names = false;
        assert_eq!(contradiction(&ivan, &stated_only, ALL), None);
        let mut unknown_sex = wife.clone();
        unknown_sex.sex = None;
        assert_eq!(
            contradiction(&ivan, &unknown_sex, ALL),
            Some(Contradiction::GenderedSurname)
        );
        let father = person(2, "иван", "сергеевич", "петров", "1955-01-20", Sex::Male);
        assert_eq!(
            contradiction(&ivan, &father, ALL),
            Some(Contradiction::BirthDate)
        );
        let typo = person(3, "иван", "сергеевич", "петров", "1980-05-08", Sex::Male);
        assert_eq!(contradiction(&ivan, &typo, ALL), None);
        let twin = person(4, "пётр", "сергеевич", "петров", "1980-05-05", Sex::Male);
        assert_eq!(
            contradiction(&ivan, &twin, ALL),
            Some(Contradiction::FirstName)
        );
        let son = person(5, "иван", "иванович", "петров", "1980-05-05", Sex::Male);
        assert_eq!(
            contradiction(&ivan, &son, ALL),
            Some(Contradiction::Patronymic)
        );
        let no_date = person(6, "иван", "", "петров", "", Sex::Male);
        assert_eq!(contradiction(&father, &no_date, ALL), None);
    }

    #[test]
    fn a_chain_through_contradictory_ends_is_split_at_its_weakest_link() {
        // 0 and 2 are father and son (birth dates decades apart); 1 has no
        // birth date and links to both, more weakly to the son.
        let records = vec![
            person(0, "иван", "", "сидоров", "1955-03-03", Sex::Male),
            person(1, "иван", "", "сидоров", "", Sex::Male),
            person(2, "иван", "", "сидоров", "1985-06-06", Sex::Male),
        ];
        let clustering = clusters_of(&records, vec![link(0, 1, 12.0), link(1, 2, 8.0)], 25);
        assert_eq!(clustering.clusters.len(), 1);
        assert_eq!(clustering.clusters[0].members, vec![0, 1]);
        assert_eq!(clustering.stats.components_split_for_contradiction, 1);
        assert_eq!(clustering.stats.links_dropped, 1);
        assert_eq!(
            clustering.stats.splits[0].contradictions,
            vec!["u0 / u2: birth_date"]
        );
    }

    #[test]
    fn each_guard_can_be_switched_off_alone() {
        let ivan = person(0, "иван", "сергеевич", "петров", "1980-05-05", Sex::Male);
        let cases = [
            (
                person(1, "иван", "сергеевич", "петров", "1980-05-05", Sex::Female),
                Contradiction::Sex,
            ),
            (
                person(2, "иван", "сергеевич", "петров", "1955-01-20", Sex::Male),
                Contradiction::BirthDate,
            ),
            (
                person(3, "пётр", "сергеевич", "петров", "1980-05-05", Sex::Male),
                Contradiction::FirstName,
            ),
            (
                person(4, "иван", "иванович", "петров", "1980-05-05", Sex::Male),
                Contradiction::Patronymic,
            ),
        ];
        for (other, kind) in cases {
            assert_eq!(contradiction(&ivan, &other, &[kind]), Some(kind));
            let others: Vec<_> = ALL.iter().copied().filter(|k| *k != kind).collect();
            assert_eq!(contradiction(&ivan, &other, &others), None, "{kind:?}");
        }
        let mut wife = person(5, "иван", "сергеевич", "петрова", "1980-05-05", Sex::Female);
        wife.sex = None;
        assert_eq!(
            contradiction(&ivan, &wife, &[Contradiction::GenderedSurname]),
            Some(Contradiction::GenderedSurname)
        );
        assert_eq!(contradiction(&ivan, &wife, &[]), None);
    }

    #[test]
    fn without_guards_a_contradictory_pair_links() {
        // Twins: one surname, patronymic and birth date, two first names.
        let records = vec![
            person(0, "иван", "сергеевич", "петров", "1980-05-05", Sex::Male),
            person(1, "пётр", "сергеевич", "петров", "1980-05-05", Sex::Male),
        ];
        let scored = |guards: Vec<Contradiction>| {
            let settings = MatchSettings {
                contradiction_guards: guards,
                ..MatchSettings::default()
            };
            clusters_with(&records, vec![link(0, 1, 10.0)], &settings)
        };
        let guarded = scored(Contradiction::ALL.to_vec());
        assert!(guarded.clusters.is_empty());
        assert_eq!(guarded.stats.components_split_for_contradiction, 1);
        let unguarded = scored(Vec::new());
        assert_eq!(unguarded.clusters.len(), 1);
        assert_eq!(unguarded.stats.components_split_for_contradiction, 0);
    }

    #[test]
    fn a_component_larger_than_the_cap_is_split() {
        let records: Vec<_> = (0..5)
            .map(|row| person(row, "анна", "", "иванова", "", Sex::Female))
            .collect();
        let links = vec![
            link(0, 1, 20.0),
            link(1, 2, 19.0),
            link(2, 3, 18.0),
            link(3, 4, 17.0),
        ];
        let clustering = clusters_of(&records, links, 3);
        let members: Vec<_> = clustering
            .clusters
            .iter()
            .map(|c| c.members.clone())
            .collect();
        assert_eq!(members, vec![vec![0, 1, 2], vec![3, 4]]);
        assert_eq!(clustering.stats.components_split_for_size, 1);
    }

    #[test]
    fn pairs_below_the_threshold_do_not_link() {
        let records: Vec<_> = (0..2)
            .map(|row| person(row, "анна", "", "иванова", "", Sex::Female))
            .collect();
        // The default 0.97 needs log2(97 / 3) = 5.01 bits.
        assert!(
            clusters_of(&records, vec![link(0, 1, 4.9)], 25)
                .clusters
                .is_empty()
        );
        assert_eq!(
            clusters_of(&records, vec![link(0, 1, 5.1)], 25)
                .clusters
                .len(),
            1
        );
    }

    #[test]
    fn cluster_ids_follow_the_smallest_member_and_are_stable() {
        let records: Vec<_> = (0..6)
            .map(|row| person(row, "анна", "", "иванова", "", Sex::Female))
            .collect();
        let links = vec![link(4, 5, 9.0), link(0, 3, 10.0), link(1, 2, 30.0)];
        let first = clusters_of(&records, links.clone(), 25);
        let mut reversed = links;
        reversed.reverse();
        let second = clusters_of(&records, reversed, 25);
        assert_eq!(first.clusters, second.clusters);
        let ids: Vec<_> = first
            .clusters
            .iter()
            .map(|c| (c.cluster_id.as_str(), c.members.clone()))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("C-u0", vec![0, 3]),
                ("C-u1", vec![1, 2]),
                ("C-u4", vec![4, 5])
            ]
        );
        assert!((first.clusters[2].min_probability - probability_of_weight(9.0)).abs() < 1e-12);
    }

    #[test]
    fn ids_follow_the_smallest_user_id_numerically() {
        let mut profiles = profiles(3);
        profiles[0].user_id = "120".into();
        profiles[1].user_id = "99".into();
        profiles[2].user_id = "1000".into();
        assert_eq!(stable_cluster_id("C", &profiles, &[0, 1, 2]), "C-99");
    }

    fn constrained(
        records: &[NormalizedRecord],
        links: Vec<ScoredPair>,
        constraints: &LinkConstraints,
    ) -> Clustering {
        let scored = ScoredPairs::of_links(links);
        cluster_pairs_constrained(
            &profiles(records.len()),
            records,
            &scored,
            &MatchSettings::default(),
            constraints,
            &Printer::silent(),
        )
    }

    #[test]
    fn a_component_joining_two_profiles_kept_apart_is_split_at_its_weakest_link() {
        let records: Vec<_> = (0..4)
            .map(|row| person(row, "анна", "", "иванова", "", Sex::Female))
            .collect();
        // 0-1 and 2-3 strong, 1-2 the weakest: kept apart 0 / 3.
        let links = vec![link(0, 1, 20.0), link(1, 2, 6.0), link(2, 3, 18.0)];
        let constraints = LinkConstraints::new([(3, 0)], []);
        let clustering = constrained(&records, links.clone(), &constraints);
        let members: Vec<_> = clustering
            .clusters
            .iter()
            .map(|c| c.members.clone())
            .collect();
        assert_eq!(members, vec![vec![0, 1], vec![2, 3]]);
        assert_eq!(clustering.stats.components_split_for_never_merge, 1);
        assert_eq!(clustering.stats.splits[0].reason, "never_merge");
        assert_eq!(
            clustering.stats.splits[0].contradictions,
            vec!["u0 / u3: never_merge"]
        );
        // A direct link between the two is never made.
        let direct = constrained(&records, vec![link(0, 3, 30.0)], &constraints);
        assert!(direct.clusters.is_empty());
        assert_eq!(direct.stats.links_kept_apart, 1);
        // Without the constraint, one cluster.
        assert_eq!(
            constrained(&records, links, &LinkConstraints::default())
                .clusters
                .len(),
            1
        );
    }

    #[test]
    fn an_approved_pair_links_below_the_threshold() {
        let records: Vec<_> = (0..2)
            .map(|row| person(row, "анна", "", "иванова", "", Sex::Female))
            .collect();
        // 0.5 < p < 0.8: in the band.
        let weak = vec![link(0, 1, 1.0)];
        assert!(
            constrained(&records, weak.clone(), &LinkConstraints::default())
                .clusters
                .is_empty()
        );
        let approved = constrained(&records, weak, &LinkConstraints::new([], [(1, 0)]));
        assert_eq!(approved.clusters.len(), 1);
        assert_eq!(approved.stats.links_approved_below_threshold, 1);
        assert!((approved.clusters[0].min_probability - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn clusters_csv_has_one_row_per_member() {
        let records: Vec<_> = (0..3)
            .map(|row| person(row, "анна", "", "иванова", "", Sex::Female))
            .collect();
        let clustering = clusters_of(&records, vec![link(0, 2, 10.0)], 25);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clusters.csv");
        crate::csv_files::write_clusters_csv(&path, &profiles(3), &clustering).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "user_id,cluster_id,cluster_size,min_probability\nu0,C-u0,2,0.999024\nu2,C-u0,2,0.999024\n"
        );
    }
}
