"""Ingest: read files users already have, validate every row, quarantine bad rows, load the rest.

Enterprises go to the operational database; invoices, customs records and indicators go to the
Parquet lake. Each loaded file is one batch; a batch becomes visible only when complete.
"""
