#!/usr/bin/env bash
# Decoding hidden behind inference: the pipeline decoding vtest.avi inside the timed run vs the
# same frames preloaded (4 zoo models, batch 4, 256x256). Bar (issue 5): the median over
# REPEAT rounds of the per-round ratio <= 1.05. The two are different `bench` runs (--stream
# is per run), so the rounds alternate them here, as `bench --repeat` interleaves strategies.
source "$(dirname "$0")/common.sh"
FRAMES=${FRAMES:-300}
models=("${zoo4[@]}")
ratios=()
for round in $(seq "$REPEAT"); do
  build/mvinfer bench --video $video --frames "$FRAMES" "${models[@]}" --strategies pipeline \
    --json $out/stream_pre.json >/dev/null 2>&1
  build/mvinfer bench --video $video --frames "$FRAMES" "${models[@]}" --strategies pipeline \
    --stream --json $out/stream_dec.json >/dev/null 2>&1
  pre=$(figure_of $out/stream_pre.json pipeline wall_s median)
  dec=$(figure_of $out/stream_dec.json pipeline wall_s median)
  ratios+=("$(awk -v p="$pre" -v d="$dec" 'BEGIN { print d / p }')")
  echo "round $round: pipeline preloaded $pre s, decoding inside the run $dec s, ratio ${ratios[-1]}"
done
awk -v r="$(median "${ratios[@]}")" -v lo="$(printf '%s\n' "${ratios[@]}" | sort -g | head -1)" \
    -v hi="$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)" -v n="$REPEAT" 'BEGIN {
  printf "streaming / preloaded over %d rounds: median %.3f (%.3f-%.3f) (bar <= 1.05): %s\n", n, r, lo, hi, (r <= 1.05 ? "PASS" : "FAIL"); exit !(r <= 1.05) }'
