# The two commands of the README, and the benchmark.
.PHONY: run test bench

run:
	scripts/run.sh

test:
	scripts/test.sh

bench:
	scripts/bench.sh
