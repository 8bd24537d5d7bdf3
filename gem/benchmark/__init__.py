"""SB3 agents against the PI cascade over a suite of gem ids: ``python -m gem.benchmark`` (``gem-benchmark``).

See :mod:`gem.benchmark.cli` for the command and its outputs, :mod:`gem.benchmark.jobs` for what
one job trains and scores, and :mod:`gem.benchmark.report` for the files and figures.
"""
