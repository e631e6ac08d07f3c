#!/usr/bin/env bash
# Measures `sailmerge apply` against a sandbox that behaves like Sailplay seen
# from afar: every request held --latency-ms, at most --rate-limit requests a
# second (429 above it). Generates an export with `sailmerge gen`, plans it,
# approves every cluster (or the first --clusters), starts the sandbox on
# that export, runs apply, then checks every approved cluster in the
# sandbox's own store: the survivor equal to the plan's `result` field for
# field, every merged-away member gone, every merge carried out exactly once,
# every other profile untouched. Prints clusters/s, requests/s (as the
# sandbox counted them), 429s, the verification result and the machine, and
# appends them as a markdown table to --results.
#
# Usage:
#   scripts/bench_apply.sh [--profiles N] [--seed N] [--clusters N]
#                          [--latency-ms MS] [--rate-limit N] [--concurrency N]
#                          [--work DIR] [--results FILE] [--bin PATH]
#                          [--apply-bin PATH]
#
#   --profiles     profiles in the generated export (default 10000: about
#                  1,000 clusters)
#   --seed         generator seed (default 1)
#   --clusters     approve only the first N clusters (default: all)
#   --latency-ms   the sandbox holds each request this long (default 60, a
#                  real API from Moscow)
#   --rate-limit   requests per second, for the sandbox and for apply
#                  (default 50, Sailplay's limit)
#   --concurrency  apply's clusters at once (default: apply's own default)
#   --work         scratch directory (default /root/.cache/sailmerge-bench-apply)
#   --results      also append the table here (default
#                  bench-results/apply-<UTC time>.md in the repository)
#   --bin          a built sailmerge binary for gen, plan, approve and the
#                  sandbox (default: cargo build --release)
#   --apply-bin    another build's binary for apply alone (an older release,
#                  to compare against the same sandbox; default --bin)
#
# Needs python3 and curl.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
profiles=10000
seed=1
clusters=""
latency=60
rate=50
concurrency=""
work=/root/.cache/sailmerge-bench-apply
results=""
binary=""
apply_binary=""

die() { echo "bench_apply: error: $*" >&2; exit 2; }
note() { echo "bench_apply: $*" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --profiles) profiles=${2:?--profiles takes a number}; shift 2 ;;
    --seed) seed=${2:?--seed takes a number}; shift 2 ;;
    --clusters) clusters=${2:?--clusters takes a number}; shift 2 ;;
    --latency-ms) latency=${2:?--latency-ms takes milliseconds}; shift 2 ;;
    --rate-limit) rate=${2:?--rate-limit takes a number}; shift 2 ;;
    --concurrency) concurrency=${2:?--concurrency takes a number}; shift 2 ;;
    --work) work=${2:?--work takes a directory}; shift 2 ;;
    --results) results=${2:?--results takes a file}; shift 2 ;;
    --bin) binary=${2:?--bin takes a path}; shift 2 ;;
    --apply-bin) apply_binary=${2:?--apply-bin takes a path}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
for number in "$profiles" "$seed" "$latency" "$rate" ${clusters:+"$clusters"} ${concurrency:+"$concurrency"}; do
  [[ $number =~ ^[0-9]+$ ]] || die "expected a whole number, got $number"
done
command -v python3 >/dev/null || die "python3 is missing"
command -v curl >/dev/null || die "curl is missing"

if [[ -z $binary ]]; then
  note "building sailmerge (release)"
  (cd "$repo" && cargo build --release --quiet --bin sailmerge)
  binary="${CARGO_TARGET_DIR:-$repo/target}/release/sailmerge"
fi
[[ -x $binary ]] || die "no sailmerge binary at $binary"
apply_binary=${apply_binary:-$binary}
[[ -x $apply_binary ]] || die "no sailmerge binary at $apply_binary"
if [[ -z $results ]]; then
  results="$repo/bench-results/apply-$(date -u +%Y%m%dT%H%M%SZ).md"
fi

run_dir="$work/run-$$"
rm -rf "$run_dir"
mkdir -p "$run_dir" "$(dirname "$results")"
sandbox_pid=""
cleanup() {
  if [[ -n $sandbox_pid ]]; then kill "$sandbox_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

note "generating $profiles profiles (seed $seed) and planning them"
"$binary" --quiet gen --profiles "$profiles" --seed "$seed" --out "$run_dir/gen"
"$binary" --quiet plan "$run_dir/gen/export.csv" --out "$run_dir/out"
if [[ -n $clusters ]]; then
  ids=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(",".join(c["cluster_id"] for c in p["clusters"][:int(sys.argv[2])]))' \
    "$run_dir/out/plan.json" "$clusters")
  "$binary" --quiet approve "$run_dir/out" --clusters "$ids" --reviewer bench
else
  "$binary" --quiet approve "$run_dir/out" --all --reviewer bench
fi

# A token of its own for this run; it is never printed.
token=$(python3 -c 'import secrets; print(secrets.token_hex(20))')
SAILPLAY_TOKEN=$token "$binary" sandbox --load "$run_dir/gen/export.csv" --listen 127.0.0.1:0 \
  --latency-ms "$latency" --rate-limit "$rate" --department-id 1 \
  >"$run_dir/sandbox.url" 2>"$run_dir/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 1 200); do
  [[ -s $run_dir/sandbox.url ]] && break
  kill -0 "$sandbox_pid" 2>/dev/null || die "the sandbox did not start: $(cat "$run_dir/sandbox.log")"
  sleep 0.05
done
url=$(head -1 "$run_dir/sandbox.url")
[[ $url == http://* ]] || die "the sandbox printed no address"

rate_flag=--rate-limit
"$apply_binary" apply --help | grep -q -- '--rate-limit' || rate_flag=--rps
apply_args=(apply "$run_dir/out" --base-url "$url" --department-id 1 "$rate_flag" "$rate" --no-progress)
[[ -n $concurrency ]] && apply_args+=(--concurrency "$concurrency")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
note "applying against $url (latency ${latency} ms, ${rate} requests/s); load average $load_before"
started=$(date +%s.%N)
set +e
SAILPLAY_TOKEN=$token "$apply_binary" "${apply_args[@]}" 2>"$run_dir/apply.log"
apply_status=$?
set -e
finished=$(date +%s.%N)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
curl -sf "$url/_sandbox/stats" >"$run_dir/stats.json"
curl -sf "$url/_sandbox/profiles" >"$run_dir/profiles.json"

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
python3 - "$run_dir" "$started" "$finished" "$apply_status" "$latency" "$rate" "$profiles" "$seed" \
  "$machine" "$load_before" "$load_after" "$results" "$apply_binary" <<'PY'
import json, sys, pathlib
(run_dir, started, finished, status, latency, rate, profiles, seed, machine,
 load_before, load_after, results, apply_binary) = sys.argv[1:]
run = pathlib.Path(run_dir)
plan = json.load(open(run / "out/plan.json"))
decisions = json.load(open(run / "out/decisions.json"))["clusters"]
stats = json.load(open(run / "stats.json"))
live = {p["user_id"]: p for p in json.load(open(run / "profiles.json"))}
exported = {}
for cluster in plan["clusters"]:
    for profile in cluster["profiles"]:
        exported[profile["user_id"]] = profile

def same(a, b):
    keys = set(a) | set(b)
    return all((a.get(k) in (None, "")) == (b.get(k) in (None, "")) and
               (a.get(k) in (None, "") or a.get(k) == b.get(k)) for k in keys)

approved = [c for c in plan["clusters"]
            if decisions.get(c["cluster_id"], {}).get("decision") == "approve"]
problems = []
merges = 0
for cluster in plan["clusters"]:
    if cluster not in approved:
        for profile in cluster["profiles"]:
            if not same(live.get(profile["user_id"], {}), profile):
                problems.append(f"{cluster['cluster_id']}: {profile['user_id']} changed although not approved")
        continue
    survivor = cluster["survivor"]
    if not same(live.get(survivor, {}), cluster["result"]):
        problems.append(f"{cluster['cluster_id']}: survivor {survivor} is not the plan's result")
    for member in cluster["members"]:
        if member == survivor:
            continue
        if member in live:
            problems.append(f"{cluster['cluster_id']}: {member} not merged away")
        count = stats["merges"].get(f"{member}->{survivor}", 0)
        if count != 1:
            problems.append(f"{cluster['cluster_id']}: merge {member}->{survivor} carried out {count} times")
    merges += len(cluster["steps"])
if stats["merges_applied"] != merges:
    problems.append(f"{stats['merges_applied']} merges carried out, {merges} planned")

wall = float(finished) - float(started)
requests = stats["requests"]
verified = "all verified" if not problems else f"{len(problems)} PROBLEMS"
row = {
    "clusters": len(approved), "merges": merges, "wall_s": round(wall, 2),
    "clusters_per_s": round(len(approved) / wall, 2),
    "requests": requests, "requests_per_s": round(requests / wall, 2),
    "requests_per_cluster": round(requests / max(len(approved), 1), 2),
    "rate_limited_429": stats["rate_limited"], "max_in_flight": stats["max_in_flight"],
    "apply_exit": int(status), "verification": verified,
}
print(json.dumps(row, indent=2))
for problem in problems[:20]:
    print("problem:", problem, file=sys.stderr)
header = ("| clusters | merges | wall s | clusters/s | requests | requests/s | requests/cluster "
          "| 429s | max in flight | apply exit | verification |")
line = ("| {clusters} | {merges} | {wall_s} | {clusters_per_s} | {requests} | {requests_per_s} "
        "| {requests_per_cluster} | {rate_limited_429} | {max_in_flight} | {apply_exit} | {verification} |").format(**row)
path = pathlib.Path(results)
new = not path.exists()
with path.open("a") as out:
    if new:
        out.write("# sailmerge apply against the sandbox\n")
    out.write(f"\n`gen --profiles {profiles} --seed {seed}`, sandbox `--latency-ms {latency} --rate-limit {rate}`, "
              f"apply binary `{apply_binary}`; {machine}; load average {load_before} before, {load_after} after.\n\n")
    out.write(header + "\n|" + "---|" * 11 + "\n" + line + "\n")
print(f"bench_apply: appended to {path}", file=sys.stderr)
sys.exit(0 if not problems and int(status) == 0 else 1)
PY
