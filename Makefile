# Thin wrapper around CMake/CTest: `make demo` and `make test` do all the
# set-up a fresh Debian 12 machine needs (see README.md).
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps build demo test test-asan test-tsan fuzz clean

all: build

deps:
	@.ci/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVC_WERROR=ON $(CMAKE_ARGS)
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	tests/harness/vcall-harness --profile clean --duration 10 --build $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# Optimised (-O2 -g, frame pointers kept), as the sanitizers' own docs advise:
# at -O0 two ASan daemons at 640x480 saturate both cores, and the suite's
# real-time calls then measure the machine, not the call.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVC_ASAN=ON -DVC_UBSAN=ON $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j$(JOBS)

# ThreadSanitizer: the unit tests, then one two-daemon loopback call through
# the harness (with its clean-profile bars).  The call is 320x240: under TSan
# a 640x480 call misses the harness's latency bars (TSan's slowdown, not the
# daemon's), and those bars are not loosened for it.  tests/tsan.supp only
# names libraries that are not instrumented.
TSAN_OPTS = suppressions=$(CURDIR)/tests/tsan.supp:halt_on_error=1
test-tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVC_TSAN=ON -DVC_WERROR=ON $(CMAKE_ARGS)
	cmake --build $(TSAN_BUILD) -j$(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=$(TSAN_OPTS) ctest --output-on-failure -j$(JOBS) -L unit
	TSAN_OPTIONS=$(TSAN_OPTS) tests/harness/vcall-harness --profile clean --duration 5 \
		--size 320x240 --build $(TSAN_BUILD)

# libFuzzer targets (clang): make fuzz FUZZ_SECONDS=60
FUZZ_SECONDS ?= 30
fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DVC_FUZZ=ON -DBUILD_TESTING=ON $(CMAKE_ARGS)
	cmake --build $(FUZZ_BUILD) -j$(JOBS)
	@for t in $(FUZZ_BUILD)/tests/fuzz/fuzz_*; do \
		name=$$(basename $$t); mkdir -p $(FUZZ_BUILD)/corpus/$$name; \
		echo "== $$name"; \
		$$t -max_total_time=$(FUZZ_SECONDS) $(FUZZ_BUILD)/corpus/$$name tests/fuzz/corpus/$$name || exit 1; \
	done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
