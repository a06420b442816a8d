#!/usr/bin/env bash
# Memory does not grow with the video: peak RSS of a streaming pipeline run over 800 frames vs
# 8000 frames (vtest.avi played 11 times in a row). A small model keeps it decode-bound and
# quick. Bar (issue 5): within 10%.
source "$(dirname "$0")/common.sh"
tiny=$zoo/tiny
[ -f $tiny/zoo0.onnx ] || build/mvinfer zoo --out $tiny --count 2 --input 3x64x64 --width 8 --depth 1 >/dev/null
rss() {
  build/mvinfer run --video $video --loop 11 --frames "$1" --batch 4 --strategy pipeline -q \
    --model $tiny/zoo0.onnx --model $tiny/zoo1.onnx 2>&1 | tail -1 | sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p'
}
short=$(rss 800); long=$(rss 8000)
echo "peak RSS: 800 frames $short MiB, 8000 frames $long MiB"
awk -v s="$short" -v l="$long" 'BEGIN { r = l / s; printf "ratio %.3f (bar: within 10%%): %s\n", r, (r <= 1.10 && r >= 0.90 ? "PASS" : "FAIL"); exit !(r <= 1.10 && r >= 0.90) }'
