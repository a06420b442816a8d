#!/usr/bin/env bash
# How close each strategy gets to the machine's limit (W / cores), and auto to the best fixed
# strategy, on five workloads:
#   (a) 4 similar zoo models, all of vtest.avi;
#   (b) uneven: a small zoo model, one 3x larger, PaddleOCR det at 256x256 and the cls model;
#   (c) a short run: (a)'s models on 120 frames;
#   (d) one light real model at batch 1: PaddleOCR cls;
#   (e) one heavy model at batch 1: a default zoo model.
# Bars, on the medians over REPEAT interleaved rounds: the best strategy's wall/limit <= 1.10 on
# (a) and (b); auto (its probe included) <= 1.05 x the best fixed strategy of its round on (a)
# and (b), <= 1.10 x on (c), (d) and (e).
source "$(dirname "$0")/common.sh"
FRAMES=${FRAMES:-795}  # all of vtest.avi: auto probes 2 batches per candidate
m=.deps/models
[ -f $zoo/small/zoo0.onnx ] || build/mvinfer zoo --out $zoo/small --count 1 --width 16 --seed 11 >/dev/null
[ -f $zoo/large/zoo0.onnx ] || build/mvinfer zoo --out $zoo/large --count 1 --width 28 --seed 12 >/dev/null

check() {  # $1: json report, $2: auto's bar against the best fixed, $3: the best's bar (or "-")
  local best=1e9 bn="" s v a
  for s in $(strategies_in "$1"); do
    [ "$s" = auto ] && continue
    v=$(figure_of "$1" "$s" limit_ratio median)
    if awk -v v="$v" -v b="$best" 'BEGIN { exit !(v < b) }'; then best=$v; bn=$s; fi
  done
  a=$(auto_vs_best_fixed "$1" median)
  awk -v bn="$bn" -v b="$best" -v r="$(range_of "$1" "$bn" limit_ratio)" -v a="$a" \
      -v lo="$(auto_vs_best_fixed "$1" min)" -v hi="$(auto_vs_best_fixed "$1" max)" \
      -v abar="$2" -v bbar="$3" 'BEGIN {
    bok = (bbar == "-" || b <= bbar)
    printf "best fixed: %s wall/limit median %s (bar %s): %s\n", bn, r,
      (bbar == "-" ? "none" : "<= " bbar), (bbar == "-" ? "-" : (bok ? "PASS" : "FAIL"))
    printf "auto / best fixed, per round: median %.3f (%.3f-%.3f) (bar <= %s): %s\n", a, lo, hi,
      abar, (a <= abar ? "PASS" : "FAIL")
    exit !(bok && a <= abar) }'
}

echo "== (a) 4 similar zoo models"
build/mvinfer bench --video $video --frames "$FRAMES" --batch 4 --size 256x256 "${zoo4[@]}" \
  --repeat "$REPEAT" --json $out/limit_a.json --svg $out/limit_a.svg | tee $out/limit_a.txt
fail=0
check $out/limit_a.json 1.05 1.10 || fail=1

echo; echo "== (b) uneven models: small zoo, 3x larger zoo, PaddleOCR det 256x256, PaddleOCR cls"
build/mvinfer bench --video $video --frames "$FRAMES" --batch 4 --size 256x256 \
  --model $zoo/small/zoo0.onnx:name=small --model $zoo/large/zoo0.onnx:name=large \
  --model "$m/ch_PP-OCRv4_det_infer.onnx:name=det,color=bgr,mean=0.485/0.456/0.406,std=0.229/0.224/0.225" \
  --model "$m/ch_ppocr_mobile_v2.0_cls_infer.onnx:name=cls,size=192x48,color=bgr,mean=0.5,std=0.5" \
  --repeat "$REPEAT" --json $out/limit_b.json --svg $out/limit_b.svg | tee $out/limit_b.txt
check $out/limit_b.json 1.05 1.10 || fail=1

echo; echo "== (c) short run: 4 zoo models, 120 frames (auto's probe would cost more than it wins)"
build/mvinfer bench --video $video --frames 120 --batch 4 --size 256x256 "${zoo4[@]}" \
  --strategies serial,threads,coroutines-async,pipeline,auto \
  --repeat "$REPEAT" --json $out/limit_c.json --svg $out/limit_c.svg | tee $out/limit_c.txt
check $out/limit_c.json 1.10 - || fail=1

echo; echo "== (d) one light real model at batch 1: PaddleOCR cls 192x48, 300 frames"
build/mvinfer bench --video $video --frames 300 --batch 1 \
  --model "$m/ch_ppocr_mobile_v2.0_cls_infer.onnx:name=cls,size=192x48,color=bgr,mean=0.5,std=0.5" \
  --strategies serial,threads,coroutines-async,pipeline,auto \
  --repeat "$REPEAT" --json $out/limit_d.json --svg $out/limit_d.svg | tee $out/limit_d.txt
check $out/limit_d.json 1.10 - || fail=1

echo; echo "== (e) one heavy model at batch 1: a default zoo model at 256x256, 200 frames"
build/mvinfer bench --video $video --frames 200 --batch 1 --size 256x256 --model $zoo/zoo0.onnx \
  --strategies serial,threads,coroutines-async,pipeline,auto \
  --repeat "$REPEAT" --json $out/limit_e.json --svg $out/limit_e.svg | tee $out/limit_e.txt
check $out/limit_e.json 1.10 - || fail=1
exit $fail
