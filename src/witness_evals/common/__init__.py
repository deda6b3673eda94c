"""Utilities every layer uses: error types for bad input and bounded JSON/file I/O with atomic writes.

This package imports nothing else from witness_evals.
"""
