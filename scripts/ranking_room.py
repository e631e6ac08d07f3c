#!/usr/bin/env python3
"""How much of the ranking's room the model uses.

Reads the candidate pairs of `plan --pairs FILE` (their probability and
the comparison level of every field) and the generator's truth.csv, and
prints two recalls at pair precision 0.99, each pair counted on its own:

- ranking by the stated probability (what the model does), and
- ranking by the true share of each agreement pattern (the combination
  of comparison levels), measured in-sample on the truth: an upper bound
  on what any weighting of these same levels can reach, since no
  unsupervised model sees the truth.

A model close to the bound ranks its evidence well, and more recall needs
new evidence (levels, blocking) rather than other weights.

Usage:
  sailmerge plan EXPORT --out DIR --pairs DIR/pairs.csv
  scripts/ranking_room.py DIR/pairs.csv TRUTH.csv

Needs pandas and numpy.
"""

import sys

import numpy as np
import pandas as pd

NOT_LEVELS = ("left", "right", "rules", "weight", "probability", "true")


def recall_at_precision(pairs, order_key, total_true, precision=0.99):
    ranked = pairs.sort_values(order_key, ascending=False)
    true_so_far = ranked.true.cumsum().values
    taken = np.arange(1, len(ranked) + 1)
    precise = true_so_far / taken >= precision
    if not precise.any():
        return 0.0
    return true_so_far[precise].max() / total_true


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    pairs = pd.read_csv(sys.argv[1], dtype={"left": str, "right": str})
    entity = pd.read_csv(sys.argv[2], dtype=str).set_index("user_id")["entity_id"]
    pairs["true"] = pairs.left.map(entity).values == pairs.right.map(entity).values
    sizes = entity.value_counts()
    total_true = int((sizes * (sizes - 1) // 2).sum())
    levels = [column for column in pairs.columns if column not in NOT_LEVELS]
    share = pairs.groupby(levels, sort=False).true.transform("mean")
    # The probability breaks ties within a pattern (term frequencies).
    pairs["bound"] = share + 1e-9 * pairs.probability
    print(f"candidate pairs {len(pairs)}, true among them {int(pairs.true.sum())}, "
          f"true pairs in the base {total_true}")
    print(f"recall at precision 0.99, ranked by the stated probability: "
          f"{recall_at_precision(pairs, 'probability', total_true):.4f}")
    print(f"recall at precision 0.99, ranked by each pattern's true share (in-sample bound): "
          f"{recall_at_precision(pairs, 'bound', total_true):.4f}")


if __name__ == "__main__":
    main()
