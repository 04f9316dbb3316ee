"""Benchmarks of the ledger against raw baselines measured in the same run.

`python -m bench --quick` (what a developer runs) or `--full` (the figures in BENCHMARKS.md).
The figures are for people; no test passes or fails on them.
"""
