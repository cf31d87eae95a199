# The two commands of the README: `make demo` (the main job) and `make test`.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.brainmark-installed

.PHONY: demo test install system-deps clean

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

clean:
	rm -rf $(VENV) results .pytest_cache
