#!/usr/bin/env python3
"""Ground truth for a Febrl data set, as `user_id,entity_id` for `sailmerge eval`.

Febrl encodes the truth in `rec_id`: `rec-<N>-org` is an original and
`rec-<N>-dup-<k>` its k-th duplicate; every record with the same `<N>` is the
same person. The truth file lists every record (singletons included) so that
`eval` can count the profiles no cluster should hold.

Usage:
    python3 scripts/febrl_truth.py datasets/febrl/febrl3.csv > datasets/febrl/febrl3_truth.csv
    python3 scripts/febrl_truth.py datasets/febrl/febrl3.csv --out datasets/febrl/febrl3_truth.csv

Standard library only, so that it runs without the benchmark venv.
"""

import argparse
import csv
import os
import re
import sys
import tempfile

REC_ID = re.compile(r"^rec-(\d+)-(org|dup-\d+)$")


def entity_of(rec_id: str) -> str:
    """`rec-123-dup-0` -> `rec-123`; raises ValueError on anything else."""
    match = REC_ID.match(rec_id)
    if match is None:
        raise ValueError(f"rec_id {rec_id!r} is not rec-<N>-org or rec-<N>-dup-<k>")
    return f"rec-{match.group(1)}"


def truth_rows(path: str):
    """Yields (user_id, entity_id) in file order; errors name the line."""
    with open(path, newline="", encoding="utf-8") as handle:
        # Febrl's header and values carry a space after each comma.
        reader = csv.reader(handle, skipinitialspace=True)
        header = [column.strip() for column in next(reader)]
        if "rec_id" not in header:
            raise ValueError(f"{path}: line 1: no rec_id column in header {header}")
        rec_id_index = header.index("rec_id")
        seen = set()
        for row in reader:
            if not row:
                continue
            line = reader.line_num
            rec_id = row[rec_id_index].strip()
            if rec_id in seen:
                raise ValueError(f"{path}: line {line}: rec_id {rec_id!r} repeated")
            seen.add(rec_id)
            try:
                yield rec_id, entity_of(rec_id)
            except ValueError as error:
                raise ValueError(f"{path}: line {line}: {error}") from None


def write_truth(rows, output) -> int:
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(["user_id", "entity_id"])
    count = 0
    for user_id, entity_id in rows:
        writer.writerow([user_id, entity_id])
        count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("febrl_csv", help="a Febrl data set (dataset1..4, febrl3.csv)")
    parser.add_argument("--out", help="write here (atomically) instead of stdout")
    args = parser.parse_args()
    try:
        if args.out is None:
            count = write_truth(truth_rows(args.febrl_csv), sys.stdout)
        else:
            directory = os.path.dirname(os.path.abspath(args.out))
            with tempfile.NamedTemporaryFile(
                "w", dir=directory, delete=False, newline="", encoding="utf-8"
            ) as temporary:
                count = write_truth(truth_rows(args.febrl_csv), temporary)
            os.replace(temporary.name, args.out)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{count} records", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
