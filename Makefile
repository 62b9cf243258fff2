# The two set-up commands: `make demo` and `make test`. Each installs what it needs first.

CARGO ?= cargo
# The last stage that is implemented; drop this once every stage is.
DEMO_UNTIL ?= keyframes
DEMO_VIBE ?= sci-fi

.PHONY: all deps build demo test bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(CARGO) build --release

demo: build
	@DEMO_UNTIL=$(DEMO_UNTIL) DEMO_VIBE=$(DEMO_VIBE) scripts/demo.sh

test: deps
	$(CARGO) test --release -- --test-threads=2

bench: build
	@scripts/bench.sh

clean:
	$(CARGO) clean
	rm -rf demo
