"""Benchmarks (`python -m bench.pipeline`). Results go to bench/results/ (git-ignored)."""
