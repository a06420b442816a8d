# Sourced by the bench scripts: builds, and names the shared inputs.
# shellcheck shell=bash disable=SC2034  # the names are the sourcing scripts' to use
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
make build >/dev/null
out=bench/out; mkdir -p "$out"
video=/usr/share/doc/opencv-doc/examples/data/vtest.avi
zoo=build/bench-zoo
# The seed's 4 models of similar size (default zoo: ResNet-like, 1.14 GFLOPs per image).
[ -f $zoo/zoo3.onnx ] || build/mvinfer zoo --out $zoo --count 4 >/dev/null
zoo4=(--model "$zoo/zoo0.onnx" --model "$zoo/zoo1.onnx" --model "$zoo/zoo2.onnx" --model "$zoo/zoo3.onnx")
# Two tiny models (64x64, width 8, depth 1: a fraction of a millisecond per frame), for runs that
# measure the plumbing rather than inference (memory.sh, corrupt.sh, signals.sh).
tiny=$zoo/tiny
[ -f $tiny/zoo1.onnx ] || build/mvinfer zoo --out $tiny --count 2 --input 3x64x64 --width 8 --depth 1 >/dev/null
# Rounds per measurement: `bench --repeat` runs the limit probe and every strategy in this many
# interleaved rounds and reports each ratio as the median over them; the checks read medians.
REPEAT=${REPEAT:-3}

# Reading a `bench --json` report without jq. The layout is nlohmann's dump(2): a strategy's
# keys are indented 6 spaces, its "rounds" figures 8, their median/min/max 10.
strategies_in() {  # $1 report: the strategy names, in order
  awk '/^      "name": /{gsub(/[",]/, "", $2); print $2}' "$1"
}
figure_of() {  # $1 report, $2 strategy, $3 figure (limit_ratio, wall_s, ...), $4 median|min|max
  awk -v s="\"$2\"," -v k="        \"$3\": {" -v f="\"$4\":" '
    /^      "name": / { in_s = ($2 == s) }
    in_s && index($0, k) == 1 { in_k = 1 }
    in_k && $1 == f { gsub(/,/, "", $2); print $2; exit }' "$1"
}
range_of() {  # $1 report, $2 strategy, $3 figure: "median (min-max)"
  printf '%.3f (%.3f-%.3f)' "$(figure_of "$1" "$2" "$3" median)" "$(figure_of "$1" "$2" "$3" min)" \
    "$(figure_of "$1" "$2" "$3" max)"
}
auto_vs_best_fixed() {  # $1 report, $2 median|min|max: auto's wall / the best other's, per round
  awk -v f="\"$2\":" '/^  "auto_vs_best_fixed": \{/ { a = 1 }
    a && $1 == f { gsub(/,/, "", $2); print $2; exit }' "$1"
}
median() {  # the median of the numbers given as arguments
  printf '%s\n' "$@" | sort -g |
    awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# ---- The robustness sweeps' cases (corrupt.sh, signals.sh) ----
# A case runs in a directory of its own: mvinfer starts in DIR/cwd with TMPDIR=DIR/tmp, writes
# its results under DIR/out, its stdout and stderr to DIR/stdout and DIR/stderr, and its pid to
# DIR/pid. Afterwards DIR/cwd, DIR/tmp and DIR/out (but for the results) must be empty, /dev/shm
# must hold nothing new, and no process may still have DIR in its command line.
mvinfer=$PWD/build/mvinfer

# start_case DIR LIMIT ARGS...: starts `mvinfer ARGS` in the background under
# `timeout -s KILL LIMIT` (which leaves SIGINT at its default, unlike a plain `&`); sets case_job
# (the timeout's pid, for `wait`). The case's own pid is in DIR/pid as soon as it runs.
start_case() {
  local dir=$1 limit=$2
  shift 2
  mkdir -p "$dir/cwd" "$dir/tmp" "$dir/out"
  # shellcheck disable=SC2016  # $$ is the inner shell's, which then becomes mvinfer
  (cd "$dir/cwd" && TMPDIR=$dir/tmp exec timeout -s KILL "$limit" \
    bash -c 'echo $$ >"$0"; exec "$@"' "$dir/pid" "$mvinfer" "$@" >"$dir/stdout" 2>"$dir/stderr") &
  case_job=$!
}

# wait_case: waits for the case started last; sets rc (128 + N: it died of signal N; 137 after
# LIMIT also when timeout killed it). The shell's own "Killed" notice is not printed.
wait_case() {
  rc=0
  { wait "$case_job" || rc=$?; } 2>/dev/null
  case_job=""
}

# check_jsonl FILE: "LINES BAD NEWLINE ORDERED PER_MODEL" for a --out file: its lines, how many
# are not one JSON object with a batch and a model, 1 when it ends with '\n' (or is empty or
# missing), 1 when every model's batches run 0, 1, 2, ... without a gap and the file never goes
# back a batch, and each model's line count ("zoo0=12,zoo1=11"; "-" when none).
check_jsonl() {
  perl -MJSON::PP -e '
    my ($n, $bad, $nl, $ord, $last, %next) = (0, 0, 1, 1, 0);
    if (open my $h, "<", $ARGV[0]) {
      local $/;
      my $s = <$h> // "";
      $nl = 0 if length $s && substr($s, -1) ne "\n";
      for my $l (split /\n/, $s) {
        ++$n;
        my $j = eval { decode_json($l) };
        if (ref $j ne "HASH" || !defined $j->{batch} || !defined $j->{model}) { ++$bad; next }
        my ($b, $m) = ($j->{batch}, $j->{model});
        $ord = 0 if $b < $last || $b != ($next{$m} // 0);
        ($last, $next{$m}) = ($b, $b + 1);
      }
    }
    my $per = join(",", map { "$_=$next{$_}" } sort keys %next) || "-";
    print "$n $bad $nl $ord $per\n"' "$1"
}

# shm_list: the entries of /dev/shm, sorted, one a line (a case compares them before and after).
shm_list() { find /dev/shm -mindepth 1 -maxdepth 1 -printf '%f\n' | sort; }
# shm_new BEFORE PID: entries that are not in BEFORE (a shm_list); the segments of other mvinfer
# runs on the machine (mvinfer-OTHERPID-N) are not this case's.
shm_new() {
  comm -13 <(printf '%s\n' "$1") <(shm_list) |
    awk -v p="mvinfer-$2-" '!/^mvinfer-[0-9]+-/ || index($0, p) == 1' | tr '\n' ' '
}

# files_left DIR [KEEP]: what the case left in DIR/cwd, DIR/tmp and DIR/out, but DIR/out/KEEP.
files_left() {
  (cd "$1" && find cwd tmp out -mindepth 1 ! -path "out/${2:-}" -printf '%p ')
}

# procs_left DIR: pids of processes that still have DIR in their command line after dying
# workers had 2 s to go (the case's own and its forked workers'); empty when none.
procs_left() {
  local pids=""
  for _ in $(seq 20); do
    pids=$(pgrep -f -- "$1/" | tr '\n' ' ') || true
    [ -z "$pids" ] && return 0
    sleep 0.1
  done
  echo "$pids"
}
