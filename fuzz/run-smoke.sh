#!/usr/bin/env bash
# Builds every fuzz target of this cargo-fuzz project and runs each, one after another, for
# SECONDS (default 20) of libFuzzer time. Exits non-zero if any target crashes, panics, hangs
# (> 10 s on one input), runs out of memory, or allocates 64 MiB or more in one go.
#
#   fuzz/run-smoke.sh [SECONDS]
#
# Environment:
#   FUZZ_TARGETS    space-separated subset of targets (default: all of `cargo fuzz list`)
#   FUZZ_SANITIZER  address (default) or none; if the ASan runtime cannot be linked the script
#                   falls back to none and says so
#   FUZZ_ARGS       extra libFuzzer flags, appended last (e.g. "-max_len=8192")
#
# Works on a fresh machine with only stable Rust: it installs cargo-fuzz if missing, and sets
# RUSTC_BOOTSTRAP=1 because cargo-fuzz passes nightly-only flags (-Zsanitizer=...). Seeds from
# seeds/<target>/ and regression inputs from regressions/<target>/ are copied into
# corpus/<target>/ first, so every run replays them before fuzzing. Logs go to
# artifacts/smoke/<target>.log, crash inputs to artifacts/<target>/ (both git-ignored).
set -uo pipefail

SECONDS_PER_TARGET="${1:-20}"
case "$SECONDS_PER_TARGET" in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$FUZZ_DIR" || exit 2

# Our own target dir, never the main workspace's.
export CARGO_TARGET_DIR="$FUZZ_DIR/target"
# cargo-fuzz needs nightly flags; stable rustc accepts them with this.
export RUSTC_BOOTSTRAP=1

if ! command -v cargo >/dev/null 2>&1; then
  echo "run-smoke: cargo not found" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "run-smoke: installing cargo-fuzz (cargo install cargo-fuzz --locked)"
  cargo install cargo-fuzz --locked || { echo "run-smoke: cargo-fuzz install failed" >&2; exit 2; }
fi
echo "run-smoke: $(cargo fuzz --version), $(rustc --version)"

LOG_DIR="$FUZZ_DIR/artifacts/smoke"
mkdir -p "$LOG_DIR"

if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -r -a TARGETS <<<"$FUZZ_TARGETS"
else
  mapfile -t TARGETS < <(cargo fuzz list)
fi
if [ "${#TARGETS[@]}" -eq 0 ]; then
  echo "run-smoke: no fuzz targets found" >&2
  exit 2
fi

# Build all targets once; fall back to no sanitizer only when ASan itself is the problem.
SANITIZER="${FUZZ_SANITIZER:-address}"
echo "run-smoke: building ${TARGETS[*]} (sanitizer: $SANITIZER)"
if ! cargo fuzz build -s "$SANITIZER" >"$LOG_DIR/build.log" 2>&1; then
  if [ "$SANITIZER" = address ] && grep -qiE 'sanitizer|asan' "$LOG_DIR/build.log"; then
    echo "run-smoke: WARNING: AddressSanitizer build failed; falling back to -s none" \
         "(panics, hangs and OOM are still caught; memory errors in unsafe code are not)"
    SANITIZER=none
    cargo fuzz build -s none >"$LOG_DIR/build.log" 2>&1 || {
      tail -n 40 "$LOG_DIR/build.log" >&2; exit 2; }
  else
    tail -n 40 "$LOG_DIR/build.log" >&2
    exit 2
  fi
fi

# Which code is being fuzzed: the last commit touching the fuzzed crates, and a hash of their
# sources (cargo rebuilds before each run, so edits made by others during a long run would
# change it).
FUZZED=(crates/jpid-apdu crates/jpid-card crates/jpid-verify crates/jpid-server crates/jpid-image)
REPO_DIR="$FUZZ_DIR/.."
sources_fingerprint() {
  (cd "$REPO_DIR" && find "${FUZZED[@]}" -type f \( -name '*.rs' -o -name Cargo.toml \) -print0 \
    | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
}
SRC_COMMIT=$(git -C "$REPO_DIR" log -1 --format=%h -- "${FUZZED[@]}" 2>/dev/null || echo unknown)
if [ -n "$(git -C "$REPO_DIR" status --porcelain -- "${FUZZED[@]}" 2>/dev/null)" ]; then
  SRC_COMMIT="$SRC_COMMIT+uncommitted"
fi
SRC_FP=$(sources_fingerprint)
echo "run-smoke: ${FUZZED[*]} at commit $SRC_COMMIT, sources $SRC_FP"

stat_of() { # stat_of LOG NAME -> value of libFuzzer's "stat::NAME:" line
  sed -n "s/^stat::$2: *//p" "$1" | tail -n 1
}

FAILED=()
printf '\n%-14s %10s %9s %8s %8s %9s  %s\n' target execs exec/s corpus "(disk)" cpu_s result
for t in "${TARGETS[@]}"; do
  corpus="$FUZZ_DIR/corpus/$t"
  mkdir -p "$corpus" "$FUZZ_DIR/artifacts/$t"
  for src in "$FUZZ_DIR/seeds/$t" "$FUZZ_DIR/regressions/$t"; do
    if [ -d "$src" ]; then
      find "$src" -maxdepth 1 -type f ! -name '*.md' -exec cp -f {} "$corpus/" \;
    fi
  done
  artifacts_before=$(find "$FUZZ_DIR/artifacts/$t" -maxdepth 1 -type f \
    \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l)

  # cargo rebuilds at the start of each run, so this is the code the run fuzzes.
  fp_now=$(sources_fingerprint)
  if [ "$fp_now" != "$SRC_FP" ]; then
    echo "run-smoke: WARNING: fuzzed sources changed since the start ($SRC_FP -> $fp_now);" \
         "$t fuzzes the changed code"
    SRC_FP=$fp_now
  fi

  log="$LOG_DIR/$t.log"
  timing="$LOG_DIR/$t.time"
  # -jobs=1: one worker process (2-core machines shared with compiles); libFuzzer writes the
  # worker's output to fuzz-0.log in the current directory, so run from the log directory.
  TIMEFORMAT='%U %S %R'
  # shellcheck disable=SC2086
  { time (cd "$LOG_DIR" && cargo fuzz run --fuzz-dir "$FUZZ_DIR" -s "$SANITIZER" "$t" "$corpus" -- \
      -max_total_time="$SECONDS_PER_TARGET" -jobs=1 -timeout=10 \
      -rss_limit_mb=2048 -malloc_limit_mb=64 -print_final_stats=1 ${FUZZ_ARGS:-} \
      >"$log" 2>&1); } 2>"$timing"
  rc=$?

  read -r user sys _real <"$timing"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
  execs=$(stat_of "$log" number_of_executed_units)
  eps=$(stat_of "$log" average_exec_per_sec)
  corp=$(grep -oE 'DONE .* corp: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+$')
  disk=$(find "$corpus" -maxdepth 1 -type f | wc -l)
  artifacts_after=$(find "$FUZZ_DIR/artifacts/$t" -maxdepth 1 -type f \
    \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l)

  result=ok
  if [ "$rc" -ne 0 ] || [ "$artifacts_after" -gt "$artifacts_before" ] || [ -z "$execs" ]; then
    result="FAILED (exit $rc)"
    FAILED+=("$t")
  fi
  printf '%-14s %10s %9s %8s %8s %9s  %s\n' "$t" "${execs:-?}" "${eps:-?}" "${corp:-?}" \
    "$disk" "$cpu" "$result"
  if [ "$result" != ok ]; then
    echo "---- $t: end of $log" >&2
    grep -nE 'panicked at|ERROR: libFuzzer|SUMMARY|deadly signal|Test unit written|out-of-memory|malloc\(' "$log" | head -n 20 >&2
    tail -n 30 "$log" >&2
    echo "----" >&2
  fi
done

echo
echo "run-smoke: ${#TARGETS[@]} target(s), ${SECONDS_PER_TARGET}s each, sanitizer $SANITIZER;" \
     "execs = libFuzzer executions, corpus = units in memory at the end (disk = files in" \
     "corpus/<target>), cpu_s = user+sys of the whole cargo fuzz run; logs in $LOG_DIR"
if [ "${#FAILED[@]}" -gt 0 ]; then
  echo "run-smoke: FAILED: ${FAILED[*]} (crash inputs in $FUZZ_DIR/artifacts/<target>/)" >&2
  exit 1
fi
echo "run-smoke: all targets passed"
