#!/usr/bin/env bash
# Workers over Redis Streams on this machine: 1, 2 and 4 `mvinfer worker`s over the same archive
# (vtest.avi and Megamind.avi, twice over: 4 jobs, 2130 frames, 44 segments of 50 frames), worker
# i pinned with taskset to core i mod cores, so that N workers share the cores as N machines'
# workers would have their own. With fewer segments the last one decides more of the wall time
# (11 segments over 2 workers are 6 + 5: at best 0.92 of linear).
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
SEGMENT=${SEGMENT:-50}  # --segment-frames (submit's default is 200)
WORKERS=${WORKERS:-"1 2 4"}  # the first is the base of the speedups
COPIES=${COPIES:-2}  # the archive is the two videos COPIES times over (one job per copy)
cores=$(nproc)
megamind=/usr/share/doc/opencv-doc/examples/data/Megamind.avi
# Two zoo models at 128x128 (about 5 ms per frame each on one core): compute dominates decoding.
s128=$zoo/s128
[ -f $s128/zoo1.onnx ] || build/mvinfer zoo --out $s128 --count 2 --input 3x128x128 >/dev/null
models=(--model $s128/zoo0.onnx --model $s128/zoo1.onnx)
archive=()
for _ in $(seq "$COPIES"); do archive+=(--video $video --video $megamind); done

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

# run_case N ROUND: submits the archive as a new job, runs N workers, collects; appends
# "N ROUND wall frames/s coord_ms_per_seg compute_s_per_seg discarded seek_ms" to $dir/rows.
run_case() {
  local n=$1 round=$2 job=scale-$1-$2-$$ i p t0 t1 ids
  # submit prints a job id per video (stdout): every worker and collect take them all, in order.
  ids=$(build/mvinfer submit --redis $redis --job "$job" "${archive[@]}" "${models[@]}" \
    --segment-frames "$SEGMENT" --intra-threads 1 --provider cpu 2>"$dir/submit.err") ||
    { cat "$dir/submit.err"; exit 1; }
  local jobs=()
  for i in $ids; do jobs+=(--job "$i"); done
  t0=$(date +%s.%N)
  pids=()
  for i in $(seq "$n"); do
    taskset -c $(((i - 1) % cores)) build/mvinfer worker --redis $redis "${jobs[@]}" --name "w$i" \
      -q 2>"$dir/w.$i.err" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || { echo "scale: a worker failed"; cat "$dir"/w.*.err; exit 1; }; done
  pids=()
  t1=$(date +%s.%N)
  build/mvinfer collect --redis $redis "${jobs[@]}" --out "$out/scale_$n.jsonl" 2>/dev/null
  if [ -z "$base" ]; then base=$out/scale_base.jsonl; cp "$out/scale_$n.jsonl" "$base"; fi
  cmp -s "$base" "$out/scale_$n.jsonl" || { echo "scale: $n workers collected other lines"; exit 1; }
  # worker NAME: S segments and L live batches (F frames) stored, ...; compute C s, coordination
  # X ms per segment; D frames decoded to reach segment starts, seeking K ms
  cat "$dir"/w.*.err | awk -v n="$n" -v r="$round" -v wall="$(echo "$t1 - $t0" | bc -l)" '
    /^worker .* stored/ {
      segs += $3
      for (i = 1; i < NF; i++) {
        if ($(i + 1) == "frames)") frames += substr($i, 2)  # "(F frames)"
        if ($i == "compute") compute += $(i + 1)
        if ($i == "coordination") coord += $3 * $(i + 1)  # ms per segment x segments
        if ($(i + 1) == "frames" && $(i + 2) == "decoded") discarded += $i
        if ($i == "seeking") seek += $(i + 1)
      }
    }
    END { printf "%d %d %.3f %.2f %.2f %.3f %d %.0f\n", n, r, wall, frames / wall, coord / segs,
          compute / segs, discarded, seek }' >>"$dir/rows"
  rm -f "$dir"/w.*.err
}

base=""
: >"$dir/rows"
for round in $(seq "$REPEAT"); do
  for n in $WORKERS; do run_case "$n" "$round"; done
done

# Per worker count, medians over the rounds; the speedup is taken within each round against that
# round's one-worker run, so a slow spell of the shared machine hits both sides of a ratio.
first=${WORKERS%% *}
printf '%-8s %5s %8s %9s %22s %10s %13s %14s %9s %10s %8s %15s\n' workers cores "wall s" frames/s \
  "speedup (min-max)" "of linear" "coord ms/seg" "compute s/seg" overhead discarded "seek ms" \
  "~decoded twice"
for n in $WORKERS; do
  awk -v n="$n" -v first="$first" -v c="$cores" -v dfps="$decode_fps" '
    function median(a, k,   i, j, t) {
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    { fps[$1, $2] = $4; row[$1, $2] = $0; rounds[$2] = 1 }
    END {
      k = 0
      for (r in rounds) {
        split(row[n, r], f, " "); k++
        w[k] = f[3]; q[k] = f[4]; cm[k] = f[5]; cs[k] = f[6]; d[k] = f[7]; sk[k] = f[8]
        sp[k] = fps[n, r] / fps[first, r]
      }
      lo = 1e9; hi = 0
      for (i = 1; i <= k; i++) { if (sp[i] < lo) lo = sp[i]; if (sp[i] > hi) hi = sp[i] }
      lin = (n < c ? n : c); s = median(sp, k); cms = median(cm, k); css = median(cs, k)
      seek = median(sk, k)
      printf "%-8d %5d %8.2f %9.1f %22s %10.2f %13.1f %14.2f %8.2f%% %10d %8.0f %15.0f\n", n, lin,
        median(w, k), median(q, k), sprintf("%.2f (%.2f-%.2f)", s, lo, hi), s / lin, cms, css,
        100 * cms / (1000 * css), median(d, k), seek, seek / 1000 * dfps
    }' "$dir/rows"
done
echo "$COPIES copies of the archive, segments of $SEGMENT frames, $REPEAT rounds (medians); decode rate $decode_fps frames/s (for the seek estimate);"
echo "collected lines identical for every worker count and round"
