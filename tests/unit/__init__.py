"""Unit tests: pure functions and files in tmp_path; never a process, never an engine.

This file makes the directory the package `unit`, so that its conftest and modules do not
clash with `tests/conftest.py` or `tests/engine/` (for pytest and for mypy alike).
"""
