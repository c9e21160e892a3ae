"""Synthetic province generator: the files users load, with documented planted weaknesses.

Entry point: :func:`chainwatch.synth.province.generate_province` (CLI: ``chainwatch demo-data``).
The model is described in docs/synthetic-province.md.
"""
