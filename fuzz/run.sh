#!/usr/bin/env bash
# Runs each cargo-fuzz target for a fixed time and prints one summary line per target.
#
#   fuzz/run.sh SECONDS [TARGET...]     (all targets when none is named)
#
# New inputs go to fuzz/corpus/TARGET (git-ignored); fuzz/seeds/TARGET holds the
# recorded frames, bodies, configs and captures the corpus starts from. A crash stops
# that target, leaves its input under fuzz/artifacts/TARGET, and makes the script exit 1
# after the remaining targets ran. libFuzzer needs a nightly compiler; where only stable
# is installed, RUSTC_BOOTSTRAP lets it accept the sanitizer flags.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^marionette-fuzz$')
fi

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi

# Build every target first so that the timed runs fuzz rather than compile.
"${fuzz[@]}" build --fuzz-dir . || exit 1

failed=0
printf '%-16s %8s %12s %10s %8s  %s\n' target seconds execs execs/s corpus result
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  seeds=()
  [ -d "seeds/$target" ] && seeds=("seeds/$target")
  log=$(mktemp)
  "${fuzz[@]}" run --fuzz-dir . "$target" "corpus/$target" "${seeds[@]}" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1
  status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "corpus/$target" -type f | wc -l)
  if [ "$status" -eq 0 ]; then
    result=ok
  else
    result="FAILED (exit $status)"
    failed=1
    grep -E 'panicked|ERROR: AddressSanitizer|SUMMARY|Test unit written' "$log" | head -5 >&2
  fi
  printf '%-16s %8s %12s %10s %8s  %s\n' "$target" "$seconds" "${execs:-?}" "${rate:-?}" \
    "$corpus" "$result"
  rm -f "$log"
done
exit "$failed"
