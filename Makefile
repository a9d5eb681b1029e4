# Thin wrapper over CMake presets. `make demo` and `make test` install their own dependencies.
.PHONY: deps build test test-asan test-asan-all demo bench golden clean

deps:
	@scripts/install-deps.sh

# The binary and the Python package (docs/python.md); tests and benchmarks build under
# `make test`/`bench`.
build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j2 --target gpuplan_bin gpuplan_python

# The test command of the README and of CI: warnings as errors, all tests, including the
# report's real-browser test (hence chromium) and the round trip through a real Slurm.
test:
	@scripts/install-deps.sh --browser --slurm --python
	cmake --preset ci >/dev/null
	cmake --build --preset ci -j2
	ctest --preset ci -j2

# ASan + UBSan over the modules that read untrusted bytes or do index and pointer work: units,
# config, catalog, model, sizing, trace (parsers), scenario, sim (the event kernel). buy, plan, report and
# cli are orchestration over those and run unsanitized in `make test`; building them twice more
# than doubled CI (29 min on 2 cores). `make test-asan-all` sanitizes everything.
# Then a short libFuzzer run (clang, ASan + UBSan) of the byte parsers: the trace readers (in
# memory and through blocks), StreamTrace against the whole read (fuzz_stream), and the TOML
# guard, 5 s each. Measured on a loaded 2-core box, no ccache: building fuzz_trace and fuzz_toml
# took 94 CPU-s (fuzz_stream adds one file over the same trace library); adding fuzz_scenario
# and fuzz_simulate (which build sim, sizing, model, catalog and scenario again under clang) took
# 342 CPU-s, so those two are fuzzed by `make test-asan-all` only.
# The committed corpora and crash regressions of all five fuzz targets replay under ASan + UBSan
# too (their replay binaries link only modules built above: two small files each).
# Not under the sanitizers: the queueing-theory runs (M/M/c against Erlang C, two classes against
# Cobham), long statistical runs of code the other sim tests cover: 113 of the 242 s of sanitized
# test time (2026-12-02). `make test` runs them.
ASAN_SLOW := MmcTest|TwoPriorityClassesMatchCobham
ASAN_MODULES := units config catalog model sizing trace scenario sim
FUZZ_TARGETS := fuzz_trace fuzz_stream fuzz_simulate fuzz_scenario fuzz_toml
test-asan:
	@scripts/install-deps.sh
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j2 --target $(addsuffix _tests,$(ASAN_MODULES)) \
	  $(addsuffix _replay,$(FUZZ_TARGETS))
	ctest --preset asan -j2 -R '^($(subst $(eval) ,|,$(ASAN_MODULES) fuzz))/' -E '$(ASAN_SLOW)'
	tests/fuzz/run.sh 5 fuzz_trace fuzz_stream fuzz_toml

test-asan-all:
	@scripts/install-deps.sh --browser --slurm --python
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j2
	ctest --preset asan -j2
	tests/fuzz/run.sh 8

demo: build
	build/release/gpuplan plan --objective service-level --out report

bench: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j2
	bench/run.sh

# Rewrites tests/golden/ from gpuplan's own report of the default scenario (after an intended
# change to the plan: review the diff, commit it with the change).
golden:
	cmake --preset ci >/dev/null
	scripts/update-golden.sh build/ci

clean:
	rm -rf build
