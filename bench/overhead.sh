#!/usr/bin/env bash
# mvinfer's framework overhead: serial strategy over preloaded frames vs a minimal direct ONNX
# Runtime loop over the same tensors, same threads, alternating rounds in one run.
# Bar: ratio <= 1.03.
set -euo pipefail
cd "$(dirname "$0")/.."
make build >/dev/null
FRAMES=${FRAMES:-200} ROUNDS=${ROUNDS:-5}
zoo=build/bench-zoo
[ -f $zoo/zoo3.onnx ] || build/mvinfer zoo --out $zoo --count 4 >/dev/null
out=$(build/overhead_probe /usr/share/doc/opencv-doc/examples/data/vtest.avi "$FRAMES" 4 256x256 \
  "$ROUNDS" $zoo/zoo0.onnx $zoo/zoo1.onnx $zoo/zoo2.onnx $zoo/zoo3.onnx)
echo "$out"
ratio=$(echo "$out" | sed -n 's/.*= \([0-9.]*\)$/\1/p')
awk -v r="$ratio" 'BEGIN { if (r <= 1.03) { print "PASS: overhead ratio " r " <= 1.03" } else { print "FAIL: overhead ratio " r " > 1.03"; exit 1 } }'
