# The short commands. The real build is CMake (see CMakeLists.txt).
#   make          build (release build with debug info) into build/release
#   make demo     install dependencies, build, run the walkthrough demo
#   make test     install dependencies, build, run every suite
#   make asan     the test suite again under AddressSanitizer + UBSan
#   make tsan     the thread-heavy suites under ThreadSanitizer
#   make bench    benchmarks (results: bench/RESULTS.md)
#   make fuzz     build the libFuzzer targets and run each briefly
#   make install  build perch and install it under PREFIX (default /usr/local),
#                 staged under DESTDIR when set; make uninstall removes it again
#   make deb      a Debian package (CPack) in $(BUILD): apt-get install ./perch_*.deb
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build/release
CMAKE_FLAGS ?=
WERROR ?= OFF
CTEST_FLAGS ?=

.PHONY: all build deps demo test asan tsan bench fuzz clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPERCH_WERROR=$(WERROR) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: deps build
	@scripts/demo.sh $(BUILD)

test: deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_FLAGS)

asan: deps
	cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DPERCH_SANITIZE=asan -DPERCH_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build build/asan -j $(JOBS)
	cd build/asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) $(CTEST_FLAGS)

tsan: deps
	cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DPERCH_SANITIZE=tsan -DPERCH_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build build/tsan -j $(JOBS)
	cd build/tsan && ctest --output-on-failure -j $(JOBS) -L tsan $(CTEST_FLAGS)

bench: deps build
	@scripts/bench.sh $(BUILD)

fuzz: deps
	@scripts/fuzz.sh

clean:
	rm -rf build

# Installation (DESTDIR and PREFIX as in every Unix tool): the files written are
# listed in $(BUILD)/install_manifest.txt, which `make uninstall` removes.
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: install uninstall deb

install: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target perch_installables
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

uninstall:
	DESTDIR="$(DESTDIR)" packaging/uninstall.sh $(BUILD)/install_manifest.txt

# Reconfigures first so the package carries the current version (git describe).
deb: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPERCH_WERROR=$(WERROR) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS) --target perch_installables
	rm -f $(BUILD)/perch_*.deb
	cd $(BUILD) && cpack -G DEB
	@ls $(BUILD)/perch_*.deb
