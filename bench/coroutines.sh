#!/usr/bin/env bash
# coroutines is serial in disguise: Run() blocks, so its coroutines take turns on one thread
# and each model's Run() total there should equal serial's within noise (threads, for contrast,
# runs the sessions at once and may slow each Run() down). 4 zoo models, batch 4, 256x256,
# preloaded frames, one intra-op thread per session. Rounds alternate, the best of each counts.
# Bar: coroutines / serial per-model Run() totals within 0.90-1.10.
source "$(dirname "$0")/common.sh"
FRAMES=${FRAMES:-100}
ROUNDS=${ROUNDS:-3}
models=("${zoo4[@]}")

# "strategy model run_s" for every model of every strategy in a bench JSON report (its keys
# come in the documented order: a strategy's "name" at depth 3, its models' at depth 5).
run_totals() {
  awk '/^      "name": /{gsub(/[",]/,"",$2); s=$2}
       /^          "name": /{gsub(/[",]/,"",$2); m=$2}
       /^          "run_s": /{gsub(/[^0-9.e+-]/,"",$2); print s, m, $2}' "$1"
}

: >$out/coroutines_runs.txt
for round in $(seq 1 "$ROUNDS"); do
  build/mvinfer bench --video $video "${models[@]}" --frames "$FRAMES" --batch 4 \
    --size 256x256 --intra-threads 1 --strategies serial,coroutines,threads \
    --json $out/coroutines.json >/dev/null
  run_totals $out/coroutines.json | tee -a $out/coroutines_runs.txt |
    awk -v r="$round" '{t[$1] += $3} END {
      printf "round %d: Run() totals over all models: serial %.3f s, coroutines %.3f s, " \
             "threads %.3f s\n", r, t["serial"], t["coroutines"], t["threads"] }'
done

# Per model, the best (smallest) total of each strategy over the rounds, and the ratios.
awk '{ k = $1 SUBSEP $2; if (!(k in best) || $3 < best[k]) best[k] = $3
       if (!($2 in seen)) { seen[$2] = 1; model[++n] = $2 } }
  END {
    ok = 1
    print "\ncoroutines / serial per-model Run() totals (best of each over the rounds):"
    for (i = 1; i <= n; ++i) {
      m = model[i]; s = best["serial", m]; c = best["coroutines", m]; t = best["threads", m]
      r = c / s
      pass = (r >= 0.90 && r <= 1.10)
      if (!pass) ok = 0
      printf "  %s: coroutines %.3f s / serial %.3f s = %.3f (bar 0.90-1.10): %s;" \
             "  threads / serial = %.3f\n", m, c, s, r, (pass ? "PASS" : "FAIL"), t / s
    }
    exit !ok
  }' $out/coroutines_runs.txt
