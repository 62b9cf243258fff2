#!/usr/bin/env bash
# Get the sample film (Tears of Steel, (CC) Blender Foundation | mango.blender.org) and make a trailer of it.
set -euo pipefail
cd "$(dirname "$0")/.."

demo=demo
shared=../shared/media/tears_of_steel
mkdir -p "$demo"
film="$demo/tears_of_steel.mp4"
subs="$demo/tears_of_steel.en.srt"
if [ -d "$shared" ]; then
  # Links keep the work dir and the trailer in demo/ while the film stays where it is.
  ln -sf "$(cd "$shared" && pwd)/tears_of_steel_1280x534.mp4" "$film"
  ln -sf "$(cd "$shared" && pwd)/tears_of_steel.en.srt" "$subs"
else
  mirror=https://download.blender.org/demo/movies/ToS
  [ -s "$film" ] || curl -fL --retry 3 -o "$film.part" "$mirror/tears_of_steel_720p.mov" && mv "$film.part" "$film"
  [ -s "$subs" ] || curl -fL --retry 3 -o "$subs.part" "$mirror/subtitles/TOS-en.srt" && mv "$subs.part" "$subs"
fi

echo "Tears of Steel: (CC) Blender Foundation | mango.blender.org"
# One trailer per vibe; the film is analysed once (the later vibes reuse the work dir's analysis).
# DEMO_ARGS (from the Makefile) holds plain options only, so word splitting is what we want.
for vibe in ${DEMO_VIBES:-sci-fi thriller drama}; do
  # shellcheck disable=SC2086
  target/release/cinecut "$film" -s "$subs" -v "$vibe" ${DEMO_ARGS:-}
  trailer="$demo/tears_of_steel_trailer_${vibe//-/_}.mp4"
  if [ -f "$trailer" ]; then echo "demo trailer ($vibe): $trailer"; fi
done
echo "demo work dir: $demo/tears_of_steel_cinecut_work"
