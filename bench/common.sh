# Sourced by the bench scripts: builds, and names the shared inputs.
# shellcheck shell=bash
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
make build >/dev/null
out=bench/out; mkdir -p "$out"
video=/usr/share/doc/opencv-doc/examples/data/vtest.avi
zoo=build/bench-zoo
# The seed's 4 models of similar size (default zoo: ResNet-like, 1.14 GFLOPs per image).
[ -f $zoo/zoo3.onnx ] || build/mvinfer zoo --out $zoo --count 4 >/dev/null
zoo4=(--model $zoo/zoo0.onnx --model $zoo/zoo1.onnx --model $zoo/zoo2.onnx --model $zoo/zoo3.onnx)
