#!/usr/bin/env python3
"""Classifies the true pairs a plan missed, to see where recall is lost.

Reads the generator's truth.csv (and annotations.csv if given), the plan's
clusters.csv and the scored pairs written by `sailmerge plan --pairs FILE`,
and sorts every true pair that the plan did not put in one cluster into:

  unproposed   no blocking rule proposed the pair;
  below        scored below the threshold;
  cut          at or above the threshold, but the clustering guards or the
               size cap kept the two apart.

For `below` it prints the most common combinations of comparison levels,
for `unproposed` the most common generator variations (when annotations are
given), and for wrong merges the hard-negative kinds involved.

Usage:
  scripts/false_negatives.py --truth DIR/truth.csv --clusters OUT/clusters.csv \\
      --pairs OUT/pairs.csv [--annotations DIR/annotations.csv] \\
      [--threshold 0.8] [--top 25]
"""

import argparse
import collections
import csv
import itertools
import sys


def read_truth(path):
    entity_of = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            entity_of[row["user_id"]] = row["entity_id"]
    return entity_of


def read_clusters(path):
    cluster_of = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            cluster_of[row["user_id"]] = row["cluster_id"]
    return cluster_of


def read_annotations(path):
    variations, hard_negative = {}, {}
    if not path:
        return variations, hard_negative
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            variations[row["user_id"]] = [v for v in row["variations"].split("|") if v]
            hard_negative[row["user_id"]] = row.get("hard_negative", "")
    return variations, hard_negative


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", required=True)
    parser.add_argument("--clusters", required=True)
    parser.add_argument("--pairs", required=True)
    parser.add_argument("--annotations")
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()

    entity_of = read_truth(args.truth)
    cluster_of = read_clusters(args.clusters)
    variations, hard_negative = read_annotations(args.annotations)

    members = collections.defaultdict(list)
    for user_id, entity in entity_of.items():
        members[entity].append(user_id)
    true_pairs = set()
    for group in members.values():
        for a, b in itertools.combinations(sorted(group), 2):
            true_pairs.add((a, b))

    scored = {}
    with open(args.pairs, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        comparisons = header[5:]
        for row in reader:
            a, b = sorted((row[0], row[1]))
            scored[(a, b)] = (float(row[4]), row[2], row[5:])

    missed = collections.Counter()
    below_levels = collections.Counter()
    below_fields = {name: collections.Counter() for name in comparisons}
    unproposed_variations = collections.Counter()
    cut_levels = collections.Counter()
    for pair in sorted(true_pairs):
        a, b = pair
        together = a in cluster_of and cluster_of.get(a) == cluster_of.get(b)
        if together:
            missed["found"] += 1
            continue
        if pair not in scored:
            missed["unproposed"] += 1
            kinds = sorted(set(variations.get(a, [])) | set(variations.get(b, [])))
            for kind in kinds:
                unproposed_variations[kind] += 1
            continue
        probability, _rules, levels = scored[pair]
        informative = tuple(
            f"{name}={level}"
            for name, level in zip(comparisons, levels)
            if level not in ("missing", "else", "baseline", "same")
        )
        if probability >= args.threshold:
            missed["cut"] += 1
            cut_levels[informative] += 1
        else:
            missed["below"] += 1
            below_levels[informative] += 1
            for name, level in zip(comparisons, levels):
                below_fields[name][level] += 1

    total = len(true_pairs)
    print(f"true pairs {total}")
    for kind in ("found", "unproposed", "below", "cut"):
        print(f"  {kind:<11} {missed[kind]:>7}  {missed[kind] / max(total, 1):.4f}")
    print("\nbelow threshold, per comparison level:")
    for name, counts in below_fields.items():
        print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    print(f"\nbelow threshold, top {args.top} level combinations (missing/else left out):")
    for levels, count in below_levels.most_common(args.top):
        print(f"  {count:>6}  {' '.join(levels) or '(nothing agrees)'}")
    print(f"\ncut by the guards or size cap, top {args.top}:")
    for levels, count in cut_levels.most_common(args.top):
        print(f"  {count:>6}  {' '.join(levels)}")
    if variations:
        print(f"\nunproposed, generator variations on either side (top {args.top}):")
        for kind, count in unproposed_variations.most_common(args.top):
            print(f"  {count:>6}  {kind}")
        wrong = collections.Counter()
        by_cluster = collections.defaultdict(list)
        for user_id, cluster in cluster_of.items():
            by_cluster[cluster].append(user_id)
        for cluster, users in by_cluster.items():
            entities = {entity_of.get(u) for u in users}
            if len(entities) > 1:
                kinds = {hard_negative.get(u) for u in users} - {"", None}
                wrong["|".join(sorted(kinds)) or "(none)"] += 1
        print("\nwrong clusters by hard-negative kind:")
        for kind, count in wrong.most_common():
            print(f"  {count:>6}  {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
