"""Risk: firm-level economic systemic risk (ESRI), cascade scenarios and risk lists.

- :mod:`chainwatch.risk.network` builds a :class:`~chainwatch.risk.network.SupplyNetwork` from
  the sales matrix W, firm sectors, the sector essentiality matrix and optional market sectors.
- :mod:`chainwatch.risk.esri` propagates any shock ψ (``cascade``) and holds the straightforward
  reference iteration used by tests and benchmarks.
- :mod:`chainwatch.risk.fast` computes ESRI of all firms (or of many scenarios), exactly or in the
  fast mode with a certified error bound.
- :mod:`chainwatch.risk.files` reads the LINKS / FIRMS / essentiality files of
  ``chainwatch risk esri``.

The method and its formulas: docs/systemic-risk.md (Diem et al. 2022, Sci Rep 12:7719).
"""
