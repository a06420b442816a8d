# mvinfer: three entry points, each works on a fresh Debian 12 machine.
#   make        set up (idempotent) + build
#   make demo   set up + build + run BlazeFace, PaddleOCR det -> cls -> rec and a zoo classifier
#               (every 4th frame) on Megamind.avi: results in demo/results.jsonl, drawn in
#               demo/overlay.mp4
#   make test   set up + build + CTest
#   make gpu    set up with ONNX Runtime's CUDA provider (scripts/setup --gpu) + build
#   make asan / make tsan: the tests under AddressSanitizer+UBSan / ThreadSanitizer
#   make fuzz-smoke: the libFuzzer targets (fuzz/, clang) built in build-fuzz and run briefly
#               over their seed corpora; `make test` runs it after CTest when clang++ is there
#   make format / make format-check: clang-format (.clang-format) over our sources
BUILD ?= build
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc)
MEGAMIND ?= /usr/share/doc/opencv-doc/examples/data/Megamind.avi

.PHONY: all setup gpu build demo test fuzz-build fuzz-smoke asan tsan format format-check clean
all: build

setup:
	@bash scripts/setup

# ONNX Runtime's CUDA and TensorRT providers (179 MB), then the build: `--provider cuda` needs it.
gpu:
	@bash scripts/setup --gpu
	@$(MAKE) --no-print-directory build

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@mkdir -p demo
	$(BUILD)/mvinfer zoo --out demo/zoo --count 1
	$(BUILD)/mvinfer run --video $(MEGAMIND) --frames 120 --size 256x256 \
	  --config configs/blazeface.yaml --config configs/ocr.yaml \
	  --model demo/zoo/zoo0.onnx:name=zoo,interval=4,decode=classify,topk=3 \
	  --out demo/results.jsonl --overlay demo/overlay.mp4
	@echo "demo: $$(wc -l < demo/results.jsonl) result lines in demo/results.jsonl; the video with them drawn: demo/overlay.mp4"

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@if command -v clang++ >/dev/null; then $(MAKE) --no-print-directory fuzz-smoke; \
	else echo "test: no clang++, so no fuzz smoke tests (scripts/setup installs clang)"; fi

# The fuzz targets: our code under libFuzzer + ASan + UBSan (clang only; bench/fuzz.sh runs them
# for a budget). Only the library, the targets and their seed maker are built here.
fuzz-build: setup
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DMVINFER_FUZZ=ON -DMVINFER_BUILD_TESTS=OFF -DMVINFER_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all

fuzz-smoke: fuzz-build
	@cd $(FUZZ_BUILD) && ctest --output-on-failure -j $(JOBS)

# Sanitizer builds of our code (ONNX Runtime itself is not instrumented). TSan runs the
# concurrent strategies in-process; `processes` forks, which TSan does not support.
# ASan unwinds with frame pointers (5x faster than fast_unwind_on_malloc=0 over the CLI tests);
# OpenCV's gphoto2 backend is left out of the fallbacks a file that FFmpeg cannot open goes
# through: it loads ~60 camera drivers per try and leaks in them, unloaded before LeakSanitizer
# reports, so tests/lsan.supp cannot name them (as in fuzz/run_fuzzer.sh).
asan: setup
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMVINFER_SANITIZE=address,undefined \
	  -DMVINFER_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 OPENCV_VIDEOIO_PRIORITY_GPHOTO2=0 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -E InstallAndFindPackage

tsan: setup
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMVINFER_SANITIZE=thread \
	  -DMVINFER_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	@# ignore_noninstrumented_modules=1: memset/memcpy interceptors called from inside ONNX Runtime (not
	@# built with TSan) are not checked. Without it, each 10 MB memset in ORT walks TSan's race report path
	@# for every shadow cell (suppressed, but slowly): GraphStrategies/coroutines took >300 s on CI and timed
	@# out. Our own code's accesses (and ORT's use of our mutexes) are still checked.
	@cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$(CURDIR)/tests/tsan.supp \
	  ctest --output-on-failure -j $(JOBS) \
	    -R 'Conformance|MultiStream|Threads|Coroutines|Pipeline|ModelFailure.Library|BoundedQueue|OrderedEmitter|FirstError|BatchFanout|Observer|TraceObserver|GraphStrategies|SerialWorker' \
	    -E 'processes'

SOURCES = $(shell git ls-files '*.cc' '*.h')
format:
	@clang-format -i $(SOURCES)

format-check:
	@clang-format --dry-run -Werror $(SOURCES)
	@echo "format: $(words $(SOURCES)) files formatted as .clang-format says"

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) build-asan build-tsan demo
