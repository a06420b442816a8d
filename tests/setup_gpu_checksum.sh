#!/usr/bin/env bash
# scripts/setup --gpu refuses a package whose checksum differs: an `npm` on PATH that packs
# garbage stands in for a tampered registry. The run must fail naming the package and both
# sums, and leave no provider library and no stamp behind. Args: REPO_ROOT REAL_DEPS
set -euo pipefail
root=$1 real=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/deps"
cat >"$tmp/bin/npm" <<'NPM'
#!/usr/bin/env bash
echo "not the package" >"$(basename "$3" | tr '@/' '__').tgz"
NPM
chmod +x "$tmp/bin/npm"
# Everything but the GPU package is there already (copied: the test must not touch the cache).
cp -r "$real/onnxruntime-1.29.0" "$tmp/deps/"
rm -f "$tmp/deps/onnxruntime-1.29.0/.gpu" "$tmp/deps/onnxruntime-1.29.0/lib/libonnxruntime_providers_cuda.so" \
  "$tmp/deps/onnxruntime-1.29.0/lib/libonnxruntime_providers_tensorrt.so"
ln -s "$real/models" "$tmp/deps/models"
rc=0
PATH="$tmp/bin:$PATH" MVINFER_DEPS="$tmp/deps" bash "$root/scripts/setup" --gpu 2>"$tmp/err" || rc=$?
cat "$tmp/err"
[ "$rc" -ne 0 ] || { echo "FAIL: setup --gpu accepted a package with the wrong checksum"; exit 1; }
grep -q "checksum mismatch for npm package com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9: expected sha256 2b459e0c17f340c92970c10ed86de4f37a3009f93c14053e6ad4334cbb6be412, got " "$tmp/err" ||
  { echo "FAIL: the error does not name the package and both sums"; exit 1; }
[ ! -e "$tmp/deps/onnxruntime-1.29.0/.gpu" ] && [ ! -e "$tmp/deps/onnxruntime-1.29.0/lib/libonnxruntime_providers_cuda.so" ] ||
  { echo "FAIL: something was installed from the bad package"; exit 1; }
ls "$tmp/deps/npm"/*.tgz >/dev/null 2>&1 && { echo "FAIL: the bad tarball was kept in the cache"; exit 1; }
echo "PASS: setup --gpu refused the tampered package"
