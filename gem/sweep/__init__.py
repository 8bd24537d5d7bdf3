"""Seed and hyper-parameter sweeps of the DDPG-vs-PI comparison on Ray Tune (the ``ray`` extra).

``python -m gem.sweep`` (console script ``gem-sweep``) runs :func:`gem.compare.compare` as Ray Tune
trials over ids × seeds × sampled hyper-parameters, on this machine or a Ray cluster, and writes
``results.csv`` (a row per trial), ``summary.csv`` (mean ± std over seeds) and ``summary.png``.
The search space and the tables need no Ray; running a sweep does (``pip install "gem-drives[ray]"``).
See the docs page "From one machine to a cluster".
"""

from gem.sweep.results import format_summary, summarise, write_results, write_summary
from gem.sweep.runner import SweepResult, run_sweep
from gem.sweep.space import DISTRIBUTIONS, Dimension, load_space

__all__ = ["DISTRIBUTIONS", "Dimension", "SweepResult", "format_summary", "load_space", "run_sweep", "summarise",
           "write_results", "write_summary"]
