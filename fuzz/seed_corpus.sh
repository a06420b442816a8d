#!/usr/bin/env bash
# seed_corpus.sh OUTDIR MAKE_SEEDS: builds the fuzz targets' seed corpora, one directory per
# target, from real files at fuzz time (nothing third-party is committed):
#   config/      configs/*.yaml (ours) and a JSON config written here
#   model_arg/   --model arguments in every documented form (written here)
#   onnx_model/  tiny zoo models (make_seeds); PaddleOCR's classifier and both BlazeFace models
#                from $MVINFER_DEPS/models (scripts/setup; the detector and recogniser, 5 and 11
#                MB, only with FUZZ_BIG_MODELS=1: every run of an input rewrites and reloads it)
#   image/       small images in every format this OpenCV writes (make_seeds)
#   video/       the first KB of vtest.avi (opencv-doc), short generated videos (make_seeds)
#   decoder/     decoder cases (make_seeds; fuzz/decoder_case.h)
# Inputs on which the fuzzers found a defect are rebuilt by make_seeds (the onnx_model target's
# shape_without_input.onnx and matmul_without_output.onnx), so every smoke run replays them and
# no binary is kept in git.
# OUTDIR is replaced.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OUTDIR MAKE_SEEDS" >&2; exit 2; }
out=$1 make_seeds=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps=${MVINFER_DEPS:-$root/.deps}
rm -rf "$out"
mkdir -p "$out"/{config,model_arg,onnx_model,image,video,decoder}

cp "$root"/configs/*.yaml "$out/config/"
cat > "$out/config/models.json" <<'JSON'
{"models": [{"path": "m.onnx", "name": "m", "size": [64, 32], "mean": [0.5, 0.5, 0.5],
  "std": 0.5, "dims": {"h": 48}, "decode": "classify", "topk": 3, "interval": 2},
 {"path": "/abs/d.onnx", "on": "m", "resize": "pad-grow", "layout": "nhwc", "threads": 1}]}
JSON

i=0
while IFS= read -r arg; do
  printf '%s' "$arg" > "$out/model_arg/$i.txt"
  i=$((i + 1))
done <<'ARGS'
model.onnx
cls.onnx:decode=classify,labels=labels.txt,topk=3,softmax=auto,interval=4
m.onnx:size=192x48,color=bgr,layout=nchw,resize=pad,scale=0.0039,mean=0.5/0.5/0.5,std=0.5,threads=2,name=cls
det.onnx:max_side=960,multiple=32,decode=ppocr-det,threshold=0.3,box_threshold=0.6,unclip_ratio=1.5,max_candidates=1000
face.onnx:decode=blazeface,threshold=0.5,iou=0.3,layout=nhwc,width=128,height=128
rec.onnx:on=det,decode=ppocr-rec,dict=keys.txt,resize=pad-grow,dim.h=48,dim.2=48
C:\models\m.onnx:resize=letterbox,colour=rgb
a:b:c=d
ARGS

"$make_seeds" "$out" >/dev/null
models=(ch_ppocr_mobile_v2.0_cls_infer.onnx face_detection_front_128x128_barracuda.onnx
  face_detection_back_256x256_barracuda.onnx)
[ "${FUZZ_BIG_MODELS:-0}" = 1 ] && models+=(ch_PP-OCRv4_det_infer.onnx ch_PP-OCRv4_rec_infer.onnx)
for m in "${models[@]}"; do
  if [ -f "$deps/models/$m" ]; then
    cp "$deps/models/$m" "$out/onnx_model/"
  else
    echo "seed_corpus: $deps/models/$m missing (run scripts/setup); left out" >&2
  fi
done

vtest=/usr/share/doc/opencv-doc/examples/data/vtest.avi
if [ -f "$vtest" ]; then
  head -c 1024 "$vtest" > "$out/video/vtest_1k.avi"
else
  echo "seed_corpus: $vtest missing (package opencv-doc); left out" >&2
fi

for d in "$out"/*/; do
  printf 'seed_corpus: %-11s %3d files\n' "$(basename "$d")" "$(find "$d" -type f | wc -l)"
done
