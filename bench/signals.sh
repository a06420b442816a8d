#!/usr/bin/env bash
# Ctrl-C and SIGTERM stop a run cleanly at any moment, under every strategy: a run over vtest.avi
# (played LOOP times, so that it outlasts the signal) with the two tiny zoo models, as it is, with
# `--live-fps 30` and with `--preload`, gets SIGINT or SIGTERM after a random delay of 0 to
# MAX_DELAY_MS (seeded: SEED), one case at a time, each under `timeout -s KILL TIMEOUT`.
#
# A case passes when mvinfer exits 130 with the summary ending "(interrupted)" (or 0 without it,
# having finished first), its --out file has only whole JSON lines with every model's batches
# 0, 1, 2, ... in order, and nothing is left: no temporary beside --out, nothing in its working
# directory or private TMPDIR, nothing new in /dev/shm, no process. A signal that lands before
# main() installed the handler kills mvinfer by the default action (exit 128 + N, no output at
# all): main() installs it within milliseconds, but loading and initialising the ~250 shared
# libraries (ONNX Runtime, OpenCV and theirs) takes 0.1-0.5 s before main() on a busy machine.
# Such a case is counted as "early", not a finding when it left nothing. The time from the
# signal to the exit is measured; above SLOW seconds it is a finding, but for `processes`, whose
# workers finish the batch they hold (reported all the same). Models that stop on different
# batches ("uneven") are counted, not a finding. Exits 1 on any finding.
#
# ROUNDS=3 (each round: every strategy x 3 variants x 2 signals) STRATEGIES=serial,... (default:
# all) LOOP=5 MAX_DELAY_MS=3000 SLOW=2 TIMEOUT=60 SEED=1 KEEP=1 (keep the cases' directories)
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
ROUNDS=${ROUNDS:-3}
LOOP=${LOOP:-5}
MAX_DELAY_MS=${MAX_DELAY_MS:-3000}
SLOW=${SLOW:-2}
TIMEOUT=${TIMEOUT:-60}
SEED=${SEED:-1}
IFS=, read -r -a strategies <<<"${STRATEGIES:-serial,threads,processes,coroutines,coroutines-async,pipeline,auto}"
variants=(plain live-fps preload)
signals=(INT TERM)
RANDOM=$SEED

work=$(mktemp -d "${TMPDIR:-/tmp}/mvinfer-signals.XXXXXX")
cleanup() {
  [ -n "${case_job:-}" ] && kill -KILL "$case_job" 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

declare -A count max_stop  # count[strategy,column], max_stop[strategy,variant]
columns=(runs interrupted exit0 early nosummary crash hang partial order files orphans other slow uneven)
findings=0

finding() {  # WHAT: prints the finding with its reproducer
  findings=$((findings + 1))
  echo "FINDING [$strategy, $variant, SIG$sig after ${delay_ms} ms] $1 (case $n)"
  echo "  run:   build/mvinfer run ${args[*]//$dir/D} & sleep $((delay_ms / 1000)).$(printf %03d $((delay_ms % 1000))); kill -$sig \$!"
  echo "  exit $rc, stop ${stop}s; stderr: $(head -c 600 "$dir/stderr" | tr '\n' '|')"
}
bump() { count[$strategy,$1]=$((${count[$strategy,$1]:-0} + 1)); }

run_case() {
  local shm_before t0 pid="" sent="" json lines bad nl ordered per_model left pids last what
  dir=$work/case-$n
  args=(--video "$video" --loop "$LOOP" --model "$PWD/$tiny/zoo0.onnx" --model "$PWD/$tiny/zoo1.onnx"
    --size 64x64 --out "$dir/out/results.jsonl" -q --strategy "$strategy")
  case $variant in
    live-fps) args+=(--live-fps 30) ;;
    preload) args+=(--preload) ;;
  esac
  delay_ms=$((((RANDOM << 15) | RANDOM) % (MAX_DELAY_MS + 1)))
  shm_before=$(shm_list)
  t0=$EPOCHREALTIME
  start_case "$dir" "$TIMEOUT" run "${args[@]}"
  # The signal goes to mvinfer itself, as Ctrl-C or `kill` would send it, DELAY after the start.
  for _ in $(seq 100); do
    pid=$(cat "$dir/pid" 2>/dev/null) || true
    [ -n "$pid" ] && break
    sleep 0.01
  done
  sleep "$(awk -v t0="$t0" -v now="$EPOCHREALTIME" -v d="$delay_ms" \
    'BEGIN { s = t0 + d / 1000 - now; printf "%.3f", (s > 0 ? s : 0) }')"
  if [ -n "$pid" ] && kill -s "$sig" "$pid" 2>/dev/null; then sent=$EPOCHREALTIME; fi
  wait_case
  stop=$(awk -v a="${sent:-$EPOCHREALTIME}" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
  bump runs
  last=$(tail -n 1 "$dir/stderr")

  if ((rc == 137 || rc == 124)) && awk -v a="$t0" -v b="$EPOCHREALTIME" -v t="$TIMEOUT" \
    'BEGIN { exit !(b - a >= t) }'; then
    what=hang
    finding "hang (killed after ${TIMEOUT}s)"
  elif ((rc == 130)) && [[ $last == *"(interrupted)" ]]; then
    what=interrupted
  elif ((rc == 0)) && [[ $last != *"(interrupted)"* ]] && [[ $last == *" frames in "* ]]; then
    what=exit0
  elif ((rc == 128 + $(kill -l "$sig"))) && [ ! -s "$dir/stderr" ] && [ ! -e "$dir/out/results.jsonl" ]; then
    what=early  # died of the signal before the handler was installed
  elif ((rc == 130 || rc == 0)); then
    what=nosummary
    finding "exit $rc without a summary saying (interrupted) exactly when interrupted"
  elif ((rc >= 128)); then
    what=crash
    finding "crash (signal $((rc - 128)))"
  else
    what=other
    finding "exit $rc"
  fi
  bump $what

  json=$(check_jsonl "$dir/out/results.jsonl")
  read -r lines bad nl ordered per_model <<<"$json"
  if ((bad > 0 || nl == 0)); then
    bump partial
    finding "partial or invalid result lines ($bad bad of $lines, ends with newline: $nl)"
  fi
  if ((ordered == 0)); then
    bump order
    finding "batches out of order or with a gap ($lines lines)"
  fi
  # Not a finding: models that run apart (threads, processes, pipeline) may stop on different
  # batches, each after finishing what it had started.
  awk -F '[,=]' '{ for (i = 2; i <= NF; i += 2) if (!($i in c)) { c[$i]; ++u } exit (u > 1) }' \
    <<<"$per_model" || bump uneven
  left="$(files_left "$dir" results.jsonl)$(shm_new "$shm_before" "$pid")"
  if [ -n "$left" ]; then
    bump files
    finding "files left: $left"
  fi
  pids=$(procs_left "$dir")
  if [ -n "$pids" ]; then
    bump orphans
    finding "processes left: $(ps -o pid=,args= -p "${pids// /,}" 2>/dev/null | head -c 300)"
    # shellcheck disable=SC2086  # one pid per word
    kill -KILL $pids 2>/dev/null || true
  fi
  if [ -n "$sent" ]; then
    awk -v s="$stop" -v m="${max_stop[$strategy,$variant]:-0}" 'BEGIN { exit !(s > m) }' &&
      max_stop[$strategy,$variant]=$stop
    if awk -v s="$stop" -v l="$SLOW" 'BEGIN { exit !(s > l) }'; then
      bump slow
      [ "$strategy" = processes ] || finding "slow stop: ${stop}s after the signal (> ${SLOW}s)"
    fi
  fi
  echo "$n $strategy $variant SIG$sig delay ${delay_ms}ms: $what (exit $rc), ${sent:+stop ${stop}s, }$lines lines ($per_model)" >>"$log"
  [ -n "${KEEP:-}" ] || rm -rf "$dir"
}

echo "signals: $ROUNDS rounds x ${#strategies[@]} strategies x ${#variants[@]} variants x ${#signals[@]}" \
  "signals, vtest.avi x $LOOP, delay 0-${MAX_DELAY_MS} ms, timeout ${TIMEOUT}s, seed $SEED"
log=$out/signals_cases.txt  # one line per case
: >"$log"
n=0
started=$SECONDS
for ((round = 1; round <= ROUNDS; ++round)); do
  for variant in "${variants[@]}"; do
    for strategy in "${strategies[@]}"; do
      for sig in "${signals[@]}"; do
        n=$((n + 1))
        run_case
      done
    done
  done
done

echo
echo "$n cases in $((SECONDS - started)) s; stop = seconds from the signal to the exit"
header=(runs "exit 130" "exit 0" early "no summ." crashes hangs partial unordered "files left"
  orphans "other exit" "slow stops" uneven "max stop" "plain" "live-fps" "preload")
printf '%-17s' strategy
printf '%11s' "${header[@]}"
echo
for strategy in "${strategies[@]}"; do
  printf '%-17s' "$strategy"
  for col in "${columns[@]}"; do printf '%11s' "${count[$strategy,$col]:-0}"; done
  worst=0
  for variant in "${variants[@]}"; do
    awk -v s="${max_stop[$strategy,$variant]:-0}" -v m="$worst" 'BEGIN { exit !(s > m) }' &&
      worst=${max_stop[$strategy,$variant]}
  done
  printf '%11s' "$worst"
  for variant in "${variants[@]}"; do printf '%11s' "${max_stop[$strategy,$variant]:--}"; done
  echo
done
echo "(slow stops: over ${SLOW}s, a finding but under processes; uneven: the models' line counts differ, not"
echo " a finding; max stop per variant in the last three columns)"
echo "every case: $log"
echo
if ((findings)); then
  echo "signals: $findings findings (above)"
  exit 1
fi
echo "signals: no finding"
