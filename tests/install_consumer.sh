#!/usr/bin/env bash
# Installs mvinfer from the build tree into a scratch prefix, then configures, builds and runs
# examples/consumer against it with find_package(mvinfer).
set -euo pipefail
build=$1 src=$2 video=$3 model=$4
prefix=$build/tests/tmp/install-prefix
rm -rf "$prefix" "$build/tests/tmp/consumer"
cmake --install "$build" --prefix "$prefix" >/dev/null
cmake -S "$src/examples/consumer" -B "$build/tests/tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build/tests/tmp/consumer" -j 2 >/dev/null
"$build/tests/tmp/consumer/consumer" "$video" "$model"
