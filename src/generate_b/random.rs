//! Drawing helpers. Every unit of the base (a person or a group of people)
//! has its own ChaCha stream, so what a unit becomes never depends on how
//! the units are spread over threads.

use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub type Rng = ChaCha8Rng;

/// Streams below this number belong to units; the planning and repair
/// passes draw from streams above it.
pub const PLANNING_STREAM: u64 = u64::MAX;
pub const REPAIR_STREAM: u64 = u64::MAX - 1;
pub const ID_STREAM: u64 = u64::MAX - 2;

/// The stream `stream` of the generator seeded with `seed`.
pub fn stream(seed: u64, stream: u64) -> Rng {
    let mut rng = Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// True with probability `p` (any `p` outside (0, 1) is clamped).
pub fn chance(rng: &mut Rng, p: f64) -> bool {
    p > 0.0 && rng.random::<f64>() < p
}

/// One of `items`, drawn in proportion to the weights.
pub fn pick<'a, T>(rng: &mut Rng, items: &'a [(T, f64)]) -> &'a T {
    let total: f64 = items.iter().map(|(_, weight)| weight).sum();
    let mut x = rng.random::<f64>() * total;
    for (item, weight) in items {
        if x < *weight {
            return item;
        }
        x -= weight;
    }
    &items[items.len() - 1].0
}

/// One of `items`, uniformly.
pub fn one_of<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A weighted table built once, for the long lists (names, surnames) where
/// a linear scan per draw would show.
pub struct Table<T> {
    items: Vec<T>,
    cumulative: Vec<f64>,
}

impl<T> Table<T> {
    pub fn new(weighted: impl IntoIterator<Item = (T, f64)>) -> Table<T> {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for (item, weight) in weighted {
            if weight > 0.0 {
                total += weight;
                items.push(item);
                cumulative.push(total);
            }
        }
        assert!(!items.is_empty(), "a table needs a positive weight");
        Table { items, cumulative }
    }

    pub fn pick(&self, rng: &mut Rng) -> &T {
        let total = self.cumulative[self.cumulative.len() - 1];
        let x = rng.random::<f64>() * total;
        let index = self.cumulative.partition_point(|&c| c <= x);
        &self.items[index.min(self.items.len() - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_draws_in_proportion_to_weights_and_skips_zero_weights() {
        let table = Table::new([("a", 1.0), ("never", 0.0), ("b", 3.0)]);
        assert_eq!(table.items, ["a", "b"]);
        let mut rng = stream(1, 0);
        let draws = 40_000;
        let b = (0..draws).filter(|_| *table.pick(&mut rng) == "b").count();
        let share = b as f64 / draws as f64;
        assert!((share - 0.75).abs() < 0.01, "{share}");
    }

    #[test]
    fn pick_and_chance_follow_their_probabilities() {
        let mut rng = stream(2, 0);
        let items = [(1, 0.2), (2, 0.8)];
        let ones = (0..20_000).filter(|_| *pick(&mut rng, &items) == 1).count();
        assert!((ones as f64 / 20_000.0 - 0.2).abs() < 0.01);
        assert!(!(0..1000).any(|_| chance(&mut rng, 0.0)));
        assert!((0..1000).all(|_| chance(&mut rng, 1.0)));
    }

    #[test]
    fn streams_of_one_seed_differ_and_repeat() {
        let first: u64 = stream(7, 3).random();
        let again: u64 = stream(7, 3).random();
        let other: u64 = stream(7, 4).random();
        assert_eq!(first, again);
        assert_ne!(first, other);
    }
}
