#!/usr/bin/env bash
# run_fuzzer.sh BINARY SEEDS [libFuzzer flags ...]: runs one fuzz target over its seed corpus
# with the project's sanitizer settings, as the smoke tests and bench/fuzz.sh do.
# run_fuzzer.sh BINARY INPUT: runs the target once on one input (a finding's artifact) with the
# same settings and with the libraries' stderr open (MVINFER_LIB_LOGS=1): mvinfer silences it
# around calls that chatter (library_logs.h), so a library that aborts there leaves no report.
#   - New inputs go to a scratch corpus (removed afterwards), so SEEDS never changes and a
#     run with -seed=N -runs=M is repeatable; set FUZZ_CORPUS to keep them in a directory.
#   - An input that crashes, hangs (-timeout), leaks or trips a sanitizer is written to
#     FUZZ_ARTIFACTS (default ./artifacts) and the exit status is non-zero.
#   - fuzz/NAME.dict is passed for the target fuzz_NAME when it exists.
#   - onnx_model, image and video run with -detect_leaks=0 (a flag given here wins): ONNX
#     Runtime, OpenCV's codecs and FFmpeg keep allocations from one input to the next, so every
#     input looked like a leak candidate and libFuzzer scanned the heap after each (6 to 10x
#     slower). LeakSanitizer still checks the whole run when the process exits.
#   - OPENCV_IO_MAX_IMAGE_PIXELS (default 4194304) keeps an image header that claims a huge
#     picture from allocating gigabytes (OpenCV's own limit is 2^30 pixels).
#   - OPENCV_VIDEOIO_PRIORITY_GPHOTO2=0 takes OpenCV's gphoto2 backend out of the fallbacks a
#     video that FFmpeg cannot open goes through: it cannot read files (it looks the path up as
#     a camera's name), loads its ~60 camera drivers for every attempt (most of the time of one
#     input) and leaks 2502 bytes in them each time (tests/lsan.supp names libgphoto2, but the
#     drivers are unloaded by the time LeakSanitizer reports, so the suppression cannot match).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BINARY SEEDS|INPUT [libFuzzer flags ...]" >&2; exit 2; }
bin=$1 seeds=$2
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name=$(basename "$bin")
name=${name#fuzz_}

if [ -f "$seeds" ]; then
  export MVINFER_LIB_LOGS=1
  set -- "$@" "$seeds"
else
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/mvinfer-fuzz-run.XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
  corpus=${FUZZ_CORPUS:-$scratch/corpus}
  mkdir -p "$corpus"
  set -- "$@" "$corpus" "$seeds"
fi
artifacts=${FUZZ_ARTIFACTS:-$PWD/artifacts}
mkdir -p "$artifacts"

flags=(-artifact_prefix="$artifacts/" -print_final_stats=1)
[ -f "$here/$name.dict" ] && flags+=(-dict="$here/$name.dict")
case $name in onnx_model | image | video) flags+=(-detect_leaks=0) ;; esac

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/../tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export OPENCV_IO_MAX_IMAGE_PIXELS=${OPENCV_IO_MAX_IMAGE_PIXELS:-4194304}
export OPENCV_VIDEOIO_PRIORITY_GPHOTO2=${OPENCV_VIDEOIO_PRIORITY_GPHOTO2:-0}
status=0
"$bin" "${flags[@]}" "$@" || status=$?
exit $status
