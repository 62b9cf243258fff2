#!/usr/bin/env bash
# Benchmarks, reported as ratios against a baseline measured in the same run (this machine is shared and noisy,
# so bare seconds mean little). Usage: scripts/bench.sh [FILM] ; REPS=N for more repetitions (medians are used);
# SKIP_UNDERSTANDING=1 / SKIP_MEMORY=1 / SKIP_SHOTS=1 / SKIP_BEATS=1 / SKIP_CONFORM=1 to leave out parts.
set -euo pipefail
cd "$(dirname "$0")/.."

film="${1:-../shared/media/tears_of_steel/tears_of_steel_1280x534.mp4}"
subs="${film%/*}/tears_of_steel.en.srt"
reps="${REPS:-3}"
bin=target/release/cinecut
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {print b - a}'; }
ratio() { awk -v a="$1" -v b="$2" -v t="$3" -v what="$4" 'BEGIN {printf "%-48s %6.2fx   (target <= %s)\n", what, a / b, t}'; }

echo "== speed: $film ($reps runs each, medians) =="
sub_args=()
[ -f "$subs" ] && sub_args=(-s "$subs")
declare -a base=() proxy=() ingest=()
for _ in $(seq "$reps"); do
  t0=$(now); ffmpeg -hide_banner -nostdin -loglevel error -i "$film" -map 0:v:0 -f null - ; t1=$(now)
  base+=("$(elapsed "$t0" "$t1")")
  t0=$(now); "$bin" "$film" -v action --until proxy --fresh --quiet --work-dir "$work/w" -o "$work/out.mp4"; t1=$(now)
  proxy+=("$(elapsed "$t0" "$t1")")
  t0=$(now); "$bin" "$film" "${sub_args[@]}" -v action --until keyframes --fresh --quiet --work-dir "$work/w" -o "$work/out.mp4"; t1=$(now)
  ingest+=("$(elapsed "$t0" "$t1")")
done
b=$(printf '%s\n' "${base[@]}" | median)
ratio "$(printf '%s\n' "${proxy[@]}" | median)" "$b" 1.5 "stage proxy / bare ffmpeg video decode"
ratio "$(printf '%s\n' "${ingest[@]}" | median)" "$b" 1.7 "proxy+subtitles+keyframes / bare decode"

if [ -z "${SKIP_UNDERSTANDING:-}" ]; then
  echo "== understanding: built-in analyzer and sentence embeddings (targets: >= 200 keyframes/s, 1,000 lines < 5 s) =="
  cargo build --release --quiet --examples
  # The work dir of the speed runs above has the keyframes.
  target/release/examples/bench_inference "$work/w" "$((reps * 2 + 1))"
  target/release/examples/bench_embed
fi

if [ -z "${SKIP_MEMORY:-}" ]; then
  echo "== memory: peak RSS of cinecut itself (not FFmpeg), 12-minute vs 2-hour synthetic film =="
  for mins in 12 120; do
    f="$work/synth_${mins}m.mp4"
    ffmpeg -hide_banner -nostdin -loglevel error -f lavfi -i "testsrc2=s=320x180:r=24:d=$((mins * 60))" \
      -f lavfi -i "sine=f=440:r=48000:d=$((mins * 60))" -map 0:v -map 1:a -c:v libx264 -preset ultrafast \
      -c:a aac -y "$f"
    read -r secs kb < <(python3 bench/peak_rss.py "$bin" "$f" -v action --until proxy --fresh --quiet \
      --work-dir "$work/m$mins" -o "$work/out.mp4")
    echo "$mins-minute film: ${kb} KB peak RSS (${secs} s)"
    eval "rss_$mins=$kb"
  done
  awk -v a="$rss_12" -v b="$rss_120" 'BEGIN {printf "%-48s %6.2fx   (target within 20%%, both under 300 MB)\n", "peak RSS 2-hour / 12-minute", b / a}'
fi

if [ -z "${SKIP_SHOTS:-}" ]; then
  echo "== shot detection: CineCut vs PySceneDetect detect-content (default settings) =="
  venv="${CINECUT_BENCH_VENV:-$HOME/.cache/cinecut-bench-venv}"
  if [ ! -x "$venv/bin/scenedetect" ]; then
    python3 -m venv "$venv"
    # OpenCV 5 dropped APIs PySceneDetect still imports; 4.x is what it supports.
    "$venv/bin/pip" install -q scenedetect 'opencv-python-headless<5'
  fi
  python3 bench/shots.py "$bin" "$venv/bin/scenedetect" "$work/shots"
fi

if [ -z "${SKIP_BEATS:-}" ]; then
  # SKIP_BEATS=1 leaves this out. One run: the accuracy is deterministic, and the 4-minute timing is already a median.
  echo "== beat tracking: 200 generated click and drum tracks, 70-170 BPM, swing, ±2 % drift, leading silence =="
  cargo run --release --quiet --example beat_accuracy || echo "beat tracking: below target (see above)"
fi

if [ -z "${SKIP_CONFORM:-}" ]; then
  # The stages up to the cut list once; then, timed as whole commands (each also redoes the timeline and the
  # sound mix): the manifest rendered with no pieces cached, against one plain FFmpeg command encoding as many
  # frames of the film with the same x264 settings; and the manifest with one clip changed, against the full one.
  preset="${PRESET:-medium}"
  vibe="${VIBE:-thriller}"
  echo "== conform: a $vibe trailer of $(basename "$film"), x264 preset $preset =="
  cw="$work/conform"
  "$bin" "$film" "${sub_args[@]}" -v "$vibe" --until narrative --quiet --work-dir "$cw" -o "$work/trailer.mp4"
  cp "$cw/TRAILER_MANIFEST.json" "$work/original.json"
  declare -a full=() plain=() edit=()
  for r in $(seq "$reps"); do
    rm -rf "$cw/render/pieces" "$work/trailer.mp4"
    t0=$(now); "$bin" --manifest "$work/original.json" --preset "$preset" --quiet --work-dir "$cw" -o "$work/trailer.mp4"; t1=$(now)
    full+=("$(elapsed "$t0" "$t1")")
    frames=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["frames"])' "$cw/timeline.json")
    t0=$(now)
    ffmpeg -hide_banner -nostdin -loglevel error -ss 60 -i "$film" -frames:v "$frames" -an -c:v libx264 -profile:v high \
      -pix_fmt yuv420p -crf 18 -preset "$preset" -y "$work/plain.mp4"
    t1=$(now)
    plain+=("$(elapsed "$t0" "$t1")")
    # Move one act-2 clip 3 s later in the film (a different clip each repetition) and render again.
    python3 - "$work/original.json" "$work/edited.json" "$r" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
act2 = [c for c in m["clips"] if c["act"] == "act2"]
c = act2[int(sys.argv[3]) % len(act2)]
c["source_start_s"] += 3.0
c["source_end_s"] += 3.0
json.dump(m, open(sys.argv[2], "w"), indent=2)
PY
    t0=$(now); "$bin" --manifest "$work/edited.json" --preset "$preset" --quiet --work-dir "$cw" -o "$work/edited.mp4"; t1=$(now)
    edit+=("$(elapsed "$t0" "$t1")")
  done
  f=$(printf '%s\n' "${full[@]}" | median)
  p=$(printf '%s\n' "${plain[@]}" | median)
  e=$(printf '%s\n' "${edit[@]}" | median)
  echo "$frames frames: full render $f s, plain encode $p s, render after the edit $e s"
  ratio "$f" "$p" 3 "conform / plain x264 encode of as many frames"
  ratio "$e" "$f" 0.3 "render after one clip changed / full render"
fi
