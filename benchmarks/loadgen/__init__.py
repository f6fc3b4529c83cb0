"""LinguaLeap load generator: simulated players over /ws and Socket.IO, open-loop, multi-process.

Run ``python -m benchmarks.loadgen --help``; scenarios that start the servers too are in
``benchmarks/run.py``.
"""
