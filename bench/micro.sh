#!/usr/bin/env bash
# The pipeline's plumbing per frame (Google Benchmark: queue hand-off, ordered join) against a
# frame's inference at the default zoo size (4 models, batch 4, 256x256, serial).
# Bar (issue 5): under 1%.
source "$(dirname "$0")/common.sh"
build/micro_bench --benchmark_format=json --benchmark_out=$out/micro.json --benchmark_out_format=json >/dev/null
cat $out/micro.json | awk '/"name"/{n=$2} /"items_per_second"/{gsub(/[",]/,"",n); gsub(/,/,"",$2); printf "%s: %.0f ns per item\n", n, 1e9/$2}' | tee $out/micro.txt
build/mvinfer bench --video $video --frames 80 --batch 4 "${zoo4[@]}" \
  --strategies serial --sample 4 --json $out/micro_frame.json >/dev/null 2>&1
fps=$(awk '/"name": "serial"/{f=1} f && /"fps"/{gsub(/[^0-9.e+-]/,"",$2); print $2; exit}' $out/micro_frame.json)
q=$(awk '/BM_QueueHandoff/{print $2}' $out/micro.txt); j=$(awk '/BM_OrderedJoin/{print $2}' $out/micro.txt)
# Per frame: one frame-queue hand-off, and per batch of 4 frames one model-queue hand-off and
# one join per model.
awk -v q="$q" -v j="$j" -v fps="$fps" 'BEGIN {
  per = q + 4 * (q + j) / 4; frame = 1e9 / fps
  printf "plumbing per frame %.0f ns; inference per frame %.2f ms; share %.4f%% (bar < 1%%): %s\n", per, frame / 1e6, 100 * per / frame, (per / frame < 0.01 ? "PASS" : "FAIL")
  exit !(per / frame < 0.01) }'
