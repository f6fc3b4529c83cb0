"""A matchmaking simulation: skill-balanced groups against first-come-first-served pairing.

``python -m benchmarks.matchmaking_sim --help``; see README.md next to this file.
"""
