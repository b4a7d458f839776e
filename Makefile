# mlgate — see README.md. Every target installs the system packages it needs (as root) or prints the
# apt-get line to run (otherwise).

SWIFT      ?= swift
PREFIX     ?= /usr/local
RELEASE    := .build/release/mlgate
DEBUG      := .build/debug/mlgate
PACKAGES   := git pkg-config python3 libgit2-dev libcurl4-openssl-dev libsqlite3-dev

.PHONY: all deps build debug test demo install bench bench-hooks bench-eval bench-pipeline bench-store bench-registry bench-gate bench-ci bench-serve bench-events bench-monitor bench-s3 bench-score clean

all: build

## deps: install missing system packages (root) or print the apt-get line
deps:
	@scripts/ensure-packages.sh $(PACKAGES)

## debug: build the debug binary the tests run
debug: deps
	$(SWIFT) build

## build: release binary with the Swift runtime linked in (needs only libgit2, libcurl, libsqlite3 at run time);
## linked with lld and packed relocations where glibc allows (scripts/release-link-flags.sh says why)
build: deps
	$(SWIFT) build -c release --static-swift-stdlib $(shell scripts/release-link-flags.sh $(SWIFT))
	@echo "built $(RELEASE) and $(RELEASE)-hook"

## test: the whole test suite (unit, real git repositories, end-to-end runs of the binary)
test: debug
	$(SWIFT) test

## demo: the whole loop on examples/ in a temporary repository
demo: debug
	scripts/demo.sh $(DEBUG)

## install: copy mlgate, its hook companion mlgate-hook and the router mlgate-server to $(PREFIX)/bin
install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(RELEASE) $(RELEASE)-hook $(RELEASE)-server $(DESTDIR)$(PREFIX)/bin/

## bench: every benchmark, each printing its anchor beside mlgate from the same run
bench: bench-hooks bench-eval bench-pipeline bench-store bench-registry bench-gate bench-ci bench-serve bench-events bench-monitor bench-s3 bench-score

## bench-eval: the evaluation kernel, CSV reading and a whole `mlgate eval` beside scikit-learn, pandas and C floors
bench-eval: build
	Benchmarks/eval.sh

## bench-hooks: ms per commit with no hook, an 'exit 0' hook and mlgate's hooks; --version, --help and a no-op run beside git --version
bench-hooks: build
	@scripts/ensure-packages.sh hyperfine || echo "hyperfine missing: timing with date loops instead" >&2
	Benchmarks/hooks.sh $(RELEASE)

## bench-pipeline: a no-op `mlgate run` of a 10-stage pipeline beside a no-op `dvc repro` (DVC 3 in a venv); MLGATE_BENCH_FILES sets the files
bench-pipeline: build
	@scripts/ensure-packages.sh hyperfine python3-venv || echo "hyperfine missing: timing with date loops instead" >&2
	Benchmarks/pipeline.sh $(RELEASE)

## bench-store: SHA-256 throughput of the object store on one core beside sha256sum and openssl (MLGATE_BENCH_MIB sets the size)
bench-store: build
	.build/release/mlgate-storebench $${MLGATE_BENCH_MIB:-1024}

## bench-registry: registrations per second from 16 threads on one store, then reading the whole registry
bench-registry: build
	.build/release/mlgate-storebench registry 16 100

## bench-gate: a whole `mlgate gate` on 1e6 rows (DeLong + 1,000-resample bootstrap) beside pandas + scikit-learn + numpy
bench-gate: build
	Benchmarks/gate.sh $(RELEASE)

## bench-ci: what `mlgate ci` costs beyond the gate (detection, registry fetch and sync, reports) beside git ls-remote
bench-ci: build
	Benchmarks/ci.sh $(RELEASE)

## bench-serve: the endpoint router under wrk beside nginx as a reverse proxy and a direct call (MLGATE_BENCH_SECONDS per run)
bench-serve: build
	@scripts/ensure-packages.sh wrk nginx curl
	Benchmarks/serve.sh $(RELEASE)

## bench-score: `mlgate score` of 1e6 rows in 8 partitions beside the model's scoring command run once over the file (MLGATE_BENCH_ROWS)
bench-score: build
	Benchmarks/score.sh $(RELEASE)

## bench-monitor: a drift check of 1e6 + 1e6 rows × 20 columns from CSV beside Evidently's DataDriftPreset (in a venv); MLGATE_BENCH_ROWS, MLGATE_BENCH_COLS
bench-monitor: build
	Benchmarks/monitor.sh $(RELEASE)

## bench-s3: push and pull of a run's outputs to an S3-compatible server on loopback (moto) beside `aws s3 sync`
bench-s3: build
	Benchmarks/s3.sh $(RELEASE)

## bench-events: 1,000 signed events delivered to a local receiver (nginx) beside a Python sender (MLGATE_BENCH_EVENTS sets the count)
bench-events: build
	@scripts/ensure-packages.sh nginx
	Benchmarks/events.sh $(RELEASE)

clean:
	rm -rf .build .build-bench
