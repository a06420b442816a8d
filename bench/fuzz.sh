#!/usr/bin/env bash
# Fuzzes every libFuzzer target (fuzz/) for a fixed budget and prints, per target, executions,
# executions per second, the corpus reached and the findings. Any crash, hang (an input slower
# than FUZZ_TIMEOUT), leak, out-of-memory or sanitizer report fails the script; the inputs are
# kept in bench/out/fuzz/artifacts/TARGET/ (reproduce: build-fuzz/fuzz/fuzz_TARGET FILE).
# After a finding the target is restarted on the corpus it reached, until its budget is spent.
#   FUZZ_SECONDS  per target (default 300)       FUZZ_TARGETS  which (default: all six)
#   FUZZ_TIMEOUT  per input, s (default 30)      FUZZ_RSS_MB   memory limit (default 4096)
#   FUZZ_SKIP_INSPECT=1 / FUZZ_SKIP_ORT=1  only ONNX Runtime's / only libonnx's half of onnx_model
#   KEEP_CORPUS=1 start from the corpus a previous run reached (bench/out/fuzz/corpus/TARGET)
set -euo pipefail
cd "$(dirname "$0")/.."
make --no-print-directory fuzz-build >/dev/null
bin=build-fuzz/fuzz
out=bench/out/fuzz
seconds=${FUZZ_SECONDS:-300}
timeout=${FUZZ_TIMEOUT:-30}
rss=${FUZZ_RSS_MB:-4096}
targets=(${FUZZ_TARGETS:-config model_arg decoder image video onnx_model})
export MVINFER_FUZZ_SKIP_INSPECT=${FUZZ_SKIP_INSPECT:-0} MVINFER_FUZZ_SKIP_ORT=${FUZZ_SKIP_ORT:-0}

mkdir -p "$out/logs"
# Seeds of this run's own, so that runs for different FUZZ_TARGETS can go side by side.
seeds=$out/seeds.$$
trap 'rm -rf "$seeds"' EXIT
fuzz/seed_corpus.sh "$seeds" "$bin/make_seeds" >/dev/null
failed=0
rows=()
for t in "${targets[@]}"; do
  [ -x "$bin/fuzz_$t" ] || { echo "fuzz: no target fuzz_$t" >&2; exit 2; }
  [ "${KEEP_CORPUS:-0}" = 1 ] || rm -rf "$out/corpus/$t"
  rm -rf "$out/artifacts/$t" "$out/logs/$t".*
  mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
  left=$seconds execs=0 findings=0 run=0
  while [ "$left" -gt 0 ] && [ "$run" -lt 20 ]; do
    run=$((run + 1))
    log=$out/logs/$t.$run.log
    start=$(date +%s)
    status=0
    FUZZ_CORPUS=$out/corpus/$t FUZZ_ARTIFACTS=$out/artifacts/$t \
      fuzz/run_fuzzer.sh "$bin/fuzz_$t" "$seeds/$t" -seed=$run -max_total_time="$left" \
      -timeout="$timeout" -rss_limit_mb="$rss" >"$log" 2>&1 || status=$?
    left=$((left - ($(date +%s) - start)))
    # Executions: the final stats, or after a crash the last status line (#N).
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -n "$n" ] || n=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    execs=$((execs + ${n:-0}))
    [ "$status" -eq 0 ] && break
    findings=$((findings + 1))
    failed=1
    # A library that aborts while mvinfer silences its stderr leaves no report in the log: the
    # input (the newest artifact) is run again with stderr open, its report added to the log.
    if ! grep -qE '^SUMMARY:|ERROR: |runtime error:|mvinfer fuzz finding:' "$log"; then
      art=$(ls -t "$out/artifacts/$t" | head -1)
      [ -z "$art" ] || fuzz/run_fuzzer.sh "$bin/fuzz_$t" "$out/artifacts/$t/$art" >>"$log" 2>&1 || true
    fi
    echo "fuzz: $t: FINDING (run $run, $log):" >&2
    grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|mvinfer fuzz finding:|terminate called|uncaught exception' "$log" | sed 's/^/  /' >&2 || true
    # Our frames first: where in mvinfer it happened (or the first frame when none is ours).
    grep -E '^ +#[0-9]+ ' "$log" | grep -m3 -E 'mvinfer|fuzz' | sed 's/^ */  /' >&2 ||
      grep -m3 -E '^ +#[0-9]+ ' "$log" | sed 's/^ */  /' >&2 || true
    grep -m1 -E '^SUMMARY:' "$log" | sed 's/^/  /' >&2 || true
    grep -m1 -oE '(crash|leak|timeout|oom|slow-unit)-[0-9a-f]+' "$log" |
      sed "s|^|  input: $out/artifacts/$t/|" >&2 || true
  done
  corpus=$(find "$out/corpus/$t" -type f | wc -l)
  spent=$((seconds - left))
  rows+=("$(printf '%-11s %6d s %12d execs %9.0f /s  corpus %5d  findings %d' "$t" "$spent" \
    "$execs" "$(awk -v n="$execs" -v s="$spent" 'BEGIN { print n / (s > 0 ? s : 1) }')" "$corpus" \
    "$findings")")
  echo "fuzz: ${rows[-1]}" >&2
done
echo "fuzz: per target, ${seconds} s budget each (FUZZ_SECONDS):"
printf '  %s\n' "${rows[@]}"
[ "$failed" -eq 0 ] && echo "fuzz: no findings" || echo "fuzz: FINDINGS above (inputs in $out/artifacts)"
exit "$failed"
