#!/usr/bin/env bash
# Install what CineCut and its tests need, only if it is missing: FFmpeg ≥ 5.1 (with ffprobe), espeak-ng
# (synthetic voices for tests), DejaVu fonts with their light, condensed and bold faces (title cards) and OpenCV's
# Haar face cascade (opencv-data), Tesseract OCR (reads the film's own text on screen; optional at run time); for the
# tests, Chromium (the report is checked in a real browser) and Python's
# venv (the exports are read back with OpenTimelineIO, scripts/otio-venv.sh).
set -euo pipefail

need=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
if command -v fc-list >/dev/null 2>&1; then
  fc-list | grep -qi dejavu || need+=(fonts-dejavu-core)
  # The title cards' thin (ExtraLight) and condensed faces.
  fc-list | grep -qi 'DejaVuSans-ExtraLight' || need+=(fonts-dejavu-extra)
else
  need+=(fonts-dejavu-core fonts-dejavu-extra)
fi
face=haarcascades/haarcascade_frontalface_default.xml
[ -f "${CINECUT_FACE_CASCADE:-}" ] || [ -f /usr/share/opencv4/$face ] || [ -f /usr/share/opencv/$face ] ||
  need+=(opencv-data)
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
[ ${#need[@]} -eq 0 ] && exit 0

echo "installing: ${need[*]}"
if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
elif command -v brew >/dev/null 2>&1; then
  pkgs=()
  for p in "${need[@]}"; do
    case "$p" in
      fonts-dejavu-core) pkgs+=(font-dejavu) ;;
      fonts-dejavu-extra) ;; # Homebrew's font-dejavu has every face
      opencv-data) pkgs+=(opencv) ;; # Homebrew's opencv ships share/opencv4/haarcascades; set CINECUT_FACE_CASCADE
      tesseract-ocr) pkgs+=(tesseract) ;;
      chromium) ;; # the report test needs a Chromium on PATH: brew install --cask chromium
      python3-venv) ;; # Homebrew's python has venv
      *) pkgs+=("$p") ;;
    esac
  done
  brew install "${pkgs[@]}"
else
  echo "Please install ${need[*]} with your system's package manager (FFmpeg 5.1 or newer)." >&2
  exit 1
fi
