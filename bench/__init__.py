"""Benchmarks: scripts that print figures (docs/BENCHMARKS.md). Tests never assert timings."""
