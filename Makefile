# kg: make demo (set up, build the seed corpus, show the result) and make test (the whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out
STAMP  := $(VENV)/.installed

.PHONY: demo test install gazetteers bench clean help

help:
	@echo "make demo        set up .venv, install kg, build seeds/ into $(OUT)/ and show the result"
	@echo "make test        run the whole test suite"
	@echo "make gazetteers  regenerate kg/data/gazetteers/ from ../shared/data"
	@echo "make bench       run the benchmarks in benchmarks/ (BENCH_SIZES=1000,10000 BENCH_WORKERS=2)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/kg build seeds/ --out $(OUT)
	@echo
	@echo "Customers of 寒武纪 (queries/customers_of.rq):"
	$(BIN)/kg query customers_of --param company=寒武纪 --out $(OUT)

test: $(STAMP)
	-@bash .ci/system-deps > $(VENV)/system-deps.log 2>&1 || echo "some system tools could not be installed; see $(VENV)/system-deps.log"
	$(BIN)/python -m pytest -q

gazetteers: $(STAMP)
	$(BIN)/python -m kg.gazetteer_build

# BENCH_SIZES: corpus sizes for benchmarks/bench_build.py (the 10k build takes a while on 2 cores)
BENCH_SIZES ?= 1000,10000
BENCH_WORKERS ?= 2

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_pipeline.py
	$(BIN)/python benchmarks/bench_build.py --sizes $(BENCH_SIZES) --workers $(BENCH_WORKERS)
	@if [ -f benchmarks/bench_queries.py ]; then $(BIN)/python benchmarks/bench_queries.py; fi

clean:
	rm -rf $(OUT) .pytest_cache build dist *.egg-info
