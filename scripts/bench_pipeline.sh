#!/usr/bin/env bash
# Times the whole `sailmerge plan` and the Splink baseline on the same
# generated exports, in the same run, and prints one markdown table side by
# side: wall time and peak RSS (GNU time), pairwise precision, recall, F1 and
# the share of predicted clusters holding two or more people (`sailmerge eval
# --json` against the generator's truth.csv), with the machine it ran on.
#
# Usage:
#   scripts/bench_pipeline.sh [--sizes 100000,1000000,10000000] [--no-splink]
#                             [--splink-max N] [--splink-timeout S]
#                             [--reps N] [--seed N]
#                             [--work DIR] [--results FILE] [--bin PATH]
#
#   --sizes        profiles per generated export (default 100000,1000000,10000000)
#   --no-splink    time sailmerge only
#   --splink-max   largest size Splink runs on (default 1000000: at 10M Splink
#                  needs most of an hour on 2 cores; pass 10000000 to run it)
#   --splink-timeout  stop a Splink run after S seconds and report it as not
#                  finished, with its peak RSS so far (default 3600)
#   --reps         repetitions below 10M profiles for sailmerge and below 1M
#                  for Splink, median quoted (default 3); larger runs once
#   --seed         generator seed (default 1)
#   --work         scratch directory for exports and outputs
#                  (default /root/.cache/sailmerge-bench)
#   --results      also write the table here (default
#                  bench-results/pipeline-<UTC time>.md in the repository)
#   --bin          a built sailmerge binary (default: cargo build --release)
#
# Needs GNU time (/usr/bin/time) and python3; the Splink venv is created by
# scripts/splink_baseline.py on first use.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sizes=100000,1000000,10000000
run_splink=1
splink_max=1000000
splink_timeout=3600
reps=3
seed=1
work=/root/.cache/sailmerge-bench
results=""
binary=""

die() { echo "bench_pipeline: error: $*" >&2; exit 2; }
note() { echo "bench_pipeline: $*" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --sizes) sizes=${2:?--sizes takes a comma-separated list}; shift 2 ;;
    --no-splink) run_splink=0; shift ;;
    --splink-max) splink_max=${2:?--splink-max takes a number}; shift 2 ;;
    --splink-timeout) splink_timeout=${2:?--splink-timeout takes seconds}; shift 2 ;;
    --reps) reps=${2:?--reps takes a number}; shift 2 ;;
    --seed) seed=${2:?--seed takes a number}; shift 2 ;;
    --work) work=${2:?--work takes a directory}; shift 2 ;;
    --results) results=${2:?--results takes a file}; shift 2 ;;
    --bin) binary=${2:?--bin takes a path}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[[ $sizes =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--sizes must be numbers separated by commas, got $sizes"
[[ $splink_max =~ ^[0-9]+$ ]] || die "--splink-max must be a number, got $splink_max"
[[ $splink_timeout =~ ^[1-9][0-9]*$ ]] || die "--splink-timeout must be a number of seconds, got $splink_timeout"
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive number, got $reps"
[[ -x /usr/bin/time ]] || die "GNU time is missing: apt-get install time"
command -v python3 >/dev/null || die "python3 is missing"

if [[ -z $binary ]]; then
  note "building sailmerge (release)"
  (cd "$repo" && cargo build --release --quiet --bin sailmerge)
  binary="${CARGO_TARGET_DIR:-$repo/target}/release/sailmerge"
fi
[[ -x $binary ]] || die "no sailmerge binary at $binary"
if [[ -z $results ]]; then
  results="$repo/bench-results/pipeline-$(date -u +%Y%m%dT%H%M%SZ).md"
fi
mkdir -p "$work" "$(dirname "$results")"
runs_tsv="${results%.md}.runs.tsv"
printf 'size\ttool\trep\twall_s\tpeak_rss_kib\tload_before\tfinished\n' >"$runs_tsv"

# --- the machine -----------------------------------------------------------
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
ram_gib=$(awk '/^MemTotal:/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
commit=$(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
splink_version=$(cat "$repo/scripts/requirements-bench.txt" | sed -n 's/^splink==//p')

# One timed run: wall seconds and peak RSS in KiB appended to the runs file.
# With a limit (seconds) as the fifth argument, a run stopped by it is
# recorded as not finished; returns 1 then.
timed() {
  local size=$1 tool=$2 rep=$3 log=$4 limit=$5; shift 5
  local timing load status=0 finished=yes
  timing=$(mktemp)
  load=$(cut -d' ' -f1 /proc/loadavg)
  if [[ $limit -gt 0 ]]; then set -- timeout --foreground --signal=KILL "$limit" "$@"; fi
  /usr/bin/time -f '%e %M' -o "$timing" "$@" >"$log" 2>&1 || status=$?
  if [[ $status -ne 0 ]]; then
    if [[ $limit -gt 0 && $status -eq 137 ]]; then
      finished=no
    else
      tail -20 "$log" >&2
      rm -f "$timing"
      die "$tool failed on $size profiles (log: $log)"
    fi
  fi
  read -r wall rss < <(grep -E '^[0-9.]+ [0-9]+$' "$timing")
  rm -f "$timing"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$tool" "$rep" "$wall" "$rss" "$load" "$finished" >>"$runs_tsv"
  note "$tool, $size profiles, run $rep: ${wall} s, $((rss / 1024)) MiB$([[ $finished == no ]] && echo ', stopped by --splink-timeout')"
  [[ $finished == yes ]]
}

reps_for() {
  local tool=$1 size=$2
  if [[ $tool == sailmerge && $size -lt 10000000 ]] || [[ $tool == splink && $size -lt 1000000 ]]; then
    echo "$reps"
  else
    echo 1
  fi
}

# `sailmerge eval --json` → "precision recall f1 wrong_cluster_percent".
evaluate() {
  local clusters=$1 truth=$2 json
  json=$("$binary" eval "$clusters" --truth "$truth" --json)
  python3 "$repo/scripts/eval_fields.py" <<<"$json"
}

metrics_tsv=$(mktemp)
trap 'rm -f "$metrics_tsv"' EXIT

IFS=, read -r -a size_list <<<"$sizes"
for size in "${size_list[@]}"; do
  data="$work/gen-$size-seed$seed"
  if [[ ! -s $data/export.csv || ! -s $data/truth.csv ]]; then
    note "generating $size profiles (seed $seed)"
    rm -rf "$data"
    "$binary" --quiet gen --profiles "$size" --seed "$seed" --out "$data"
  fi
  export_csv="$data/export.csv"
  truth_csv="$data/truth.csv"

  tools=(sailmerge)
  if [[ $run_splink == 1 && $size -le $splink_max ]]; then tools+=(splink); fi
  for tool in "${tools[@]}"; do
    out="$work/out-$size-$tool"
    for ((rep = 1; rep <= $(reps_for "$tool" "$size"); rep++)); do
      rm -rf "$out"
      if [[ $tool == sailmerge ]]; then
        timed "$size" "$tool" "$rep" "$work/$tool-$size-$rep.log" 0 \
          "$binary" --quiet --no-progress plan "$export_csv" --out "$out"
      elif ! timed "$size" "$tool" "$rep" "$work/$tool-$size-$rep.log" "$splink_timeout" \
          python3 "$repo/scripts/splink_baseline.py" "$export_csv" "$out"; then
        break
      fi
    done
    if [[ -s $out/clusters.csv ]]; then
      printf '%s\t%s\t%s\n' "$size" "$tool" "$(evaluate "$out/clusters.csv" "$truth_csv")" >>"$metrics_tsv"
    else
      printf '%s\t%s\t-\t-\t-\t-\n' "$size" "$tool" >>"$metrics_tsv"
    fi
  done
done

# --- the table -------------------------------------------------------------
table=$(python3 - "$runs_tsv" "$metrics_tsv" <<'PY'
import csv, statistics, sys
runs, metrics = sys.argv[1], sys.argv[2]
timings = {}
with open(runs) as handle:
    for row in csv.DictReader(handle, delimiter="\t"):
        key = (int(row["size"]), row["tool"])
        timings.setdefault(key, []).append(
            (float(row["wall_s"]), int(row["peak_rss_kib"]), row["finished"] == "yes"))
print("| profiles | tool | wall s | peak RSS MiB | runs | precision | recall | F1 | wrong clusters % |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
with open(metrics) as handle:
    for line in handle:
        size, tool, precision, recall, f1, wrong = line.split()
        samples = timings[(int(size), tool)]
        if not all(s[2] for s in samples):
            stopped = samples[-1]
            print(f"| {int(size):,} | {tool} | not finished in {stopped[0]:.0f} | "
                  f"≥ {stopped[1] / 1024:,.0f} | {len(samples)} | – | – | – | – |")
            continue
        wall = statistics.median(s[0] for s in samples)
        rss = statistics.median(s[1] for s in samples) / 1024
        print(f"| {int(size):,} | {tool} | {wall:.1f} | {rss:,.0f} | {len(samples)} "
              f"| {float(precision):.4f} | {float(recall):.4f} | {float(f1):.4f} | {float(wrong):.2f} |")
PY
)

{
  echo "## sailmerge plan vs Splink $splink_version, $started"
  echo
  echo "Machine: $(nproc) cores ($cpu_model), $ram_gib GiB RAM; load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "sailmerge commit $commit, release build; exports from \`sailmerge gen --profiles N --seed $seed\`."
  echo "Wall time and peak RSS from GNU time, median of the runs; accuracy from \`sailmerge eval --json\` against the generator's truth."
  echo
  echo "$table"
  echo
  echo "Command: \`scripts/bench_pipeline.sh --sizes $sizes$([[ $run_splink == 0 ]] && echo ' --no-splink')$([[ $splink_max != 1000000 ]] && echo " --splink-max $splink_max")$([[ $splink_timeout != 3600 ]] && echo " --splink-timeout $splink_timeout") --reps $reps --seed $seed\`"
} | tee "$results"
note "results: $results (every run: $runs_tsv)"
