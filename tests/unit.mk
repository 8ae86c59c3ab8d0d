# Host unit tests of the hypervisor's pure logic. Included by the top-level Makefile.
.PHONY: unit-test

# Builds every tests/unit/test_*.c with sanitizers under build/unit/ and runs it.
unit-test:
	python3 tests/unit/run.py
