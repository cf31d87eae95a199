# The two commands of the README: `make demo` (the main job) and `make test` (the full suite).
# `make test-fast` is the edit-test loop: no slow, browser, PostgreSQL or Dask tests, no system packages.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.brainmark-installed
FAST   := not slow and not browser and not postgres and not dask

.PHONY: demo test test-fast install system-deps clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch and torchvision first, pinned to the release this project is tested with
	$(PY) -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

demo: install
	BRAINMARK_DATA_MIRROR="$${BRAINMARK_DATA_MIRROR:-$(abspath ../shared/data)}" $(VENV)/bin/brainmark demo --output results

test: install system-deps
	$(VENV)/bin/pytest

test-fast: install
	$(VENV)/bin/pytest -m "$(FAST)"

clean:
	rm -rf $(VENV) results .pytest_cache
