#!/usr/bin/env bash
# The seed's experiment on this machine: 4 zoo models of similar size, 256x256, batch 4,
# frames of vtest.avi decoded and preprocessed before timing starts, every strategy.
# Prints the table, writes bench/out/seed.{json,svg}, and checks the bars of issue 4:
#   - the best strategy's wall/limit <= 1.10
#   - threads (auto thread budget) at most 0.6x the wall of serial with one intra-op thread
source "$(dirname "$0")/common.sh"
FRAMES=${FRAMES:-300}
models=("${zoo4[@]}")

build/mvinfer bench --video $video "${models[@]}" --frames "$FRAMES" --batch 4 --size 256x256 \
  --strategies serial,threads,processes,coroutines,coroutines-async \
  --json $out/seed.json --svg $out/seed.svg | tee $out/seed.txt

# serial with one intra-op thread: the seed's serial loop, each Run() on one core.
build/mvinfer bench --video $video "${models[@]}" --frames "$FRAMES" --batch 4 --size 256x256 \
  --strategies serial --intra-threads 1 --json $out/serial1.json >/dev/null

python_free_check() {  # jq-free: read the two JSON files with mvinfer's own report fields
  local best threads serial1
  best=$(grep -o '"limit_ratio": [0-9.e+-]*' $out/seed.json | awk '{print $2}' | sort -g | head -1)
  threads=$(awk '/"name": "threads"/{f=1} f && /"wall_s"/{gsub(/[^0-9.e+-]/,"",$2); print $2; exit}' $out/seed.json)
  serial1=$(awk '/"name": "serial"/{f=1} f && /"wall_s"/{gsub(/[^0-9.e+-]/,"",$2); print $2; exit}' $out/serial1.json)
  echo
  awk -v b="$best" -v t="$threads" -v s="$serial1" 'BEGIN {
    printf "best wall/limit = %.3f (bar <= 1.10): %s\n", b, (b <= 1.10 ? "PASS" : "FAIL")
    r = t / s
    printf "threads (auto) / serial (1 intra-op thread) = %.3f s / %.3f s = %.3f (bar <= 0.60): %s\n", t, s, r, (r <= 0.60 ? "PASS" : "FAIL")
    exit (b <= 1.10 && r <= 0.60) ? 0 : 1 }'
}
python_free_check
