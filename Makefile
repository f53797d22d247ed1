# The two commands of the README, development mode and the benchmark.
.PHONY: run dev test bench

run:
	scripts/run.sh

dev:
	scripts/run.sh --dev

test:
	scripts/test.sh

bench:
	scripts/bench.sh
