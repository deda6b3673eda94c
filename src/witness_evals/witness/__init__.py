"""Executable model of in-toto/witness (mirrors go-witness: one module per concept).

This layer imports nothing from the rest of witness_evals except `witness_evals.common`.
"""
