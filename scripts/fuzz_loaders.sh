#!/usr/bin/env bash
# Fuzzes the loaders and the normalisers for DURATION (seconds, or with an
# m/h suffix) with examples/fuzz_loaders.rs, and prints the totals.
#
#   scripts/fuzz_loaders.sh 2h [OUT_DIR]
#
# The harness runs at the lowest priority under a memory limit, restarted
# with a new seed whenever it stops early: on a hang (status 3, its input
# saved), or killed by an allocation failure, when the input it was running
# is kept as OUT_DIR/crashes/abort-*. Findings, statistics and the kept
# inputs are under OUT_DIR (default target/fuzz-loaders); FUZZ_MEMORY_KB
# sets the memory limit (default 6 GiB of address space), FUZZ_PROFILE the
# cargo profile (default release).
set -euo pipefail

usage() {
    echo "usage: $0 DURATION[s|m|h] [OUT_DIR]" >&2
    exit 2
}
[[ $# -ge 1 && $# -le 2 ]] || usage
case "$1" in
    *h) seconds=$(( ${1%h} * 3600 )) ;;
    *m) seconds=$(( ${1%m} * 60 )) ;;
    *s) seconds=${1%s} ;;
    *[!0-9]* | "") usage ;;
    *) seconds=$1 ;;
esac
out=${2:-target/fuzz-loaders}
profile=${FUZZ_PROFILE:-release}
memory_kb=${FUZZ_MEMORY_KB:-6291456}

cd "$(dirname "$0")/.."
mkdir -p "$out/crashes"
cargo build --profile "$profile" --example fuzz_loaders
target_dir=${CARGO_TARGET_DIR:-target}
profile_dir=$profile
[[ $profile == dev ]] && profile_dir=debug
harness="$target_dir/$profile_dir/examples/fuzz_loaders"

deadline=$(( $(date +%s) + seconds ))
seed=$(( $(date +%s) ))
while (( $(date +%s) < deadline )); do
    left=$(( deadline - $(date +%s) ))
    status=0
    (ulimit -v "$memory_kb"; exec nice -n 19 "$harness" --out "$out" --seconds "$left" --seed "$seed") || status=$?
    if (( status != 0 && status != 3 )) && [[ -f $out/in-flight.bin ]]; then
        # Killed mid-input (an allocation failure aborts): keep that input.
        kept="$out/crashes/abort-$seed"
        cp "$out/in-flight.bin" "$kept.input"
        { echo "name: $(cat "$out/in-flight.name")"; echo "the harness died with status $status @ abort-$seed"; } > "$kept.txt"
        echo "fuzz_loaders.sh: harness died with status $status; input kept as $kept.input" >&2
    fi
    seed=$(( seed + 1 ))
done
"$harness" --out "$out" --summary
