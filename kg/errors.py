"""Exceptions raised by kg.

Every error kg raises on purpose derives from :class:`KGError`, so callers can catch one type.
The CLI maps them to exit codes: :class:`InputError` and :class:`ConfigError` give 2 (bad input),
anything else 1.

Example:
    >>> try:
    ...     raise InputError("no such file: x.md")
    ... except KGError as exc:
    ...     print(exc)
    no such file: x.md
"""

from __future__ import annotations


class KGError(Exception):
    """Base class of every error kg raises on purpose."""


class InputError(KGError):
    """An input file, folder or graph cannot be read or parsed."""


class ConfigError(KGError):
    """A configuration value, pipeline config or data file is wrong."""


class QueryError(KGError):
    """A SPARQL query is unknown, malformed or missing a parameter."""


class NotFoundError(KGError):
    """A name does not match any entity; ``suggestions`` holds the closest labels."""

    def __init__(self, message: str, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or []
