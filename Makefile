# Everything a fresh machine needs: a local venv from the lock file, then the pipeline or the tests.
SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .uv/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
SPARK_VENV := .venv-spark
SCALE ?= 0.1
DAYS ?= 365
SEED ?= 42

export DBT_SEND_ANONYMOUS_STATISTICS := false
export DO_NOT_TRACK := 1

.PHONY: run test test-full lint format install install-spark spark-check clean dashboards dashboards-serve bench

## run: install, generate SF $(SCALE) for $(DAYS) days, build bronze/silver/gold on DuckDB and the dashboards, print a summary
run: install
	$(BIN)/emporium run --scale $(SCALE) --days $(DAYS) --seed $(SEED)

## dashboards: npm packages from dashboards/package-lock.json (patches applied), then the Dagster job
## `dashboards`: copy the gold marts, build the Evidence site into data/dashboards/site (also part of `run`)
dashboards: install
	$(BIN)/emporium dashboards build

dashboards-serve: install
	$(BIN)/emporium dashboards serve

## bench: the benchmark suite, one stage at a time, resumable (benchmarks/bench.py; docs/performance.md):
## `make bench STAGES="build-sf1-d730"` picks stages, FORCE=1 reruns those already recorded for this commit
bench: install
	$(BIN)/python benchmarks/bench.py $(STAGES) $(if $(FORCE),--force)

# The suite's scratch folders live in RAM where the machine has it: Dagster commits each of the ~2,000 events of
# a warehouse run to SQLite with an fsync (about 24 ms each on this machine's disk under load, 1 ms in /dev/shm).
# Two pytest workers (pytest-xdist): a warehouse build keeps about one core busy (one dbt or Dagster step at a
# time), so two workers use both; each worker builds the session's tiny world once. A test file runs on one
# worker (`--dist loadfile`), so a module's fixtures (the dashboards site, the Spark cluster) are built once,
# not once per worker as `--dist load` did; in the order tests/conftest.py gives (the longest files first),
# not xdist's (files with the most tests first). (`--dist loadgroup` grouped nothing here, pytest 9.2 with
# xdist 3.8: its groups never reached the scheduler.)
TEST_WORKERS ?= -n 2 --dist loadfile --no-loadscope-reorder
TEST_TMPDIR := $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm || echo $${TMPDIR:-/tmp})

## test: install (the Spark environment too), lint (ruff + sqlfluff), then the pytest suite: one end-to-end test
## per capability; on Spark a slice (raw load and the models behind daily revenue), the whole world is `full`
test: install install-spark lint
	TMPDIR=$(TEST_TMPDIR) $(BIN)/pytest $(TEST_WORKERS)

## test-full: the suite plus its heavy variants (pytest marker `full`: larger worlds, every engine everywhere)
test-full: install install-spark lint
	TMPDIR=$(TEST_TMPDIR) $(BIN)/pytest $(TEST_WORKERS) -m "full or not full"

# lint renders models against an empty scratch warehouse, so the result never depends on local data
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	mkdir -p target && EMPORIUM_WAREHOUSE_PATH=target/sqlfluff.duckdb $(BIN)/sqlfluff lint models snapshots macros tests/dbt analyses

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	mkdir -p target && EMPORIUM_WAREHOUSE_PATH=target/sqlfluff.duckdb $(BIN)/sqlfluff fix models snapshots macros tests/dbt analyses

install: $(VENV)/.synced

# Bytecode is compiled once here: this machine sets PYTHONDONTWRITEBYTECODE, so otherwise every dbt, GX and
# Dagster process would compile its imports again (dbt starts in 2.6 s instead of 4.2 s).
$(VENV)/.synced: pyproject.toml uv.lock $(UV)
	$(UV) sync --frozen
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null
	touch $@

## install-spark: the `spark` extra (pyspark, dbt-spark) in an environment of its own, .venv-spark: installed
## into .venv, pyspark would be imported by every Great Expectations process (GX probes for it)
install-spark: $(SPARK_VENV)/.synced

$(SPARK_VENV)/.synced: pyproject.toml uv.lock $(UV)
	UV_PROJECT_ENVIRONMENT=$(SPARK_VENV) $(UV) sync --frozen --extra spark
	$(SPARK_VENV)/bin/python -m compileall -q -j 0 $(SPARK_VENV)/lib > /dev/null
	touch $@

## spark-check: start a local Spark cluster, build the tiny world on it (the Dagster run with DBT_TARGET=spark: raw
## load, dbt, GX gates) and on DuckDB, assert the gates passed, the accounting balanced and gold equal to each
## other and to the generator's truth, stop the cluster (tests/warehouse/test_spark.py; docs/scaling.md)
spark-check: install install-spark
	TMPDIR=$(TEST_TMPDIR) $(BIN)/pytest tests/warehouse/test_spark.py -m "full or not full" -q

.uv/bin/uv:
	python3 -m venv .uv
	.uv/bin/pip install --quiet "uv==$(UV_VERSION)"

clean:
	rm -rf $(VENV) $(SPARK_VENV) .uv target logs data
