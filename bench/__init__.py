"""Benchmarks of the delivery engine: `python -m bench.<name> --help` (see bench/README.md)."""
