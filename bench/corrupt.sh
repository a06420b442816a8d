#!/usr/bin/env bash
# Corrupted videos never crash, hang or leave anything behind: vtest.avi, Megamind.avi and
# Megamind_bugy.avi (opencv-doc), each truncated at TRUNCATIONS offsets spread over the file
# (header and index included) and corrupted CASES ways in each other category (1-3 bytes flipped
# in the headers and the index's first entries; 1-16 bytes flipped in the data of the frames the
# run reads; a run of 16 B-64 KiB zeroed), every corrupted file run under every strategy
# (`mvinfer run --video F --model tiny --size 64x64 --frames 40 --out OUT -q --strategy S`), one
# case at a time, each under `timeout -s KILL`. The RNG is seeded (SEED), so a sweep makes the
# same files every time; a finding prints the shell that rebuilds its input.
#
# A case passes with exit 0 (every result line one whole JSON object, the file ending in '\n')
# or with a clear error: exit 2-6 or 130 and exactly one line of ours on stderr, starting
# "mvinfer: error: ". It is a finding when mvinfer dies of a signal (crash), runs past TIMEOUT
# (hang), writes a partial or invalid line or a model's batches out of order (unordered), says
# "internal error", prints more than one line of its own, exits with another code or no
# message, leaves a file (a temporary beside --out, anything in its working directory or its
# private TMPDIR, anything new in /dev/shm) or a process. Other libraries' lines on stderr
# (FFmpeg's "[mpeg4 @ 0x...]") are counted as chatter, not as findings. Inputs on which the
# strategies end differently (exit code, result lines) are listed. Exits 1 on any finding.
#
# TRUNCATIONS=10 and CASES=6 (inputs per video) STRATEGIES=serial,... (default: all) FRAMES=40
# TIMEOUT=60 SEED=1 KEEP=1 (keep the inputs and cases in the temp dir) VIDEOS="a.avi b.avi".
# The defaults (84 inputs x 7 strategies = 588 cases) take 8-12 minutes on 2 busy cores.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
TRUNCATIONS=${TRUNCATIONS:-10}
CASES=${CASES:-6}
FRAMES=${FRAMES:-40}
TIMEOUT=${TIMEOUT:-60}
SEED=${SEED:-1}
data=/usr/share/doc/opencv-doc/examples/data
read -r -a videos <<<"${VIDEOS:-$data/vtest.avi $data/Megamind.avi $data/Megamind_bugy.avi}"
IFS=, read -r -a strategies <<<"${STRATEGIES:-serial,threads,processes,coroutines,coroutines-async,pipeline,auto}"
categories=(truncation flipped-header flipped-data zeroed)
model=$PWD/$tiny/zoo0.onnx
RANDOM=$SEED

work=$(mktemp -d "${TMPDIR:-/tmp}/mvinfer-corrupt.XXXXXX")
cleanup() {
  [ -n "${case_job:-}" ] && kill -KILL "$case_job" 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- An AVI's layout, read from its RIFF chunks ----
le32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' \n'; }  # FILE OFFSET (x86: little-endian)
fourcc() { dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count=4 status=none; }

# avi_layout FILE: sets size, movi (offset of the movi LIST), data_end (end of the chunk of frame
# FRAMES + 1: the data the run reads), idx (offset of idx1, or size when there is none) and
# hdr_lo/hdr_hi, the byte ranges that a decoder reads as headers: the RIFF and LIST headers, the
# hdrl chunks but their JUNK's padding, the movi and idx1 headers and the index's first entries.
avi_layout() {
  local f=$1 off id sz typ end
  size=$(stat -c %s "$f") movi=0 data_end=0 idx=$size
  hdr_lo=(0) hdr_hi=(12)
  off=12
  while ((off + 8 <= size)); do
    id=$(fourcc "$f" "$off") sz=$(le32 "$f" $((off + 4)))
    if [ "$id" = LIST ]; then
      typ=$(fourcc "$f" $((off + 8)))
      if [ "$typ" = hdrl ]; then
        hdrl_ranges "$f" "$off" $((off + 8 + sz))
      elif [ "$typ" = movi ]; then
        movi=$off
        hdr_lo+=("$off") hdr_hi+=($((off + 12)))
        movi_frames "$f" $((off + 12)) $((off + 8 + sz))
      fi
    elif [ "$id" = idx1 ]; then
      idx=$off
      end=$((off + 8 + 32 * (FRAMES + 1)))  # video and audio entries of the frames read
      hdr_lo+=("$off") hdr_hi+=($((end < size ? end : size)))
    fi
    off=$((off + 8 + sz + sz % 2))
  done
  ((data_end > 0)) || data_end=$size
}
hdrl_ranges() {  # FILE FROM TO: a LIST's header, then its chunks
  local f=$1 off=$2 to=$3 id sz
  hdr_lo+=("$off") hdr_hi+=($((off + 12)))
  off=$((off + 12))
  while ((off + 8 <= to)); do
    id=$(fourcc "$f" "$off") sz=$(le32 "$f" $((off + 4)))
    if [ "$id" = LIST ]; then
      hdrl_ranges "$f" "$off" $((off + 8 + sz))
    elif [ "$id" = JUNK ]; then
      hdr_lo+=("$off") hdr_hi+=($((off + 8)))
    else
      hdr_lo+=("$off") hdr_hi+=($((off + 8 + sz)))
    fi
    off=$((off + 8 + sz + sz % 2))
  done
}
movi_frames() {  # FILE FROM TO: sets data_end after the video chunk of frame FRAMES + 1
  local f=$1 off=$2 to=$3 id sz n=0
  while ((off + 8 <= to && n <= FRAMES)); do
    id=$(fourcc "$f" "$off") sz=$(le32 "$f" $((off + 4)))
    case $id in ??dc | ??db) n=$((n + 1)) ;; esac
    off=$((off + 8 + sz + sz % 2))
  done
  data_end=$((off < to ? off : to))
}

# ---- Seeded choices (RANDOM is seeded above; never called in a subshell) ----
rand_below() { r=$((((RANDOM << 15) | RANDOM) % $1)); }  # sets r in [0, $1)
# spread K FROM TO: appends K offsets to `picks`, one at random in each of K equal slices.
spread() {
  local k=$1 from=$2 to=$3 i w
  ((k > 0 && to > from)) || return 0
  for ((i = 0; i < k; ++i)); do
    w=$(((to - from) / k))
    rand_below $((w > 0 ? w : 1))
    picks+=($((from + (to - from) * i / k + r)))
  done
}
# header_offset: sets r to a random offset inside the header ranges.
header_offset() {
  local total=0 i
  for i in "${!hdr_lo[@]}"; do total=$((total + hdr_hi[i] - hdr_lo[i])); done
  rand_below $total
  for i in "${!hdr_lo[@]}"; do
    if ((r < hdr_hi[i] - hdr_lo[i])); then
      r=$((hdr_lo[i] + r))
      return
    fi
    r=$((r - (hdr_hi[i] - hdr_lo[i])))
  done
}

# ---- Corruptions: each writes $input and sets `recipe`, the shell that rebuilds it ----
flip_bytes() {  # FILE OFFSET...: XORs each byte with a random non-zero value
  local f=$1 off old new
  shift
  for off in "$@"; do
    old=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
    rand_below 255
    new=\\0$(printf %03o $((old ^ (r + 1))))
    printf '%b' "$new" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
    recipe+="; printf '%b' '$new' | dd of=F bs=1 seek=$off conv=notrunc"
  done
}
make_input() {  # CATEGORY SOURCE INDEX: the INDEX-th input of CATEGORY from SOURCE
  local src=$2 i=$3 k flips offs=() off len
  cp "$src" "$input"
  recipe="cp $src F"
  case $1 in
    truncation)
      truncate -s "${trunc[i]}" "$input"
      recipe+="; truncate -s ${trunc[i]} F"
      ;;
    flipped-header)
      rand_below 3  # 1 to 3 bytes
      for ((k = 0, flips = r + 1; k < flips; ++k)); do
        header_offset
        offs+=("$r")
      done
      flip_bytes "$input" "${offs[@]}"
      ;;
    flipped-data)
      rand_below 16  # 1 to 16 bytes
      for ((k = 0, flips = r + 1; k < flips; ++k)); do
        rand_below $((data_end - movi - 12))
        offs+=($((movi + 12 + r)))
      done
      flip_bytes "$input" "${offs[@]}"
      ;;
    zeroed)
      # 16 B to 64 KiB (log-uniform), three in four among the bytes the run reads, else anywhere.
      rand_below 13
      len=$((16 << r))
      rand_below $((len > 16 ? len / 2 : 1))
      len=$((len - r))
      rand_below 4
      if ((r < 3)); then rand_below "$data_end"; else rand_below "$size"; fi
      off=$r
      dd if=/dev/zero of="$input" bs="$len" count=1 seek="$off" oflag=seek_bytes conv=notrunc \
        status=none
      recipe+="; dd if=/dev/zero of=F bs=$len count=1 seek=$off oflag=seek_bytes conv=notrunc"
      ;;
  esac
}

# ---- One case ----
declare -A count       # count[category,column]
declare -A outcome_of  # outcome_of[input]: "rc lines" per strategy, to spot strategies that disagree
columns=(inputs runs exit0 clear crash hang partial unordered internal multiline chatter files orphans other)
findings=0
declare -A lines_min lines_max  # per category, over its runs that exited 0

finding() {  # CATEGORY WHAT: prints the finding with its reproducer
  findings=$((findings + 1))
  echo "FINDING [$1] $2: $(basename "$source") --strategy $strategy (case $n)"
  echo "  input: $recipe"
  echo "  run:   build/mvinfer run --video F --model $tiny/zoo0.onnx --size 64x64 --frames $FRAMES --out OUT -q --strategy $strategy"
  echo "  exit $rc after ${secs}s; stderr: $(head -c 600 "$dir/stderr" | tr '\n' '|')"
}

run_case() {  # CATEGORY: runs $input under $strategy and counts what happened
  local cat=$1 ours=0 chatter=0 shm_before t0 left pids json lines bad nl ordered msg
  dir=$work/case-$n
  shm_before=$(shm_list)
  t0=$EPOCHREALTIME
  start_case "$dir" "$TIMEOUT" run --video "$input" --model "$model" --size 64x64 \
    --frames "$FRAMES" --out "$dir/out/results.jsonl" -q --strategy "$strategy"
  wait_case
  secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
  count[$cat,runs]=$((${count[$cat,runs]:-0} + 1))
  # Our lines start "mvinfer", or are a successful run's three ("provider ...", "strategy ...",
  # "N frames in ...").
  while IFS= read -r line; do
    case $line in
      mvinfer*) ours=$((ours + 1)) ;;
      "strategy "* | "provider "*) ((rc == 0)) || chatter=$((chatter + 1)) ;;
      [0-9]*" frames in "*) ((rc == 0)) || chatter=$((chatter + 1)) ;;
      *) chatter=$((chatter + 1)) ;;
    esac
  done <"$dir/stderr"
  local what=""
  if ((rc == 137 || rc == 124)) && awk -v s="$secs" -v t="$TIMEOUT" 'BEGIN { exit !(s >= t) }'; then
    what=hang
  elif grep -q '^mvinfer: internal error' "$dir/stderr"; then
    what=internal
  elif ((rc == 0)); then
    what=exit0
  elif ((rc >= 128 && rc != 130)); then
    what=crash
  elif ((rc >= 2 && rc <= 6 || rc == 130)) && ((ours == 1)) && grep -q '^mvinfer: error: ' "$dir/stderr"; then
    what=clear
  elif ((rc >= 2 && rc <= 6 || rc == 130)) && ((ours > 1)); then
    what=clear  # counted as multi-line below
  else
    what=other
  fi
  count[$cat,$what]=$((${count[$cat,$what]:-0} + 1))
  case $what in
    hang) finding "$cat" "hang (killed after ${TIMEOUT}s)" ;;
    internal) finding "$cat" "internal error" ;;
    crash) finding "$cat" "crash (signal $((rc - 128)))" ;;
    other) finding "$cat" "exit $rc without one 'mvinfer: error: ' line" ;;
  esac
  if ((ours > (rc == 0 ? 0 : 1))); then
    count[$cat,multiline]=$((${count[$cat,multiline]:-0} + 1))
    finding "$cat" "$ours lines of ours on stderr"
  fi
  ((chatter == 0)) || count[$cat,chatter]=$((${count[$cat,chatter]:-0} + 1))

  json=$(check_jsonl "$dir/out/results.jsonl")
  read -r lines bad nl ordered _ <<<"$json"
  if ((bad > 0 || nl == 0)); then
    count[$cat,partial]=$((${count[$cat,partial]:-0} + 1))
    finding "$cat" "partial or invalid result lines ($bad bad of $lines, ends with newline: $nl)"
  fi
  if ((ordered == 0)); then
    count[$cat,unordered]=$((${count[$cat,unordered]:-0} + 1))
    finding "$cat" "batches out of order or with a gap ($lines lines)"
  fi
  if ((rc == 0)); then
    ((${lines_min[$cat]:-lines} < lines)) || lines_min[$cat]=$lines
    ((${lines_max[$cat]:-lines} > lines)) || lines_max[$cat]=$lines
  fi
  outcome_of[$input]+="$rc:$lines "

  left="$(files_left "$dir" results.jsonl)$(shm_new "$shm_before" "$(cat "$dir/pid" 2>/dev/null)")"
  if [ -n "$left" ]; then
    count[$cat,files]=$((${count[$cat,files]:-0} + 1))
    finding "$cat" "files left: $left"
  fi
  pids=$(procs_left "$dir")
  if [ -n "$pids" ]; then
    count[$cat,orphans]=$((${count[$cat,orphans]:-0} + 1))
    finding "$cat" "processes left: $(ps -o pid=,args= -p "${pids// /,}" 2>/dev/null | head -c 300)"
    # shellcheck disable=SC2086  # one pid per word
    kill -KILL $pids 2>/dev/null || true
  fi
  msg=$(grep -m 1 '^mvinfer' "$dir/stderr") || true
  echo "$n $cat $(basename "$source") #$i $strategy: $what (exit $rc) in ${secs}s, $lines lines; ${msg//"$input"/F}" >>"$log"
  [ -n "${KEEP:-}" ] || rm -rf "$dir"
}

# ---- The sweep ----
echo "corrupt: ${#videos[@]} videos x ($TRUNCATIONS truncations + 3 categories x $CASES inputs) x" \
  "${#strategies[@]} strategies, --frames $FRAMES, timeout ${TIMEOUT}s, seed $SEED"
log=$out/corrupt_cases.txt  # one line per case
: >"$log"
n=0
disagree=()
started=$SECONDS
for source in "${videos[@]}"; do
  avi_layout "$source"
  echo "$(basename "$source"): $size bytes, movi at $movi, frame $((FRAMES + 1)) ends at $data_end, idx1 at $idx"
  # Truncation offsets: a fifth in the headers, half among the frames read, the rest after them
  # (half of those in the index), one at random in each equal slice of its region.
  picks=()
  spread $(((TRUNCATIONS + 4) / 5)) 1 $((movi + 12))
  spread $((TRUNCATIONS / 2)) $((movi + 12)) "$data_end"
  rest=$((TRUNCATIONS - (TRUNCATIONS + 4) / 5 - TRUNCATIONS / 2))
  spread $((rest - rest / 2)) "$data_end" "$idx"
  spread $((rest / 2)) "$idx" "$size"
  trunc=("${picks[@]}")
  for cat in "${categories[@]}"; do
    inputs=$CASES
    [ "$cat" != truncation ] || inputs=${#trunc[@]}
    for ((i = 0; i < inputs; ++i)); do
      input=$work/$(basename "$source" .avi)-$cat-$i.avi
      make_input "$cat" "$source" "$i"
      count[$cat,inputs]=$((${count[$cat,inputs]:-0} + 1))
      for strategy in "${strategies[@]}"; do
        n=$((n + 1))
        run_case "$cat"
      done
      # Every strategy should end the same way (exit code, result lines) on the same input.
      if [ "$(tr ' ' '\n' <<<"${outcome_of[$input]}" | sed '/^$/d' | sort -u | wc -l)" -gt 1 ]; then
        disagree+=("$cat $(basename "$source") #$i (${outcome_of[$input]% }; $recipe)")
      fi
      [ -n "${KEEP:-}" ] || rm -f "$input"
    done
  done
done

# ---- The table ----
echo
echo "$n cases in $((SECONDS - started)) s"
printf '%-15s' category
header=(inputs runs "exit 0" "clear err" crashes hangs partial unordered internal multi-line chatter "files left" orphans "other exit")
printf '%11s' "${header[@]}"
printf '%16s\n' "lines (exit 0)"
for cat in "${categories[@]}"; do
  printf '%-15s' "$cat"
  for col in "${columns[@]}"; do printf '%11s' "${count[$cat,$col]:-0}"; done
  printf '%16s\n' "${lines_min[$cat]:--}-${lines_max[$cat]:--}"
done
echo
echo "clear errors by message (F: the input), over all categories:"
sed -n 's/^[0-9]* \([^ ]*\) .*: clear (exit \([0-9]*\)).*; /  \1, exit \2: /p' "$log" | sort | uniq -c
echo "every case: $log"
if ((${#disagree[@]})); then
  echo
  echo "inputs on which the strategies ended differently (exit:lines per strategy, in the order ${strategies[*]}):"
  printf '  %s\n' "${disagree[@]}"
fi
echo
if ((findings)); then
  echo "corrupt: $findings findings (above)"
  exit 1
fi
echo "corrupt: no finding"
