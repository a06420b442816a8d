#!/usr/bin/env bash
# How close each strategy gets to the machine's limit (W / cores), on two workloads:
#   (a) 4 similar zoo models;
#   (b) uneven: a small zoo model, one 3x larger, PaddleOCR det at 256x256 and the cls model.
# Bars (issue 5), on the medians over REPEAT interleaved rounds: the best strategy's wall/limit
# <= 1.10 on both; auto (its probe included) <= 1.05 x the best fixed strategy of its round.
source "$(dirname "$0")/common.sh"
FRAMES=${FRAMES:-795}  # all of vtest.avi: auto probes 2 batches per candidate
m=.deps/models
[ -f $zoo/small/zoo0.onnx ] || build/mvinfer zoo --out $zoo/small --count 1 --width 16 --seed 11 >/dev/null
[ -f $zoo/large/zoo0.onnx ] || build/mvinfer zoo --out $zoo/large --count 1 --width 28 --seed 12 >/dev/null

check() {  # $1: json report
  local best=1e9 bn="" s v a
  for s in $(strategies_in "$1"); do
    [ "$s" = auto ] && continue
    v=$(figure_of "$1" "$s" limit_ratio median)
    if awk -v v="$v" -v b="$best" 'BEGIN { exit !(v < b) }'; then best=$v; bn=$s; fi
  done
  a=$(auto_vs_best_fixed "$1" median)
  awk -v bn="$bn" -v b="$best" -v r="$(range_of "$1" "$bn" limit_ratio)" -v a="$a" \
      -v lo="$(auto_vs_best_fixed "$1" min)" -v hi="$(auto_vs_best_fixed "$1" max)" 'BEGIN {
    printf "best fixed: %s wall/limit median %s (bar <= 1.10): %s\n", bn, r, (b <= 1.10 ? "PASS" : "FAIL")
    printf "auto / best fixed, per round: median %.3f (%.3f-%.3f) (bar <= 1.05): %s\n", a, lo, hi, (a <= 1.05 ? "PASS" : "FAIL")
    exit !(b <= 1.10 && a <= 1.05) }'
}

echo "== (a) 4 similar zoo models"
build/mvinfer bench --video $video --frames "$FRAMES" --batch 4 --size 256x256 "${zoo4[@]}" \
  --repeat "$REPEAT" --json $out/limit_a.json --svg $out/limit_a.svg | tee $out/limit_a.txt
fail=0
check $out/limit_a.json || fail=1

echo; echo "== (b) uneven models: small zoo, 3x larger zoo, PaddleOCR det 256x256, PaddleOCR cls"
build/mvinfer bench --video $video --frames "$FRAMES" --batch 4 --size 256x256 \
  --model $zoo/small/zoo0.onnx:name=small --model $zoo/large/zoo0.onnx:name=large \
  --model "$m/ch_PP-OCRv4_det_infer.onnx:name=det,color=bgr,mean=0.485/0.456/0.406,std=0.229/0.224/0.225" \
  --model "$m/ch_ppocr_mobile_v2.0_cls_infer.onnx:name=cls,size=192x48,color=bgr,mean=0.5,std=0.5" \
  --repeat "$REPEAT" --json $out/limit_b.json --svg $out/limit_b.svg | tee $out/limit_b.txt
check $out/limit_b.json || fail=1
exit $fail
