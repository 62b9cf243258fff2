#!/usr/bin/env bash
# Get the sample film (Tears of Steel, (CC) Blender Foundation | mango.blender.org) and make trailers of it, with
# their cut lists for an editor and the report.
set -euo pipefail
cd "$(dirname "$0")/.."

demo=demo
shared=../shared/media/tears_of_steel
mkdir -p "$demo"
film="$demo/tears_of_steel.mp4"
subs="$demo/tears_of_steel.en.srt"
credit="(CC) Blender Foundation | mango.blender.org"
if [ -d "$shared" ]; then
  src="$shared/tears_of_steel_1280x534.mp4"
  ln -sf "$(cd "$shared" && pwd)/tears_of_steel.en.srt" "$subs"
else
  mirror=https://download.blender.org/demo/movies/ToS
  src="$demo/tears_of_steel_720p.mov"
  [ -s "$src" ] || { curl -fL --retry 3 -o "$src.part" "$mirror/tears_of_steel_720p.mov" && mv "$src.part" "$src"; }
  [ -s "$subs" ] || { curl -fL --retry 3 -o "$subs.part" "$mirror/subtitles/TOS-en.srt" && mv "$subs.part" "$subs"; }
fi
# A copy of the film (not re-encoded) that carries its credit in its tags, so the report credits every frame it
# shows. Made once: the work dir's analysis is keyed on this file.
if [ ! -s "$film" ] || [ -L "$film" ]; then
  rm -f "$film"
  ffmpeg -nostdin -v error -y -i "$src" -map 0:v:0 -map 0:a:0 -c copy -metadata copyright="$credit" \
    -f mp4 "$film.part"
  mv "$film.part" "$film"
fi

echo "Tears of Steel: (CC) Blender Foundation | mango.blender.org"
# One trailer per vibe; the film is analysed once (the later vibes reuse the work dir's analysis).
# DEMO_ARGS (from the Makefile) holds plain options only, so word splitting is what we want. A --review run
# stops before the render, so there is nothing to export.
exports=(--export otio,fcpxml,edl)
case " ${DEMO_ARGS:-} " in *" --review "*) exports=() ;; esac
for vibe in ${DEMO_VIBES:-sci-fi thriller drama}; do
  # shellcheck disable=SC2086
  target/release/cinecut "$film" -s "$subs" -v "$vibe" "${exports[@]}" ${DEMO_ARGS:-}
  trailer="$demo/tears_of_steel_trailer_${vibe//-/_}.mp4"
  if [ -f "$trailer" ]; then echo "demo trailer ($vibe): $trailer (cut lists beside it: .otio, .fcpxml, .edl)"; fi
done
echo "demo work dir: $demo/tears_of_steel_cinecut_work"
report="$demo/tears_of_steel_cinecut_work/report/index.html"
if [ -f "$report" ]; then echo "demo report (the last trailer's): $report"; fi
