"""Benchmarks of Belvedere against its own baselines, measured in the same run (``make bench``).

Not part of the test suite: each benchmark starts a real ``belvedere serve`` process on a free
loopback port with a temporary data directory and prints its figures next to a baseline.
"""
