#!/usr/bin/env bash
# The README's accuracy table: `sailmerge plan` with default settings on the
# shipped demo export and on fresh `sailmerge gen` exports of several sizes
# and seeds, scored by `sailmerge eval --json` against the generator's truth.
# Prints one markdown table (pairwise precision, recall, F1, the share of
# predicted clusters holding two or more people, and the targets they are
# held to) with the commit and machine it came from.
#
# Usage:
#   scripts/bench_accuracy.sh [--sets LIST] [--work DIR] [--bin PATH]
#                             [--results FILE]
#
#   --sets     comma-separated SIZExSEED items, or `demo` for
#              datasets/demo (default demo,20000x2,20000x3,20000x4,100000x5,1000000x1)
#   --work     scratch directory for exports and outputs
#              (default /root/.cache/sailmerge-bench)
#   --results  also write the table here (default
#              bench-results/accuracy-<UTC time>.md in the repository)
#   --bin      a built sailmerge binary (default: cargo build --release)
#
# The seeds differ from the demo's (20251123): the engine is tuned on some
# seeds and must hold on the others.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sets=demo,20000x2,20000x3,20000x4,100000x5,1000000x1
work=/root/.cache/sailmerge-bench
results=""
binary=""

die() { echo "bench_accuracy: error: $*" >&2; exit 2; }
note() { echo "bench_accuracy: $*" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --sets) sets=${2:?--sets takes a comma-separated list}; shift 2 ;;
    --work) work=${2:?--work takes a directory}; shift 2 ;;
    --results) results=${2:?--results takes a file}; shift 2 ;;
    --bin) binary=${2:?--bin takes a path}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[[ $sets =~ ^(demo|[0-9]+x[0-9]+)(,(demo|[0-9]+x[0-9]+))*$ ]] \
  || die "--sets must be demo or SIZExSEED items separated by commas, got $sets"
command -v python3 >/dev/null || die "python3 is missing"

if [[ -z $binary ]]; then
  note "building sailmerge (release)"
  (cd "$repo" && cargo build --release --quiet --bin sailmerge)
  binary="${CARGO_TARGET_DIR:-$repo/target}/release/sailmerge"
fi
[[ -x $binary ]] || die "no sailmerge binary at $binary"
if [[ -z $results ]]; then
  results="$repo/bench-results/accuracy-$(date -u +%Y%m%dT%H%M%SZ).md"
fi
mkdir -p "$work" "$(dirname "$results")"

commit=$(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT

IFS=, read -r -a set_list <<<"$sets"
for item in "${set_list[@]}"; do
  if [[ $item == demo ]]; then
    data="$repo/datasets/demo"
    label='`datasets/demo` (10k, seed 20251123)'
  else
    size=${item%x*}
    seed=${item#*x}
    data="$work/gen-$size-seed$seed"
    label="generated $(python3 -c "print(f'{$size:,}')"), seed $seed"
    if [[ ! -s $data/export.csv || ! -s $data/truth.csv ]]; then
      note "generating $size profiles (seed $seed)"
      rm -rf "$data"
      "$binary" --quiet gen --profiles "$size" --seed "$seed" --out "$data"
    fi
  fi
  out="$work/accuracy-out-$item"
  rm -rf "$out"
  note "planning $item"
  "$binary" --quiet --no-progress plan "$data/export.csv" --out "$out"
  json=$("$binary" eval "$out/clusters.csv" --truth "$data/truth.csv" --json)
  read -r precision recall f1 wrong <<<"$(python3 "$repo/scripts/eval_fields.py" <<<"$json")"
  printf '| %s | %.4f | %.4f | %.4f | %.2f%% |\n' "$label" "$precision" "$recall" "$f1" "$wrong" >>"$rows"
done

{
  echo "## sailmerge accuracy with default settings, $started"
  echo
  echo "sailmerge commit $commit; $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)). Targets: precision ≥ 0.98, recall ≥ 0.70, wrong clusters ≤ 1.5%."
  echo
  echo "| data | precision | recall | F1 | wrong clusters |"
  echo "|---|---:|---:|---:|---:|"
  cat "$rows"
  echo
  echo "Command: \`scripts/bench_accuracy.sh --sets $sets\`"
} | tee "$results"
note "results: $results"
