#!/usr/bin/env bash
# Regenerates the app icons from nothing but ImageMagick 6 (apt: imagemagick) and the
# DejaVu fonts: a teal ticket (a rounded square with a notch on each side) marked "ct".
# Run from anywhere; writes beside this script. The PNGs are committed, so the build
# never needs this.
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
  -define png:color-type=6 PNG32:icon.png

for s in 32 128 256; do
  "$IM" icon.png -resize "${s}x${s}" -define png:color-type=6 "PNG32:${s}x${s}.png"
done
mv 256x256.png '128x128@2x.png'
