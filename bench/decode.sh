#!/usr/bin/env bash
# Video decoding: mvinfer's frame source (FFmpeg's libraries directly) against OpenCV's FFmpeg
# backend, which it replaced (issue 10: OpenCV's read past its buffer on a damaged stream), on
# the opencv-doc videos, alternating rounds in one run. Bar: the median time ratio <= 1.05.
source "$(dirname "$0")/common.sh"
FRAMES=${FRAMES:-400} ROUNDS=${ROUNDS:-5}
data=$(dirname $video)
result=$(build/decode_probe "$FRAMES" "$ROUNDS" $video $data/Megamind.avi $data/tree.avi)
echo "$result" | tee $out/decode.txt
echo "$result" | awk '{ r = $(NF - 4) + 0; if (r > worst) worst = r }
  END { if (worst <= 1.05) print "PASS: worst median time ratio " worst " <= 1.05";
        else { print "FAIL: worst median time ratio " worst " > 1.05"; exit 1 } }'
