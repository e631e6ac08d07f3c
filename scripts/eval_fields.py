#!/usr/bin/env python3
"""Reads `sailmerge eval --json` on stdin and prints the benchmark's four
figures on one line: pairwise precision, recall, F1, and the percentage of
predicted clusters that hold two or more people (`wrong_merge_share`).
Used by scripts/bench_pipeline.sh."""

import json
import sys


def main() -> int:
    try:
        report = json.load(sys.stdin)
        pairwise = report["pairwise"]
        fields = (
            pairwise["precision"],
            pairwise["recall"],
            pairwise["f1"],
            100.0 * report["wrong_merge_share"],
        )
    except (ValueError, KeyError, TypeError) as error:
        print(f"eval_fields: unexpected `sailmerge eval --json` output: {error!r}", file=sys.stderr)
        return 2
    print(" ".join(f"{value:.6f}" for value in fields))
    return 0


if __name__ == "__main__":
    sys.exit(main())
