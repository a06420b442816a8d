#!/usr/bin/env bash
# Memory does not grow with the video: peak RSS of a streaming pipeline run over 800 frames vs
# 8000 frames (vtest.avi played 11 times in a row). A small model keeps it decode-bound and
# quick. Bar (issue 5): the median over REPEAT rounds of the per-round ratio within 10%.
source "$(dirname "$0")/common.sh"
FRAMES=${FRAMES:-800}  # the short run; the long one is 10x
rss() {
  build/mvinfer run --video $video --loop 11 --frames "$1" --batch 4 --strategy pipeline -q \
    --model $tiny/zoo0.onnx --model $tiny/zoo1.onnx 2>&1 | tail -1 | sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p'
}
ratios=()
for round in $(seq "$REPEAT"); do
  short=$(rss "$FRAMES"); long=$(rss $((FRAMES * 10)))
  ratios+=("$(awk -v s="$short" -v l="$long" 'BEGIN { print l / s }')")
  echo "round $round: peak RSS $FRAMES frames $short MiB, $((FRAMES * 10)) frames $long MiB, ratio ${ratios[-1]}"
done
awk -v r="$(median "${ratios[@]}")" -v lo="$(printf '%s\n' "${ratios[@]}" | sort -g | head -1)" \
    -v hi="$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)" -v n="$REPEAT" 'BEGIN {
  printf "long / short over %d rounds: median %.3f (%.3f-%.3f) (bar: within 10%%): %s\n", n, r, lo, hi, (r <= 1.10 && r >= 0.90 ? "PASS" : "FAIL"); exit !(r <= 1.10 && r >= 0.90) }'
