# initaudit: set-up, tests and the one command that regenerates the paper.
#
#   make reproduce   every figure and the paper at PRESET (default cpu)
#   make test        the fast test tier (2 workers)
#   make test-slow   the long Monte-Carlo / training tests (installs the ray extra)
#   make bench       the pytest-benchmark timings
#   make latex       install LaTeX if it is missing and we may (root or passwordless sudo)
#   make clean       generated paper files, LaTeX build, test caches (keeps .venv and results/)
#   make distclean   clean, plus .venv and the result cache results/
#
# Only python3 is needed to start: the first target that needs Python makes .venv.

PYTHON ?= python3
PRESET ?= cpu
# User data files (medical.txt and the like) live outside the repository; ../shared/data when it
# exists, else none (the experiments that need a file are then skipped with a message).
DATA_DIR ?= $(wildcard ../shared/data)
EXECUTOR ?= process
RUN_ARGS = --preset $(PRESET) --executor $(EXECUTOR) $(if $(DATA_DIR),--data-dir $(DATA_DIR))
VENV := .venv
VPY := $(VENV)/bin/python
# The stamp marks a finished install; it is older than pyproject.toml when dependencies change.
STAMP := $(VENV)/.installed
# Installed before the package: on these machines this exact version is a local CPU wheel, while
# any other spec (or letting the package's range pick) downloads the CUDA build, several GB.
TORCH_SPEC := torch==2.13.0
TEX_PACKAGES := texlive-latex-base texlive-latex-recommended texlive-science latexmk poppler-utils
PYTEST := $(VPY) -m pytest

.PHONY: venv latex reproduce paper test test-slow bench clean distclean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install $(TORCH_SPEC)
	$(VPY) -m pip install -e '.[test,audio]'
	touch $@

# Not fatal when LaTeX cannot be installed: figures are still made, and `initaudit paper` then
# says what is missing. .ci/run checks afterwards that latexmk really is there.
latex:
	@if command -v latexmk >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then \
	    echo "latex: latexmk found at $$(command -v latexmk), pdftotext at $$(command -v pdftotext)"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	    echo "latex: latexmk or pdftotext not found; install TeX Live with latexmk (and poppler-utils) to build the paper (continuing without it)"; \
	elif [ "$$(id -u)" -eq 0 ]; then \
	    echo "latex: installing $(TEX_PACKAGES)"; \
	    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(TEX_PACKAGES); } \
	        || echo "latex: apt-get failed; the paper will not build (continuing)"; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	    echo "latex: installing $(TEX_PACKAGES) with sudo"; \
	    { sudo -n apt-get update && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(TEX_PACKAGES); } \
	        || echo "latex: apt-get failed; the paper will not build (continuing)"; \
	else \
	    echo "latex: latexmk or pdftotext not found. To build the paper run:"; \
	    echo "    sudo apt-get install --no-install-recommends $(TEX_PACKAGES)"; \
	    echo "latex: continuing without it"; \
	fi

reproduce: venv latex
	$(VENV)/bin/initaudit reproduce $(RUN_ARGS)

paper: venv latex
	$(VENV)/bin/initaudit paper --preset $(PRESET) $(if $(DATA_DIR),--data-dir $(DATA_DIR))

test: venv
	$(PYTEST) -m "not slow and not benchmark" -n 2 -q

# The slow tier also runs the Ray executor against a real local instance: it installs the extra.
test-slow: venv
	$(VPY) -m pip install -q -e '.[test,audio,ray]'
	$(PYTEST) -m "slow and not benchmark" -n 2 -q

# No xdist here: pytest-benchmark switches itself off under it.
bench: venv
	$(PYTEST) tests/benchmarks -m benchmark --benchmark-only -q

clean:
	rm -rf paper/generated paper/build .pytest_cache .hypothesis .benchmarks *.egg-info
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) results
