//! Link constraints a plan is made under, by row: pairs a reviewer kept
//! apart (never linked, whatever their score) and pairs a reviewer approved
//! in the review band (linked although they score below the threshold).
//!
//! The ledger (`crate::ledger`) turns decisions keyed by user_id into these
//! rows for one export; clustering applies them when it forms and splits
//! components. A pair is stored with its smaller row first.

use rustc_hash::FxHashSet;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkConstraints {
    never: FxHashSet<(u32, u32)>,
    /// Rows in some never-merge pair, to skip the pair checks of the
    /// (nearly all) components that hold none.
    constrained: FxHashSet<u32>,
    must: FxHashSet<(u32, u32)>,
}

fn ordered(a: u32, b: u32) -> (u32, u32) {
    if a <= b { (a, b) } else { (b, a) }
}

impl LinkConstraints {
    pub fn new(
        never: impl IntoIterator<Item = (u32, u32)>,
        must: impl IntoIterator<Item = (u32, u32)>,
    ) -> LinkConstraints {
        let never: FxHashSet<(u32, u32)> = never
            .into_iter()
            .filter(|(a, b)| a != b)
            .map(|(a, b)| ordered(a, b))
            .collect();
        let constrained = never.iter().flat_map(|&(a, b)| [a, b]).collect();
        let must = must
            .into_iter()
            .filter(|(a, b)| a != b)
            .map(|(a, b)| ordered(a, b))
            .filter(|pair| !never.contains(pair))
            .collect();
        LinkConstraints {
            never,
            constrained,
            must,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.never.is_empty() && self.must.is_empty()
    }

    /// A reviewer kept these two apart.
    pub fn forbids(&self, a: u32, b: u32) -> bool {
        !self.never.is_empty() && self.never.contains(&ordered(a, b))
    }

    /// A reviewer approved linking these two.
    pub fn requires(&self, a: u32, b: u32) -> bool {
        !self.must.is_empty() && self.must.contains(&ordered(a, b))
    }

    pub fn has_required_links(&self) -> bool {
        !self.must.is_empty()
    }

    /// The kept-apart pairs among `members`.
    pub fn forbidden_within(&self, members: &[u32]) -> Vec<(u32, u32)> {
        if self.never.is_empty() {
            return Vec::new();
        }
        let constrained: Vec<u32> = members
            .iter()
            .copied()
            .filter(|row| self.constrained.contains(row))
            .collect();
        let mut found = Vec::new();
        for (position, &a) in constrained.iter().enumerate() {
            for &b in &constrained[position + 1..] {
                if self.forbids(a, b) {
                    found.push(ordered(a, b));
                }
            }
        }
        found.sort_unstable();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_match_in_either_order() {
        let constraints = LinkConstraints::new([(5, 2)], [(7, 1), (2, 5)]);
        assert!(constraints.forbids(2, 5) && constraints.forbids(5, 2));
        assert!(constraints.requires(1, 7) && constraints.requires(7, 1));
        // Kept apart wins over approved.
        assert!(!constraints.requires(2, 5));
        assert!(!constraints.forbids(1, 7));
        assert_eq!(constraints.forbidden_within(&[1, 2, 3, 5]), vec![(2, 5)]);
        assert!(constraints.forbidden_within(&[1, 2, 3]).is_empty());
        assert!(LinkConstraints::default().is_empty());
    }
}
