#!/usr/bin/env bash
# Soak: a streaming run over FRAMES frames (vtest.avi looped) with 4 small zoo models under auto
# and every strategy that streams (processes decodes up front: its memory is checked against
# --max-memory before it starts instead). RSS is sampled every second; the bar: after frame 1000
# it stays within 10% of its value there, the run ends without error, and every line is there.
source "$(dirname "$0")/common.sh"
FRAMES=${FRAMES:-20000}
BATCH=${BATCH:-4}
STRATEGIES=${STRATEGIES:-auto serial threads coroutines coroutines-async pipeline}
tiny=$zoo/tiny
[ -f $tiny/zoo0.onnx ] || build/mvinfer zoo --out $tiny --count 4 --input 3x64x64 --width 8 --depth 1 >/dev/null
[ -f $tiny/zoo3.onnx ] || build/mvinfer zoo --out $tiny --count 4 --input 3x64x64 --width 8 --depth 1 >/dev/null
loops=$(((FRAMES + 794) / 795))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
printf '%-17s %8s %8s %10s %10s %7s %6s %s\n' strategy frames lines "RSS@1000" "max after" ratio exit result
for s in $STRATEGIES; do
  out=$work/$s.jsonl samples=$work/$s.rss
  build/mvinfer run --video "$video" --loop "$loops" --frames "$FRAMES" --batch "$BATCH" \
    --strategy "$s" -q --out "$out" --model $tiny/zoo0.onnx --model $tiny/zoo1.onnx \
    --model $tiny/zoo2.onnx --model $tiny/zoo3.onnx 2>"$work/$s.err" &
  pid=$!
  : >"$samples"
  # One sample a second: RSS (KiB) and the frames whose results are written so far.
  while kill -0 $pid 2>/dev/null; do
    rss=$(ps -o rss= -p $pid 2>/dev/null || true)
    # The output is published at the first result; until then it is a temporary file.
    lines=$( (cat "$out" 2>/dev/null || true) | wc -l)
    [ -n "$rss" ] && echo "$rss $((lines / 4 * BATCH))" >>"$samples"
    sleep 1
  done
  rc=0; wait $pid || rc=$?
  lines=$(wc -l <"$out" 2>/dev/null || echo 0)
  expect=$(((FRAMES + BATCH - 1) / BATCH * 4))
  read -r at max < <(awk '$2 >= 1000 && !at { at = $1 } at && $1 > max { max = $1 } END { print at + 0, max + 0 }' "$samples")
  ratio=$(awk -v a="$at" -v m="$max" 'BEGIN { if (a > 0) printf "%.3f", m / a; else print "n/a" }')
  ok=PASS
  if [ "$rc" -ne 0 ] || [ "$lines" -ne "$expect" ] || [ "$ratio" = n/a ] ||
     awk -v r="$ratio" 'BEGIN { exit !(r > 1.10) }'; then ok=FAIL; fail=1; fi
  printf '%-17s %8d %8d %7d MiB %7d MiB %7s %6d %s\n' "$s" "$FRAMES" "$lines" $((at / 1024)) $((max / 1024)) "$ratio" "$rc" "$ok"
  [ "$rc" -eq 0 ] || sed 's/^/  stderr: /' "$work/$s.err"
done
echo "bar: RSS after frame 1000 within 10% of its value there, exit 0, every line present"
exit $fail
