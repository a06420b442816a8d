#!/usr/bin/env bash
# Checks that a bench chart renders: headless Chromium (Debian package chromium, installed
# here when missing) screenshots the SVG to a PNG next to it.
#   bench/render_svg.sh [bench/out/seed.svg]
set -euo pipefail
cd "$(dirname "$0")/.."
svg=${1:-bench/out/seed.svg}
[ -f "$svg" ] || { echo "render_svg: '$svg' not found (run bench/seed.sh first)" >&2; exit 1; }
if ! command -v chromium >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
png=${svg%.svg}.png
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
width=$(sed -n 's/.*<svg[^>]* width="\([0-9]*\)".*/\1/p' "$svg" | head -1)
height=$(sed -n 's/.*<svg[^>]* height="\([0-9]*\)".*/\1/p' "$svg" | head -1)
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --window-size="${width:-900},${height:-600}" \
  --screenshot="$(realpath -m "$png")" "file://$(realpath "$svg")" >/dev/null 2>&1
[ -s "$png" ] || { echo "render_svg: chromium wrote no screenshot" >&2; exit 1; }
echo "rendered $svg -> $png ($(stat -c %s "$png") bytes)"
