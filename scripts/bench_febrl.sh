#!/usr/bin/env bash
# sailmerge (datasets/febrl/febrl3.toml) and Splink (its own published
# Febrl3 settings) on Febrl3, scored by `sailmerge eval` against
# datasets/febrl/febrl3_truth.csv; prints one markdown table with wall time
# and peak RSS (GNU time) and the machine it ran on.
#
# Usage: scripts/bench_febrl.sh [--no-splink] [--work DIR] [--bin PATH]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
run_splink=1
work=/root/.cache/sailmerge-bench/febrl3
binary=""

die() { echo "bench_febrl: error: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-splink) run_splink=0; shift ;;
    --work) work=${2:?--work takes a directory}; shift 2 ;;
    --bin) binary=${2:?--bin takes a path}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[[ -x /usr/bin/time ]] || die "GNU time is missing: apt-get install time"
if [[ -z $binary ]]; then
  (cd "$repo" && cargo build --release --quiet --bin sailmerge)
  binary="${CARGO_TARGET_DIR:-$repo/target}/release/sailmerge"
fi
[[ -x $binary ]] || die "no sailmerge binary at $binary"

febrl="$repo/datasets/febrl/febrl3.csv"
truth="$repo/datasets/febrl/febrl3_truth.csv"
mkdir -p "$work"

row() {
  local tool=$1 out=$2; shift 2
  local timing
  timing=$(mktemp)
  rm -rf "$out"
  /usr/bin/time -f '%e %M' -o "$timing" "$@" >"$out.log" 2>&1 || { tail -20 "$out.log" >&2; die "$tool failed"; }
  read -r wall rss <"$timing"
  rm -f "$timing"
  read -r precision recall f1 wrong < <("$binary" eval "$out/clusters.csv" --truth "$truth" --json | python3 "$repo/scripts/eval_fields.py")
  printf '| %s | %.1f | %d | %.4f | %.4f | %.4f | %.2f |\n' "$tool" "$wall" "$((rss / 1024))" "$precision" "$recall" "$f1" "$wrong"
}

echo "## Febrl3 (5000 records, 6538 true pairs), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), load average $(cut -d' ' -f1-3 /proc/loadavg); sailmerge commit $(cd "$repo" && git rev-parse --short HEAD)."
echo
echo "| tool | wall s | peak RSS MiB | precision | recall | F1 | wrong clusters % |"
echo "|---|---:|---:|---:|---:|---:|---:|"
row "sailmerge (febrl3.toml)" "$work/sailmerge" \
  "$binary" --quiet --no-progress plan "$febrl" --config "$repo/datasets/febrl/febrl3.toml" --out "$work/sailmerge"
if [[ $run_splink == 1 ]]; then
  row "Splink (its Febrl3 example)" "$work/splink" \
    python3 "$repo/scripts/splink_baseline.py" "$febrl" "$work/splink"
fi
echo
echo "Command: \`scripts/bench_febrl.sh$([[ $run_splink == 0 ]] && echo ' --no-splink')\`"
