# tinylpu: the two quick-start commands (`make run`, `make test`) and everyday targets.
# Every target first runs tools/bootstrap.sh, which installs only what is missing.
BUILD ?= build
JOBS ?= $(shell nproc)
VENV ?= .venv
ARGS ?=

.PHONY: run test bench perf-transformer build configure bootstrap doctor lint synth gen coverage \
	coverage-check coverage-report nightly formal fuzz mutate clean fpga perf

run: build
	$(BUILD)/bin/tinylpu run $(ARGS)

# Tests labelled `nightly` (the Icarus cross-check) run in `make nightly` instead.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE nightly
	@echo "synthesis gate (small config, word-level cells, RAMs as \$$mem_v2; 'make synth' maps to gates):"
	@grep -E "^ +[0-9]+ +(cells|\$$adff.*|\$$mem_v2)$$" $(BUILD)/synth/small.log.stat || true

build: configure
	cmake --build $(BUILD) -j $(JOBS)

configure: bootstrap
	@test -f $(BUILD)/build.ninja || \
	  cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -C $(VENV)/toolchain.cmake

bootstrap:
	@bash tools/bootstrap.sh

# Benchmarks (not tests): JSON figures, e.g. RTL against C++ model simulation speed.
bench: build
	$(BUILD)/bin/sim_speed

# Performance report (not a test; about half an hour): simulation speed of every engine and
# configuration (Verilator 1 and 2 threads, C++ model, Icarus), build time from clean, decode
# rate at the ECP5 Fmax; writes docs/performance.md and docs/perf/*.svg (build trees build-perf/).
perf: bootstrap
	@. $(VENV)/toolchain.sh && python3 bench/perf.py --jobs $(JOBS)

# FPGA flow (not a test; an hour or more): generic gates, ECP5 synthesis + place and route +
# bitstream for the ULX3S, iCE40 and Xilinx 7-series estimates; writes docs/fpga.md.
fpga: bootstrap
	@. $(VENV)/toolchain.sh && python3 fpga/flow.py

# Transformer schedules against their lower bounds, written into docs/performance.md.
perf-transformer: build
	$(BUILD)/bin/transformer_bench --markdown docs/performance.md

# Code coverage of rtl/ from the RTL tests, in its own build tree (not part of `make test`):
# lcov HTML in build-cov/coverage/html, line/toggle/expression summary on stdout.
COV_BUILD ?= build-cov
coverage: bootstrap
	@LPU_COV_BUILD=$(COV_BUILD) JOBS=$(JOBS) LPU_VENV=$(VENV) bash tools/coverage.sh

# HTML of the code coverage the last `make test` measured (the small config's models, merged
# from build/coverage/dat; gate.code_coverage checks the same numbers).
coverage-report: bootstrap
	@LPU_VENV=$(VENV) bash tools/coverage.sh --report $(BUILD)/coverage/dat $(BUILD)/coverage

# Code coverage plus functional coverage against the goals of docs/testplan.json (waivers in
# docs/coverage_waivers.json); fails with the list of what is missing.
coverage-check: coverage
	python3 tools/coverage_check.py --fcov $(COV_BUILD)/fcov --code $(COV_BUILD)/coverage/rtl.dat \
	  --out $(COV_BUILD)/fcov_merged.json

# The long regression: many more random seeds on both configs, longer fuzzing, formal, and the
# functional goals (NIGHTLY_SEEDS=n runs of LPU_ITERS programs each, fresh seeds every night).
NIGHTLY_SEEDS ?= 8
nightly: build
	@NIGHTLY_SEEDS=$(NIGHTLY_SEEDS) BUILD=$(BUILD) LPU_VENV=$(VENV) bash tools/nightly.sh

# Bounded formal proofs (formal/, yowasp-sby + z3).
formal: bootstrap
	@LPU_VENV=$(VENV) bash tools/formal.sh

# libFuzzer targets with ASan/UBSan, LPU_FUZZ_SECONDS each (build dir build-fuzz).
fuzz: bootstrap
	@bash tools/fuzz.sh

# RTL mutations against the random regression (results table: docs/verification.md).
mutate: bootstrap
	@python3 tools/mutate.py --venv $(VENV)

doctor:
	@bash tools/doctor.sh

# The CI gates on their own (they also run inside `make test`).
lint: bootstrap
	@. $(VENV)/toolchain.sh && bash rtl/lint/lint.sh

# Generic gate-level synthesis of the small config with cell counts (about 5 minutes).
synth: bootstrap
	@. $(VENV)/toolchain.sh && bash fpga/synth_check.sh small --gates

# Regenerate the SV package, C++ header, CMake config list and docs/isa.md from sw/isa/isa.toml,
# and tinylpu.core from rtl/lpu_core.f.
gen:
	python3 tools/gen_isa.py
	python3 tools/gen_fusesoc.py

clean:
	rm -rf $(BUILD) $(COV_BUILD) build-fuzz build-mutate build-perf
