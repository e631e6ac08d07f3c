#!/usr/bin/env python3
"""Two runs that remember, and the review band, measured on a generated base.

Run 1 plans 95% of the rows (the 5% most recently registered held back, as
if they arrived later); every 10th cluster is rejected and the rest are
approved (`approve --all`). Run 2 plans all rows with `--previous run1`; a
fresh run plans all rows without it. Reported:

- rejected pairs linked again by run 2 (and, for contrast, by the fresh run);
- run 1's approved clusters that run 2 forms with the same members, and how
  many of those arrive approved with their original reviewer;
- pairwise precision and recall of run 2 and of the fresh run on the
  profiles outside run 1's rejected clusters;
- wall time of run 2 and of the fresh run (median of --repeats, alternated);
- the review band: recall and precision after a perfect reviewer (the
  truth) decides every candidate of the fresh run and a plan is made with
  `--previous`, and the number of decisions that took.

Usage:
  scripts/bench_runs.py --profiles 100000 --seed 5 --work /tmp/bench-runs \\
      [--binary target/release/sailmerge] [--repeats 3]

Standard library only. Prints a Markdown report and writes it to
bench-results/runs-<UTC time>.md.
"""

import argparse
import csv
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from itertools import combinations


def run(binary, *args, quiet=True):
    command = [binary, "--no-progress"] + (["--quiet"] if quiet else []) + list(args)
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stderr}")
    return elapsed, result.stderr


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def clusters_of(directory):
    """cluster_id -> member user_ids, from clusters.csv."""
    clusters = defaultdict(list)
    for row in read_csv(os.path.join(directory, "clusters.csv")):
        clusters[row["cluster_id"]].append(row["user_id"])
    return dict(clusters)


def pairs_of(clusters, universe=None):
    pairs = set()
    for members in clusters.values():
        kept = [m for m in members if universe is None or m in universe]
        for a, b in combinations(sorted(kept), 2):
            pairs.add((a, b))
    return pairs


def true_pairs(truth, universe):
    by_entity = defaultdict(list)
    for user_id, entity in truth.items():
        if user_id in universe:
            by_entity[entity].append(user_id)
    return pairs_of(by_entity)


def precision_recall(predicted, actual):
    hits = len(predicted & actual)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(actual) if actual else 1.0
    return precision, recall


def hold_back_newest(source, target, share):
    rows = read_csv(source)
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["register_date"] or "", i))
    dropped = set(order[int(len(rows) * (1 - share)):])
    with open(source, encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    with open(target, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        for index, row in enumerate(rows):
            if index not in dropped:
                writer.writerow(row)
    return len(rows) - len(dropped)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work", required=True)
    parser.add_argument("--binary", default="target/release/sailmerge")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    work = os.path.abspath(args.work)
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    lines = []

    def say(text=""):
        print(text, flush=True)
        lines.append(text)

    gen = os.path.join(work, "gen")
    run(binary, "gen", "--profiles", str(args.profiles), "--seed", str(args.seed), "--out", gen)
    full = os.path.join(gen, "export.csv")
    partial = os.path.join(work, "export95.csv")
    kept = hold_back_newest(full, partial, 0.05)
    truth = {row["user_id"]: row["entity_id"] for row in read_csv(os.path.join(gen, "truth.csv"))}

    run1 = os.path.join(work, "run1")
    run(binary, "plan", partial, "--out", run1)
    plan1 = json.load(open(os.path.join(run1, "plan.json"), encoding="utf-8"))
    ids = [c["cluster_id"] for c in plan1["clusters"]]
    rejected = [cid for position, cid in enumerate(ids) if position % 10 == 9]
    reviewer = "Анна Петрова"
    run(binary, "approve", run1, "--reject", ",".join(rejected), "--note",
        "not one person (benchmark)", "--reviewer", reviewer)
    run(binary, "approve", run1, "--all", "--reviewer", "Борис Иванов")
    decisions1 = json.load(open(os.path.join(run1, "decisions.json"), encoding="utf-8"))
    members1 = {c["cluster_id"]: c["members"] for c in plan1["clusters"]}
    approved1 = {cid: d for cid, d in decisions1["clusters"].items()
                 if d["decision"] == "approve" and cid in members1}

    times = {"run2": [], "fresh": []}
    for repeat in range(args.repeats):
        for kind in ("fresh", "run2"):
            out = os.path.join(work, f"{kind}-{repeat}")
            extra = ["--previous", run1] if kind == "run2" else []
            elapsed, _ = run(binary, "plan", full, "--out", out, *extra)
            times[kind].append(elapsed)
    run2 = os.path.join(work, "run2-0")
    fresh = os.path.join(work, "fresh-0")
    clusters2 = clusters_of(run2)
    clusters_fresh = clusters_of(fresh)
    decisions2 = json.load(open(os.path.join(run2, "decisions.json"), encoding="utf-8"))

    rejected_pairs = set()
    for cid in rejected:
        rejected_pairs |= pairs_of({cid: members1[cid]})
    relinked = len(rejected_pairs & pairs_of(clusters2))
    relinked_fresh = len(rejected_pairs & pairs_of(clusters_fresh))

    by_members2 = {tuple(sorted(m)): cid for cid, m in clusters2.items()}
    same = {cid: by_members2[tuple(sorted(members1[cid]))] for cid in approved1
            if tuple(sorted(members1[cid])) in by_members2}
    arrived = sum(
        1 for old, new in same.items()
        if decisions2["clusters"].get(new, {}).get("decision") == "approve"
        and decisions2["clusters"][new]["reviewer"] == approved1[old]["reviewer"]
        and decisions2["clusters"][new]["decided_at"] == approved1[old]["decided_at"]
    )
    run1_users = {row["user_id"] for row in read_csv(partial)}
    cluster2_of = {m: cid for cid, ms in clusters2.items() for m in ms}
    grew = sum(
        1 for cid in approved1 if cid not in same
        and any(m not in run1_users for m in clusters2.get(cluster2_of.get(members1[cid][0], ""), []))
    )

    universe = set(truth) - {m for cid in rejected for m in members1[cid]}
    actual = true_pairs(truth, universe)
    p2, r2 = precision_recall(pairs_of(clusters2, universe), actual)
    pf, rf = precision_recall(pairs_of(clusters_fresh, universe), actual)

    say(f"## Two runs, {args.profiles:,} generated profiles (seed {args.seed})")
    say()
    say(f"Run 1: {kept:,} rows (the newest 5% held back), {len(ids):,} clusters; "
        f"{len(rejected):,} rejected (every 10th), {len(approved1):,} approved. "
        f"Run 2 and the fresh run: all {len(truth):,} rows.")
    say()
    say("| measure | value |")
    say("|---|---:|")
    say(f"| rejected pairs (all pairs of rejected clusters) | {len(rejected_pairs):,} |")
    say(f"| of them linked again by run 2 (--previous) | {relinked} |")
    say(f"| of them linked by the fresh run (no ledger) | {relinked_fresh:,} |")
    say(f"| run 1 approved clusters that run 2 forms with the same members | {len(same):,} |")
    say(f"| of those, arriving approved with their reviewer and time | {arrived:,} ({100 * arrived / max(1, len(same)):.1f}%) |")
    say(f"| run 1 approved clusters changed in run 2 (a new row joined) | {grew:,} |")
    say(f"| run 1 approved clusters changed in run 2 otherwise | {len(approved1) - len(same) - grew:,} |")
    say(f"| precision outside rejected clusters: run 2 / fresh | {p2:.4f} / {pf:.4f} (diff {p2 - pf:+.4f}) |")
    say(f"| recall outside rejected clusters: run 2 / fresh | {r2:.4f} / {rf:.4f} (diff {r2 - rf:+.4f}) |")
    say(f"| wall s, median of {args.repeats}: run 2 / fresh | {statistics.median(times['run2']):.2f} / {statistics.median(times['fresh']):.2f} |")
    say(f"| wall s, every run: run 2 / fresh | {' '.join(f'{t:.2f}' for t in times['run2'])} / {' '.join(f'{t:.2f}' for t in times['fresh'])} |")
    say()

    plan_fresh = json.load(open(os.path.join(fresh, "plan.json"), encoding="utf-8"))
    candidates = plan_fresh["candidates"]
    one_person = [c["cluster_id"] for c in candidates if len({truth[m] for m in c["members"]}) == 1]
    not_one = [c["cluster_id"] for c in candidates if c["cluster_id"] not in set(one_person)]
    if one_person:
        run(binary, "approve", fresh, "--clusters", ",".join(one_person), "--reviewer", "truth")
    if not_one:
        run(binary, "approve", fresh, "--reject", ",".join(not_one), "--reviewer", "truth")
    band = os.path.join(work, "band")
    run(binary, "plan", full, "--out", band, "--previous", fresh)
    everyone = set(truth)
    actual_all = true_pairs(truth, everyone)
    pb0, rb0 = precision_recall(pairs_of(clusters_fresh), actual_all)
    pb1, rb1 = precision_recall(pairs_of(clusters_of(band)), actual_all)
    threshold = plan_fresh["diagnostics"]["threshold"]
    review = plan_fresh["settings"]["matching"]["review_threshold"]
    say(f"## Review band (p from {review} to {threshold}), {args.profiles:,} profiles")
    say()
    say("| measure | value |")
    say("|---|---:|")
    say(f"| candidate clusters = decisions a reviewer makes | {len(candidates):,} |")
    say(f"| of them one person (approved by the perfect reviewer) | {len(one_person):,} |")
    say(f"| recall without / with the band decided | {rb0:.4f} / {rb1:.4f} ({rb1 - rb0:+.4f}) |")
    say(f"| precision without / with the band decided | {pb0:.4f} / {pb1:.4f} ({pb1 - pb0:+.4f}) |")

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    results = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench-results")
    os.makedirs(results, exist_ok=True)
    path = os.path.join(results, f"runs-{stamp}.md")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"# scripts/bench_runs.py --profiles {args.profiles} --seed {args.seed} --repeats {args.repeats}\n\n")
        handle.write("\n".join(lines) + "\n")
    print(f"\nwrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
