#!/usr/bin/env bash
# Runs one libFuzzer target on a fresh copy of its seed corpus and regression
# inputs (ctest's "fuzz" tests; see CMakeLists.txt here). libFuzzer's output,
# with its final stats, is kept in WORK_DIR/fuzz.log for ops/fuzz; a crash
# input goes to WORK_DIR/artifacts/. Exits with libFuzzer's status: non-zero
# on any crash, leak, timeout or failed property.
#   run_fuzzer.sh FUZZER SEED_DIR REGRESSION_DIR WORK_DIR SECONDS [libFuzzer flags...]
set -euo pipefail
fuzzer=$1 seeds=$2 regressions=$3 work=$4 seconds=$5
shift 5

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp -R "$seeds"/. "$work/corpus/"
if [[ -d "$regressions" ]]; then cp -R "$regressions"/. "$work/corpus/"; fi

"$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
  "$@" "$work/corpus" 2>&1 | tee "$work/fuzz.log"
