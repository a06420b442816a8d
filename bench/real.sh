#!/usr/bin/env bash
# A mixed real workload under every strategy that runs graphs, and auto: PaddleOCR PP-OCRv4
# det -> cls -> rec on the text boxes it finds (a dependent graph: crop counts vary per frame),
# BlazeFace on every frame, and a zoo classifier (ResNet-like, 256x256), on Megamind.avi.
# W = the single-thread work actually done (serial, one intra-op thread, the whole input), the
# limit W / cores. Bars, on the medians over REPEAT interleaved rounds: the best strategy's
# wall/limit <= 1.15; auto (its probe included) <= 1.05 x the best fixed strategy of its round.
source "$(dirname "$0")/common.sh"
FRAMES=${FRAMES:-160}
BATCH=${BATCH:-1}
megamind=/usr/share/doc/opencv-doc/examples/data/Megamind.avi
build/mvinfer bench --video $megamind --frames "$FRAMES" --batch "$BATCH" --size 256x256 \
  --config configs/ocr.yaml --config configs/blazeface.yaml --model $zoo/zoo0.onnx:name=zoo \
  --repeat "$REPEAT" --json $out/real.json --svg $out/real.svg | tee $out/real.txt

best=1e9 bn=""
for s in $(strategies_in $out/real.json); do
  [ "$s" = auto ] && continue
  v=$(figure_of $out/real.json "$s" limit_ratio median)
  if awk -v v="$v" -v b="$best" 'BEGIN { exit !(v < b) }'; then best=$v; bn=$s; fi
done
a=$(auto_vs_best_fixed $out/real.json median)
awk -v bn="$bn" -v r="$(range_of $out/real.json "$bn" limit_ratio)" -v b="$best" -v a="$a" \
    -v lo="$(auto_vs_best_fixed $out/real.json min)" -v hi="$(auto_vs_best_fixed $out/real.json max)" 'BEGIN {
  printf "best fixed: %s wall/limit median %s (bar <= 1.15): %s\n", bn, r, (b <= 1.15 ? "PASS" : "FAIL")
  printf "auto / best fixed, per round: median %.3f (%.3f-%.3f) (bar <= 1.05): %s\n", a, lo, hi,
    (a <= 1.05 ? "PASS" : "FAIL")
  exit !(b <= 1.15 && a <= 1.05) }'
