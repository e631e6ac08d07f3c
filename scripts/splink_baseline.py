#!/usr/bin/env python3
"""Splink baseline: deduplicate an export with Splink (DuckDB backend),
configured as Splink's own documentation advises, and write
`OUT_DIR/clusters.csv` (`user_id,cluster_id`, one row per profile in a
cluster of two or more) -- the contract `sailmerge plan` writes, so that
`sailmerge eval` scores both tools the same way.

Usage:
    scripts/splink_baseline.py EXPORT.csv OUT_DIR [--threshold 0.95]
    scripts/splink_baseline.py datasets/febrl/febrl3.csv out/splink-febrl3

Two schemas, picked from the header (or `--schema`):

* `sailplay` (a `sailmerge gen` export or any Sailplay export with the API's
  column names): NameComparison on first_name, last_name and middle_name
  (Jaro-Winkler levels, term-frequency adjustments), DamerauLevenshtein on
  phone, EmailComparison on email, DateOfBirthComparison on birth_date;
  blocking on phone, email, first+last name, birth date with first name,
  birth date with last name. The model follows the Splink "deduplicate 50k
  synthetic" example: the prior from deterministic rules, u by random
  sampling (1e7 pairs, seeded), m by EM in two blocking sessions (first+last
  name; birth date), predict, connected components at the threshold.
* `febrl`: Splink's own Febrl3 example, settings as published (blocking on
  soc_sec_id, given_name, surname, date_of_birth, postcode).

Data preparation is the light cleaning Splink's docs ask of the user and no
more: trim, empty string to NULL, lower-case names and email, digits only in
phone. No transliteration, diminutives or placeholder lists: that is the
point of the comparison.

Every column is read as a string. Stage timings go to stderr and, with the
counts, to `OUT_DIR/splink_summary.json`.

If `splink` cannot be imported, the script creates the virtual environment
`$SAILMERGE_BENCH_VENV` (default /root/.cache/sailmerge-bench-venv), installs
`scripts/requirements-bench.txt` into it, and re-runs itself there.
"""

import argparse
import json
import os
import subprocess
import sys
import time

SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))
DEFAULT_VENV = "/root/.cache/sailmerge-bench-venv"

SAILPLAY_COLUMNS = ["first_name", "middle_name", "last_name", "phone", "email", "birth_date"]
FEBRL_COLUMNS = [
    "rec_id",
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
]


def ensure_splink() -> None:
    """Re-executes this script inside the bench venv when splink is missing."""
    try:
        import splink  # noqa: F401

        return
    except ImportError:
        pass
    venv = os.environ.get("SAILMERGE_BENCH_VENV", DEFAULT_VENV)
    python = os.path.join(venv, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        sys.exit(f"error: splink is not importable inside {venv}; reinstall with "
                 f"{python} -m pip install -r {SCRIPT_DIR}/requirements-bench.txt")
    if not os.path.exists(python):
        print(f"creating the Splink venv {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    requirements = os.path.join(SCRIPT_DIR, "requirements-bench.txt")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "-r", requirements], check=True
    )
    os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])


class Stopwatch:
    """Wall time per named stage, printed as it goes."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.last = self.start
        self.stages: dict[str, float] = {}

    def lap(self, stage: str, detail: str = "") -> None:
        now = time.perf_counter()
        self.stages[stage] = round(now - self.last, 3)
        self.last = now
        suffix = f" ({detail})" if detail else ""
        print(f"splink: {stage}{suffix}: {self.stages[stage]:.1f} s", file=sys.stderr)

    def total(self) -> float:
        return round(time.perf_counter() - self.start, 3)


def run_sql(con, sql: str) -> list:
    """Runs one statement to completion (DuckDB 2 refuses new work on a
    connection while a result is unfetched)."""
    return con.execute(sql).fetchall()


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_export(con, path: str):
    """The export as a DuckDB table `raw_export`, every column VARCHAR, with
    header names trimmed and lower-cased. Returns the column names."""
    run_sql(
        con,
        f"create table raw_export as select * from read_csv({sql_string(path)}, "
        "all_varchar = true, header = true, sample_size = -1)"
    )
    columns = [row[0] for row in con.execute("describe raw_export").fetchall()]
    renames = []
    for column in columns:
        clean = column.strip().lower()
        if clean != column:
            renames.append((column, clean))
    for old, new in renames:
        run_sql(con, f"alter table raw_export rename {sql_identifier(old)} to {sql_identifier(new)}")
    return [column.strip().lower() for column in columns]


def detect_schema(columns) -> str:
    if "rec_id" in columns and "given_name" in columns:
        return "febrl"
    if "user_id" in columns:
        return "sailplay"
    sys.exit(
        "error: cannot tell the export's schema from its header "
        f"{columns}: expected user_id (Sailplay) or rec_id (Febrl); pass --schema"
    )


def cleaned(column: str, kind: str) -> str:
    """SQL for one column after the docs' light cleaning; NULL when empty."""
    value = f"nullif(trim({sql_identifier(column)}), '')"
    if kind == "lower":
        value = f"lower({value})"
    elif kind == "digits":
        value = f"nullif(regexp_replace({value}, '[^0-9]', '', 'g'), '')"
    return f"{value} as {sql_identifier(column)}"


def prepare_sailplay(con, columns) -> None:
    if "user_id" not in columns:
        sys.exit("error: the export has no user_id column")
    kinds = {
        "first_name": "lower",
        "middle_name": "lower",
        "last_name": "lower",
        "email": "lower",
        "phone": "digits",
        "birth_date": "trim",
    }
    selected = [f"trim(user_id) as user_id"]
    for column, kind in kinds.items():
        if column in columns:
            selected.append(cleaned(column, kind))
        else:
            print(f"splink: the export has no {column} column: compared as missing",
                  file=sys.stderr)
            selected.append(f"cast(null as varchar) as {column}")
    run_sql(con, f"create table export as select {', '.join(selected)} from raw_export")


def prepare_febrl(con, columns) -> None:
    missing = [column for column in FEBRL_COLUMNS if column not in columns]
    if missing:
        sys.exit(f"error: the Febrl export lacks columns {missing}")
    selected = [cleaned(column, "trim") for column in FEBRL_COLUMNS]
    run_sql(con, f"create table export as select {', '.join(selected)} from raw_export")


def sailplay_model():
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="user_id",
        blocking_rules_to_generate_predictions=[
            block_on("phone"),
            block_on("email"),
            block_on("first_name", "last_name"),
            block_on("birth_date", "first_name"),
            block_on("birth_date", "last_name"),
        ],
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("middle_name").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("phone", [1, 2]),
            cl.EmailComparison("email"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
        ],
        retain_intermediate_calculation_columns=False,
    )
    deterministic_rules = [
        block_on("phone"),
        block_on("email"),
        block_on("first_name", "last_name", "birth_date"),
    ]
    em_sessions = [block_on("first_name", "last_name"), block_on("birth_date")]
    return settings, deterministic_rules, 0.7, em_sessions


def febrl_model():
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ],
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )
    deterministic_rules = [
        block_on("soc_sec_id"),
        block_on("given_name", "surname", "date_of_birth"),
        "l.given_name = r.surname and l.surname = r.given_name "
        "and l.date_of_birth = r.date_of_birth",
    ]
    em_sessions = [block_on("date_of_birth"), block_on("postcode")]
    return settings, deterministic_rules, 0.9, em_sessions


def write_clusters(con, clusters_table: str, id_column: str, out_dir: str) -> dict:
    """clusters.csv with one row per profile in a cluster of two or more,
    sorted, written to a temporary file and renamed into place."""
    run_sql(
        con,
        f"""
        create table clusters_out as
        select {sql_identifier(id_column)} as user_id, cast(cluster_id as varchar) as cluster_id
        from {clusters_table}
        qualify count(*) over (partition by cluster_id) >= 2
        """
    )
    path = os.path.join(out_dir, "clusters.csv")
    temporary = path + ".tmp"
    run_sql(
        con,
        f"copy (select user_id, cluster_id from clusters_out order by cluster_id, user_id) "
        f"to {sql_string(temporary)} (header, delimiter ',')"
    )
    os.replace(temporary, path)
    profiles, clusters = con.execute(
        "select count(*), count(distinct cluster_id) from clusters_out"
    ).fetchall()[0]
    return {"profiles_in_clusters": profiles, "clusters": clusters}


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Deduplicate an export with Splink as its docs advise; write clusters.csv."
    )
    parser.add_argument("export", help="CSV export (any delimiter DuckDB detects)")
    parser.add_argument("out_dir", help="directory for clusters.csv and splink_summary.json")
    parser.add_argument("--threshold", type=float, default=0.95,
                        help="match probability at which pairs are clustered (default 0.95, "
                        "as in Splink's examples)")
    parser.add_argument("--schema", choices=["auto", "sailplay", "febrl"], default="auto")
    parser.add_argument("--u-max-pairs", type=float, default=1e7,
                        help="pairs sampled to estimate u (default 1e7, the docs' "
                        "'often adequate' figure)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the u sampling")
    parser.add_argument("--threads", type=int, default=None,
                        help="DuckDB threads (default: all cores)")
    args = parser.parse_args()
    if not 0.0 < args.threshold < 1.0:
        parser.error(f"--threshold must be in (0, 1), got {args.threshold}")
    if not os.path.isfile(args.export):
        parser.error(f"no such export file: {args.export}")

    ensure_splink()
    import duckdb
    import splink
    from splink import DuckDBAPI, Linker

    os.makedirs(args.out_dir, exist_ok=True)
    watch = Stopwatch()
    con = duckdb.connect()
    if args.threads:
        run_sql(con, f"set threads = {int(args.threads)}")
    columns = load_export(con, args.export)
    schema = detect_schema(columns) if args.schema == "auto" else args.schema
    if schema == "febrl":
        prepare_febrl(con, columns)
        settings, deterministic_rules, recall, em_sessions = febrl_model()
        id_column = "rec_id"
    else:
        prepare_sailplay(con, columns)
        settings, deterministic_rules, recall, em_sessions = sailplay_model()
        id_column = "user_id"
    records = con.execute("select count(*) from export").fetchall()[0][0]
    watch.lap("load", f"{records} records, {schema} schema")

    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register("export"), settings, log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match(
        deterministic_rules, recall=recall
    )
    watch.lap("prior", "from deterministic rules")
    linker.training.estimate_u_using_random_sampling(max_pairs=args.u_max_pairs, seed=args.seed)
    watch.lap("u", "random sampling")
    for session in em_sessions:
        linker.training.estimate_parameters_using_expectation_maximisation(session)
    watch.lap("m", f"EM, {len(em_sessions)} sessions")
    predictions = linker.inference.predict(threshold_match_probability=args.threshold)
    pairs = con.execute(
        f"select count(*) from {predictions.physical_name}"
    ).fetchall()[0][0]
    watch.lap("predict", f"{pairs} pairs at p >= {args.threshold}")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=args.threshold
    )
    watch.lap("cluster")
    counts = write_clusters(con, clusters.physical_name, id_column, args.out_dir)
    watch.lap("write", "clusters.csv")

    summary = {
        "tool": f"splink {splink.__version__}",
        "duckdb": duckdb.__version__,
        "export": os.path.abspath(args.export),
        "schema": schema,
        "records": records,
        "threshold": args.threshold,
        "pairs_above_threshold": pairs,
        **counts,
        "seconds": {**watch.stages, "total": watch.total()},
    }
    summary_path = os.path.join(args.out_dir, "splink_summary.json")
    with open(summary_path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=2)
        handle.write("\n")
    os.replace(summary_path + ".tmp", summary_path)
    print(
        f"splink: {records} records; {counts['clusters']} clusters "
        f"({counts['profiles_in_clusters']} profiles) in {watch.total():.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
