#!/usr/bin/env python3
"""Reads `sailmerge eval --json` on stdin and prints the benchmark's figures.

Default: one line with pairwise precision, recall, F1 and the percentage of
predicted clusters that hold two or more people (`wrong_merge_share`); used
by scripts/bench_pipeline.sh.

--calibration: the same four, then (from `eval --pairs`) the recall at pair
precision 0.99 by ranking on the stated probability and the worst
calibration gap (observed minus stated, in the bands from 0.5 holding 200
pairs or more; `nan` when no band qualifies); used by
scripts/bench_accuracy.sh.

--calibration-table: the calibration table as markdown rows (band, pairs,
stated, observed, difference, flag).
"""

import argparse
import json
import math
import sys


def number(value, signed=False):
    if value is None:
        return "–"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--calibration", action="store_true")
    mode.add_argument("--calibration-table", action="store_true")
    args = parser.parse_args()
    try:
        report = json.load(sys.stdin)
        if args.calibration_table:
            print("| band | pairs | stated | observed | observed − stated | |")
            print("|---|---:|---:|---:|---:|---|")
            for band in report["calibration"]["bands"]:
                flag = "**off**" if band["miscalibrated"] else ""
                print(
                    f"| {band['from']:.2f}–{band['to']:.2f} | {band['pairs']:,} "
                    f"| {number(band['mean_probability'])} | {number(band['true_share'])} "
                    f"| {number(band['difference'], signed=True)} | {flag} |"
                )
            return 0
        pairwise = report["pairwise"]
        fields = [
            pairwise["precision"],
            pairwise["recall"],
            pairwise["f1"],
            100.0 * report["wrong_merge_share"],
        ]
        if args.calibration:
            calibration = report["calibration"]
            gap = calibration["worst_gap"]
            fields.append(calibration["recall_at_precision"]["recall"])
            fields.append(gap["difference"] if gap else math.nan)
    except (ValueError, KeyError, TypeError) as error:
        print(f"eval_fields: unexpected `sailmerge eval --json` output: {error!r}", file=sys.stderr)
        return 2
    print(" ".join(f"{value:.6f}" for value in fields))
    return 0


if __name__ == "__main__":
    sys.exit(main())
