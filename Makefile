# Two commands on a fresh machine: `make deck` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deck test bench browser clean

deck: $(VENV)/.installed
	$(BIN)/python build_deck.py build sources -o dist

test: $(VENV)/.installed-test browser $(VENV)/mathjax/es5/tex-chtml.js
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "error: '$(PYTHON) -m venv' failed; on Debian or Ubuntu, install python3-venv (sudo apt-get install python3-venv)" >&2; \
		exit 1; }
	$(BIN)/python -m pip install -q --upgrade pip

# `make deck` installs deckgen into .venv as a user would (a regular install, redone when the
# package changes); `make test` installs it editable, with the test tools, and that one stays:
# as a path to this folder (setuptools' "compat" editable mode), which Python reads in no time,
# rather than an import hook that every start of `deckgen` would import first (the default mode
# is the fallback, should setuptools drop that one).
PACKAGE := pyproject.toml $(shell find deckgen templates -name __pycache__ -prune -o -type f -print 2>/dev/null)

$(VENV)/.installed: $(PACKAGE) | $(BIN)/python
	@if [ ! -e $(VENV)/.installed-test ]; then \
		echo "$(BIN)/python -m pip install -q ."; $(BIN)/python -m pip install -q . || exit 1; fi
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install -q -e '.[test]' --config-settings editable_mode=compat \
		|| $(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

# The rendering tests drive Debian's Chromium through its ChromeDriver.
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		echo "installing chromium and chromium-driver (Debian packages)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

# Anki brings its own MathJax; the tests that look at typeset math in Chromium use this copy.
MATHJAX_VERSION := 3.2.2
$(VENV)/mathjax/es5/tex-chtml.js: | $(BIN)/python
	@command -v npm >/dev/null || { \
		echo "error: make test fetches MathJax 3 with npm; install it (Debian: sudo apt-get install npm)" >&2; exit 1; }
	rm -rf $(VENV)/mathjax $(VENV)/mathjax-pack && mkdir -p $(VENV)/mathjax-pack
	cd $(VENV)/mathjax-pack && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null && tar xzf mathjax-$(MATHJAX_VERSION).tgz
	mv $(VENV)/mathjax-pack/package $(VENV)/mathjax && rm -rf $(VENV)/mathjax-pack

clean:
	rm -rf $(VENV) dist build *.egg-info
