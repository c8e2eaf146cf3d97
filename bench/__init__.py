"""Benchmarks against the budgets of DESIGN §12 (`make bench`); never part of the test suite.

A package so that gunicorn can load `bench.intake_settings` and mypy sees one name per module.
"""
