#!/usr/bin/env bash
# The reference reader the export tests check CineCut's cut lists with: OpenTimelineIO and its CMX3600 and FCPXML
# adapters, from PyPI, in a virtual environment in ${XDG_CACHE_HOME:-$HOME/.cache}/cinecut/otio-venv (made once).
# Prints the venv's python. The package list is stamped into the venv last, so an interrupted install is redone.
set -euo pipefail

cache="${XDG_CACHE_HOME:-$HOME/.cache}/cinecut"
venv="$cache/otio-venv"
# Pinned, so a new release cannot change what "readable by the reference library" means under us.
pkgs=(opentimelineio==0.18.1 otio-cmx3600-adapter==1.0.0 otio-fcpx-xml-adapter==1.0.0)
stamp="${pkgs[*]}"

if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.cinecut-pkgs" 2>/dev/null)" = "$stamp" ]; then
  echo "$venv/bin/python"
  exit 0
fi
mkdir -p "$cache"
rm -rf "$venv"
# Made in place: a venv's paths are absolute, so it cannot be moved after.
if ! python3 -m venv "$venv" >&2; then
  rm -rf "$venv"
  echo "otio-venv: 'python3 -m venv' failed; install python3-venv (apt-get install python3-venv)" >&2
  exit 1
fi
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pkgs[@]}" >&2; then
  rm -rf "$venv"
  echo "otio-venv: 'pip install ${pkgs[*]}' failed; check the network and pip, then run 'make test' again" >&2
  exit 1
fi
echo "$stamp" >"$venv/.cinecut-pkgs"
echo "$venv/bin/python"
