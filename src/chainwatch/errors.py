"""One exception hierarchy for chainwatch.

Every error carries a message written for the person who caused it (what we got, what we
expected, how to fix it) and an HTTP-style status. The CLI prints ``message`` and exits 2; the
web app answers ``{"ok": false, "error": message, "errors": details, "status": status}``.
"""

from __future__ import annotations

from typing import Any


class ChainwatchError(Exception):
    """Base class: an error a user can act on."""

    status: int = 400

    def __init__(
        self, message: str, *, errors: list[Any] | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors: list[Any] = list(errors or [])
        if status is not None:
            self.status = status

    def to_dict(self) -> dict[str, Any]:
        return {"ok": False, "error": self.message, "errors": self.errors, "status": self.status}


class ConfigError(ChainwatchError):
    """A setting or configuration file is wrong."""


class InputFileError(ChainwatchError):
    """An input file cannot be read at all (missing, unknown format, no header, wrong columns)."""


class ValidationError(ChainwatchError):
    """Rows or values failed validation; ``errors`` lists each problem."""

    status = 422


class NotFoundError(ChainwatchError):
    """A requested record does not exist."""

    status = 404


class ConflictError(ChainwatchError):
    """The request conflicts with what is already stored."""

    status = 409


class DataMissingError(ChainwatchError):
    """A stage needs data that has not been loaded or computed yet."""

    status = 409
