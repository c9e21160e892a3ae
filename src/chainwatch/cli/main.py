"""Entry point of the `chainwatch` command.

Command groups live in their own modules and register themselves here. A ChainwatchError raised
anywhere becomes one clear line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from chainwatch import __version__
from chainwatch.cli.output import err_console
from chainwatch.errors import ChainwatchError

app = typer.Typer(
    name="chainwatch",
    help="chainwatch — 产业链供应链安全监测与企业服务平台 (supply-chain monitoring for industry "
    "departments).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"chainwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """chainwatch: chain atlas, risk lists, monitoring and enterprise services."""


def _register() -> None:
    from chainwatch.cli import commands

    commands.register(app)


_register()


def main() -> None:
    try:
        app(standalone_mode=False)
    except ChainwatchError as exc:
        err_console.print(f"[bold red]错误 / error:[/] {exc.message}", highlight=False)
        for detail in exc.errors[:20]:
            err_console.print(f"  • {detail}", highlight=False)
        if len(exc.errors) > 20:
            err_console.print(f"  … and {len(exc.errors) - 20} more", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # usage errors come through here in non-standalone mode
        if isinstance(exc, _usage_errors()):
            exc.show()  # type: ignore[attr-defined]
            sys.exit(2)
        raise


def _usage_errors() -> tuple[type[Exception], ...]:
    """Click's usage-error class, and Typer's own copy of it (Typer ≥ 0.29 ships click inside)."""
    import click

    classes: list[type[Exception]] = [click.ClickException]
    try:
        from typer._click.exceptions import ClickException
    except ImportError:  # an older Typer that uses click itself
        pass
    else:
        classes.append(ClickException)
    return tuple(classes)


if __name__ == "__main__":
    main()
