"""Benchmarks: each module is run from the project root as ``python -m bench.NAME`` and writes its figures
(with the commit and the machine) to ``bench/results/``; ``common.py`` holds what they share."""
