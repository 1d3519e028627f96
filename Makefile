# tinylpu: the two quick-start commands (`make run`, `make test`) and everyday targets.
# Every target first runs tools/bootstrap.sh, which installs only what is missing.
BUILD ?= build
JOBS ?= $(shell nproc)
VENV ?= .venv
ARGS ?=

.PHONY: run test bench build configure bootstrap doctor lint synth gen coverage clean

run: build
	$(BUILD)/bin/tinylpu run $(ARGS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@echo "synthesis (small config, generic gates, RAMs kept as \$$mem_v2):"
	@grep -E "^ +[0-9]+ +(cells|\$$_DFF.*|\$$mem_v2)$$" $(BUILD)/synth/small.log.stat || true

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

# Code coverage of rtl/ from the RTL tests, in its own build tree (not part of `make test`):
# lcov HTML in build-cov/coverage/html, line/toggle/expression summary on stdout.
COV_BUILD ?= build-cov
coverage: bootstrap
	@LPU_COV_BUILD=$(COV_BUILD) JOBS=$(JOBS) LPU_VENV=$(VENV) bash tools/coverage.sh

doctor:
	@bash tools/doctor.sh

# The CI gates on their own (they also run inside `make test`).
lint: bootstrap
	@. $(VENV)/toolchain.sh && bash rtl/lint/lint.sh

synth: bootstrap
	@. $(VENV)/toolchain.sh && bash fpga/synth_check.sh

# Regenerate the SV package, C++ header, CMake config list and docs/isa.md from sw/isa/isa.toml,
# and tinylpu.core from rtl/lpu_core.f.
gen:
	python3 tools/gen_isa.py
	python3 tools/gen_fusesoc.py

clean:
	rm -rf $(BUILD) $(COV_BUILD)
