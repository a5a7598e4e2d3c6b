"""Enrichment: pure, deterministic functions over an `Article` (see enrichment/chain.py)."""
