#!/usr/bin/env bash
# Workers over Redis Streams on this machine: 1, 2 and 4 `mvinfer worker`s over the same archive
# (vtest.avi and Megamind.avi, 1065 frames), worker i pinned with taskset to core i mod cores,
# so that N workers share the cores as N machines' workers would have their own.
# Prints, per worker count: wall time (first worker started to last one exited, each worker's
# start-up included), frames/s, speedup over one worker and its share of linear up to the core
# count (bar: >= 0.9), coordination per segment (from asking Redis for a segment to its XACK
# returning, minus run_job's time) against a segment's compute (bar: < 2%), and the cost of
# segment boundaries: frames decoded and discarded to reach segment starts, time spent seeking,
# and the frames that seeking decoded again (estimated: seek time x this machine's decode rate).
# Every worker count's collected lines must be identical.
source "$(dirname "$0")/common.sh"
command -v redis-server >/dev/null || { echo "scale: redis-server is not installed (scripts/setup)"; exit 1; }
command -v taskset >/dev/null || { echo "scale: taskset is not installed (util-linux)"; exit 1; }
SEGMENT=${SEGMENT:-100}  # --segment-frames
WORKERS=${WORKERS:-"1 2 4"}
cores=$(nproc)
megamind=/usr/share/doc/opencv-doc/examples/data/Megamind.avi
# Two zoo models at 128x128 (about 5 ms per frame each on one core): compute dominates decoding.
s128=$zoo/s128
[ -f $s128/zoo1.onnx ] || build/mvinfer zoo --out $s128 --count 2 --input 3x128x128 >/dev/null
models=(--model $s128/zoo0.onnx --model $s128/zoo1.onnx)

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis=127.0.0.1:$port
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
  --logfile "$dir/redis.log" &
rpid=$!
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  kill "$rpid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 100); do build/mvinfer status --redis $redis >/dev/null 2>&1 && break; sleep 0.1; done

# This machine's decode rate, for the estimate of frames decoded again by seeking.
decode_fps=$(build/mvinfer run --video $video --model $tiny/zoo0.onnx --strategy serial --provider cpu -q 2>&1 |
  sed -n 's/.*frames in [0-9.]* s (\([0-9.]*\) frames\/s).*/\1/p')

printf '%-8s %6s %8s %9s %8s %10s %12s %12s %9s %10s %9s %9s\n' workers cores "wall s" frames/s speedup \
  "of linear" "coord ms/seg" "compute s/seg" "overhead" discarded "seek ms" "~decoded twice"
base=""
for n in $WORKERS; do
  job=scale-$n-$$
  build/mvinfer submit --redis $redis --job $job --video $video --video $megamind "${models[@]}" \
    --segment-frames "$SEGMENT" --intra-threads 1 --provider cpu 2>"$dir/submit.err" ||
    { cat "$dir/submit.err"; exit 1; }
  t0=$(date +%s.%N)
  pids=()
  for i in $(seq "$n"); do
    taskset -c $(((i - 1) % cores)) build/mvinfer worker --redis $redis --job $job --name w$i -q \
      2>"$dir/w$n.$i.err" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || { echo "scale: a worker failed"; cat "$dir"/w$n.*.err; exit 1; }; done
  pids=()
  t1=$(date +%s.%N)
  build/mvinfer collect --redis $redis --job $job --out "$out/scale_$n.jsonl" 2>/dev/null
  if [ -z "$base" ]; then base=$out/scale_$n.jsonl; else cmp -s "$base" "$out/scale_$n.jsonl" ||
    { echo "scale: $n workers collected other lines than ${WORKERS%% *}"; exit 1; }; fi
  # worker NAME: S segments (F frames) stored, ...; compute C s, coordination X ms per segment;
  # D frames decoded to reach segment starts, seeking K ms
  cat "$dir"/w$n.*.err | awk -v n="$n" -v c="$cores" -v wall="$(echo "$t1 - $t0" | bc -l)" \
      -v dfps="$decode_fps" -v fps1="${fps1:-}" '
    /^worker .* stored/ {
      segs += $3; frames += substr($5, 2)
      for (i = 1; i < NF; i++) {
        if ($i == "compute") compute += $(i + 1)
        if ($i == "coordination") coord += $3 * $(i + 1)  # ms per segment x segments
        if ($(i + 1) == "frames" && $(i + 2) == "decoded") discarded += $i
        if ($i == "seeking") seek += $(i + 1)
      }
    }
    END {
      fs = frames / wall; lin = (n < c ? n : c); sp = (fps1 == "" ? 1 : fs / fps1)
      cps = coord / segs; comp = compute / segs
      printf "%-8d %6d %8.2f %9.1f %8.2f %10.2f %12.1f %12.2f %8.2f%% %10d %9.0f %9.0f\n",
        n, lin, wall, fs, sp, sp / lin, cps, comp, 100 * cps / (1000 * comp), discarded, seek,
        seek / 1000 * dfps
      print fs > "/dev/stderr"
    }' 2>"$dir/fps"
  [ -z "${fps1:-}" ] && fps1=$(cat "$dir/fps")
done
echo "segments of $SEGMENT frames; decode rate $decode_fps frames/s (for the seek estimate); collected lines identical for every worker count"
