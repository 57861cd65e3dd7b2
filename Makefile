# puhui — two commands: `make demo` and `make test` (see README.md); `make docs` builds the site.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.puhui-installed
DOCS_STAMP := $(VENV)/.puhui-docs-installed
OUT    ?= out
# Non-interactive matplotlib everywhere (CI has no screen).
export MPLBACKEND := Agg

.PHONY: demo test docs bench lint data lock clean install

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when the pins or the project metadata change.
$(STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[test,bench,dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/puhui demo --out $(OUT)

# Bytecode is cached in the venv (not beside the sources) even where the environment sets
# PYTHONDONTWRITEBYTECODE: the suite starts ~20 Python processes (2 workers, a kernel per
# notebook, the CLI's child runs), each of which would otherwise compile puhui and the tests
# again (~20 s of CPU measured).
test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=$(abspath $(VENV))/pycache \
		$(BIN)/python -m pytest -n 2 --dist loadfile -q

# The docs extra (MkDocs, Material, mkdocstrings, mkdocs-jupyter), pinned, on top of the main install.
$(DOCS_STAMP): $(STAMP) pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[docs]"
	touch $(DOCS_STAMP)

# The docs site in site/: docs/*.md, the API reference from the docstrings (docs/api/), the
# notebooks as stored (not executed). Warnings are errors (--strict). mkdocs is pinned below 2,
# so its banner about MkDocs 2.0 is silenced.
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

data: $(STAMP)
	$(BIN)/puhui datasets regenerate

# Re-pin every dependency from a clean resolve (needs network access to PyPI).
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/python -m pip install --quiet -e ".[test,bench,dev,docs]"
	.lockenv/bin/python -m pip freeze --exclude-editable | grep -v '^puhui' > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lockenv

clean:
	rm -rf $(VENV) $(OUT) site .pytest_cache build *.egg-info src/*.egg-info
