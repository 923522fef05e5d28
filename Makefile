# Thin wrappers over CMake. `make run` and `make test` are all a fresh
# Debian 12 machine needs: both install what is missing first.
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
BENCH_FLAGS ?=

PREFIX ?= /usr/local

.PHONY: all deps deps-run build run test test-asan fuzz test-tsan bench install install-ruby lint format clean

all: build

# What running needs (`make run`, `make build`), and what the tests need
# on top of it (scripts/install-deps says which packages each set holds).
deps-run:
	@scripts/install-deps run

deps:
	@scripts/install-deps test

# A new build tree is configured without tests and benchmarks, so that the
# first `make run` compiles only cctv; `make test` turns them on.
$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCCTV_BUILD_TESTS=OFF -DCCTV_BUILD_BENCH=OFF \
	      $(CMAKE_FLAGS)

build: deps-run $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The main job: the HTTP API and the dashboard on the embedded store in
# ./cctv-data; it prints the dashboard's URL. Ctrl-C stops it gracefully.
run: deps-run $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target cctv_cli
	$(BUILD)/cctv --store rocksdb:./cctv-data serve

test: deps $(BUILD)/CMakeCache.txt
	cmake -S . -B $(BUILD) -DCCTV_BUILD_TESTS=ON -DCCTV_BUILD_BENCH=ON -DCCTV_BUILD_BINDINGS=ON
	cmake --build $(BUILD) -j $(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCCTV_SANITIZE=ON -DCCTV_BUILD_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# ThreadSanitizer, in a build of its own (it cannot share one with ASan),
# optimized because instrumented code runs several times slower. Tests get
# their TSAN_OPTIONS from CTest (tests/CMakeLists.txt, tests/tsan.supp); a
# test binary run by hand needs them too:
#   TSAN_OPTIONS=ignore_noninstrumented_modules=1:suppressions=tests/tsan.supp \
#     build-tsan/tests/tracker_tests
test-tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCCTV_TSAN=ON -DCCTV_BUILD_BENCH=OFF
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	ctest --test-dir $(TSAN_BUILD) --output-on-failure -j $(JOBS)

# Every libFuzzer target (tests/fuzz/) for FUZZ_SECONDS each, built with
# clang under ASan and UBSan; exits non-zero when one finds a crash.
fuzz: deps
	@scripts/install-deps fuzz
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
	      -DCCTV_FUZZ=ON -DCCTV_BUILD_TESTS=OFF -DCCTV_BUILD_BENCH=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	scripts/run-fuzzers $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: deps $(BUILD)/CMakeCache.txt
	@scripts/install-deps bench
	cmake -S . -B $(BUILD) -DCCTV_BUILD_BENCH=ON -DCCTV_BUILD_BINDINGS=ON
	cmake --build $(BUILD) -j $(JOBS)
	bench/run.sh $(BUILD) $(BENCH_FLAGS)
	bench/bindings.sh $(BUILD)
	bench/dynamo_bench.sh $(BUILD)
	bench/serve_bench.sh $(BUILD)
	bench/soak.sh $(BUILD)

install: build
	cmake --install $(BUILD)

# The Ruby gem from this repository: libcctv into PREFIX (default
# /usr/local; as root, or with sudo), then `gem build` and `gem install`,
# which compiles the extension against it.
install-ruby: build
	@scripts/install-deps ruby
	cmake --install $(BUILD) --prefix $(PREFIX)
	cd bindings/ruby && gem build cctv.gemspec --output $(abspath $(BUILD))/cctv.gem
	gem install --local --no-document $(BUILD)/cctv.gem -- --with-cctv-dir=$(PREFIX)

lint: build
	run-clang-tidy -p $(BUILD) -quiet 'src/.*'

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
