"""The `chainwatch` command line (Typer + Rich): a thin adapter over the domain functions."""
