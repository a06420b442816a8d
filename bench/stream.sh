#!/usr/bin/env bash
# Decoding hidden behind inference: the pipeline decoding vtest.avi inside the timed run vs the
# same frames preloaded (4 zoo models, batch 4, 256x256). Bar (issue 5): ratio <= 1.05.
source "$(dirname "$0")/common.sh"
FRAMES=${FRAMES:-300}
models=("${zoo4[@]}")
wall() { awk '/"name": "pipeline"/{f=1} f && /"wall_s"/{gsub(/[^0-9.e+-]/,"",$2); print $2; exit}' "$1"; }
for round in 1 2; do
  build/mvinfer bench --video $video --frames "$FRAMES" "${models[@]}" --strategies pipeline \
    --json $out/stream_pre.json >/dev/null 2>&1
  build/mvinfer bench --video $video --frames "$FRAMES" "${models[@]}" --strategies pipeline \
    --stream --json $out/stream_dec.json >/dev/null 2>&1
  pre=$(wall $out/stream_pre.json); dec=$(wall $out/stream_dec.json)
  echo "round $round: pipeline preloaded $pre s, decoding inside the run $dec s"
  best_pre=$(awk -v a="${best_pre:-1e9}" -v b="$pre" 'BEGIN{print (b<a?b:a)}')
  best_dec=$(awk -v a="${best_dec:-1e9}" -v b="$dec" 'BEGIN{print (b<a?b:a)}')
done
awk -v p="$best_pre" -v d="$best_dec" 'BEGIN {
  r = d / p; printf "best: preloaded %.3f s, streaming %.3f s, ratio %.3f (bar <= 1.05): %s\n", p, d, r, (r <= 1.05 ? "PASS" : "FAIL"); exit !(r <= 1.05) }'
