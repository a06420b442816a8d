# Sourced by the bench scripts: builds, and names the shared inputs.
# shellcheck shell=bash
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
make build >/dev/null
out=bench/out; mkdir -p "$out"
video=/usr/share/doc/opencv-doc/examples/data/vtest.avi
zoo=build/bench-zoo
# The seed's 4 models of similar size (default zoo: ResNet-like, 1.14 GFLOPs per image).
[ -f $zoo/zoo3.onnx ] || build/mvinfer zoo --out $zoo --count 4 >/dev/null
zoo4=(--model $zoo/zoo0.onnx --model $zoo/zoo1.onnx --model $zoo/zoo2.onnx --model $zoo/zoo3.onnx)
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
