"""Benchmark of the gateway against the fake upstream and a bare Django floor (see README.md)."""
