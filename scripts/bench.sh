#!/usr/bin/env bash
# Benchmarks, reported as ratios against a baseline measured in the same run (this machine is shared and noisy,
# so bare seconds mean little). Usage: scripts/bench.sh [FILM] ; REPS=N for more repetitions (median is used).
set -euo pipefail
cd "$(dirname "$0")/.."

film="${1:-../shared/media/tears_of_steel/tears_of_steel_1280x534.mp4}"
reps="${REPS:-3}"
bin=target/release/cinecut
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -a base=() proxy=()
for _ in $(seq "$reps"); do
  t0=$(now); ffmpeg -hide_banner -nostdin -loglevel error -i "$film" -map 0:v:0 -f null - ; t1=$(now)
  base+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
  t0=$(now); "$bin" "$film" -v action --until proxy --fresh --quiet --work-dir "$work/w" -o "$work/out.mp4"; t1=$(now)
  proxy+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
done
b=$(printf '%s\n' "${base[@]}" | median)
p=$(printf '%s\n' "${proxy[@]}" | median)
echo "film: $film ($reps runs, medians)"
awk -v p="$p" -v b="$b" 'BEGIN {printf "stage proxy / bare ffmpeg video decode: %.2fx   (target <= 1.5x)\n", p / b}'
