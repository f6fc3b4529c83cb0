"""Benchmarks for LinguaLeap: the load generator (:mod:`benchmarks.loadgen`) and scenarios (``run.py``)."""
