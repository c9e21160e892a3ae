"""Registry of command groups; each group is a module in this package."""

from __future__ import annotations

import importlib

import typer

# (module, attribute, name): a Typer sub-app added as a group, or a function added as a command.
GROUPS: list[tuple[str, str, str]] = [
    ("chainwatch.cli.db", "app", "db"),
    ("chainwatch.cli.ingest", "app", "ingest"),
    ("chainwatch.cli.run", "run", "run"),
    ("chainwatch.cli.serve", "serve", "serve"),
    ("chainwatch.cli.demo", "demo", "demo"),
    ("chainwatch.cli.demo_data", "demo_data", "demo-data"),
    ("chainwatch.cli.monitor", "app", "monitor"),
    ("chainwatch.cli.atlas", "app", "atlas"),
    ("chainwatch.cli.chains", "app", "chains"),
    ("chainwatch.cli.risk", "app", "risk"),
]


def register(app: typer.Typer) -> None:
    for module_name, attribute, name in GROUPS:
        module = importlib.import_module(module_name)
        target = getattr(module, attribute)
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name)
        else:
            app.command(name=name)(target)
