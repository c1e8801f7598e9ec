# Two commands on a fresh machine:  `make run`  (the app on an example)  and  `make test`.
# Both create .venv/ on first use. Torch: the CPU build is installed first where it can be,
# so a laptop without a GPU does not download several GB of CUDA libraries.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE ?= examples/digits_cnn.json

.PHONY: run test venv clean

run: $(VENV)/.installed
	$(BIN)/netbuilder $(EXAMPLE)

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null \
		|| $(BIN)/python -m pip install -q "torch==2.13.0" \
		|| $(BIN)/python -m pip install -q torch --index-url https://download.pytorch.org/whl/cpu
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
