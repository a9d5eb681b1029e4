# Thin wrapper over CMake presets. `make demo` and `make test` install their own dependencies.
.PHONY: deps build test test-asan demo bench golden clean

deps:
	@scripts/install-deps.sh

# The binary only: what `make demo` needs (tests and benchmarks build under `make test`/`bench`).
build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j2 --target gpuplan_bin

# The test command of the README and of CI: warnings as errors, all tests, including the
# report's real-browser test (hence chromium).
test:
	@scripts/install-deps.sh --browser
	cmake --preset ci >/dev/null
	cmake --build --preset ci -j2
	ctest --preset ci -j2

test-asan:
	@scripts/install-deps.sh --browser
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j2
	ctest --preset asan -j2

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
