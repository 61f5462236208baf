#!/usr/bin/env bash
# Regenerates the app icons: the one source image (source.png, 512×512) from nothing
# but ImageMagick 6 (apt: imagemagick) and the DejaVu fonts — a teal ticket (a rounded
# square with a notch on each side) marked "ct" — then every platform's sizes and
# formats from it with the Tauri CLI (`cargo tauri icon`: PNGs for Linux, .ico and the
# Square logos for Windows, .icns for macOS). Run from anywhere; writes beside this
# script. The icons are committed, so the build never needs this.
set -euo pipefail
cd "$(dirname "$0")"
IM=/usr/bin/convert # the real ImageMagick, not a wrapper earlier on PATH
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf

# 512×512: the ticket body, then punch the two notches out of its sides (DstOut).
"$IM" -size 512x512 xc:none \
  -fill '#0f766e' -draw 'roundrectangle 24,56 488,456 72,72' \
  \( -size 512x512 xc:none -fill black \
     -draw 'circle 24,256 24,300' -draw 'circle 488,256 488,300' \) \
  -compose DstOut -composite \
  -fill none -stroke '#99f6e4' -strokewidth 6 \
  -draw 'stroke-dasharray 18 14 line 392,104 392,408' \
  -stroke none -fill white -font "$FONT" -pointsize 230 \
  -gravity center -annotate +-46+-12 'ct' \
  -define png:color-type=6 PNG32:source.png

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo tauri icon source.png --output "$out" >/dev/null
# The desktop platforms' files; the mobile ones (android/, ios/) are not shipped.
cp "$out"/*.png "$out"/icon.ico "$out"/icon.icns .
# Linux's icon theme wants a plain 256×256 besides the 128 @2x one.
cp '128x128@2x.png' 256x256.png
