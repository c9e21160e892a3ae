"""Monitoring (一图一指数): indices, early warnings, rankings and direct reporting (直联直报).

Modules:
  periods    months 'YYYY-MM', the combined January–February 'YYYY-01+02', days per period
  settings   composite weights and the fixed-base year (settings.yaml, CHAINWATCH_HOME/monitor.yaml)
  scopes     firm, county, city, province, and Grouping — the hook for chain segments and chains
  cube       the indicator cube: every firm's monthly sales and electricity as dense arrays
  dense      the default index engine: every scope summed from the cube in one compiled pass;
             firm panel rows built from the cube on demand
  index_sql  the SQL reference engine: the firm panel, and indices summed from it
  indices    compute_indices (pipeline step; lake results ``index_cube`` and ``indices``) and
             index_series (one scope over a range of months)
  rules      alert rules (rules.yaml, or CHAINWATCH_HOME/alert_rules.yaml), validated
  alerts     rule evaluation over the panel, indices and customs; changepoints (binary
             segmentation, advisory); alert_store (alerts in the database, lifecycle)
  reporting  direct reports (直联直报): store, confirm, late reporters; with report_schema
             (validation), report_checks (plausibility against the firm's history),
             report_deadline (the 8th of the next month, working days) and report_files

Later parts build on these results: alerts read the ``indices`` series of chains and regions
and the firms' months from the cube; rankings compare regions on the same figures.
See docs/monitoring.md for the formulas, a worked example and the settings.
"""
