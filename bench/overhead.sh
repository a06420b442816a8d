#!/usr/bin/env bash
# mvinfer's framework overhead: serial strategy over preloaded frames vs a minimal direct ONNX
# Runtime loop over the same tensors, same threads, alternating rounds in one run.
# Bar: the median over the rounds of the per-round ratio <= 1.03.
source "$(dirname "$0")/common.sh"
FRAMES=${FRAMES:-200} ROUNDS=${ROUNDS:-$((REPEAT > 5 ? REPEAT : 5))}
result=$(build/overhead_probe $video "$FRAMES" 4 256x256 \
  "$ROUNDS" $zoo/zoo0.onnx $zoo/zoo1.onnx $zoo/zoo2.onnx $zoo/zoo3.onnx)
echo "$result"
ratio=$(echo "$result" | sed -n 's/^overhead ratio.* = \([0-9.]*\).*$/\1/p')
awk -v r="$ratio" 'BEGIN { if (r <= 1.03) { print "PASS: overhead ratio (median) " r " <= 1.03" } else { print "FAIL: overhead ratio (median) " r " > 1.03"; exit 1 } }'
