"""Hand-written SQL for the hot paths (claim, submit), loaded into model instances.

The ORM spends most of a claim's CPU building and compiling its queries (about 1 ms per query
on this machine, more than the database takes to run them). The few statements that every claim
and submit run are therefore written out once here, per database vendor, and their rows are
turned into ordinary model instances with the same converters the ORM applies (so a SQLite
timestamp comes back as an aware datetime and a JSON column as Python data). Everything else
keeps using the ORM; ``tests/flows/work/test_rawsql.py`` checks these statements against the
ORM's own answers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)

_Converter = Callable[[Any, Any, Any], Any]
_cache: dict[tuple[str, type[Model], str], tuple[str, list[str], list[tuple[Any, list[_Converter]]]]] = {}


def q(name: str) -> str:
    """A quoted identifier."""
    return connection.ops.quote_name(name)


def table(model: type[Model]) -> str:
    return q(model._meta.db_table)


def _shape(model: type[Model], alias: str) -> tuple[str, list[str], list[tuple[Any, list[_Converter]]]]:
    key = (connection.vendor, model, alias)
    shape = _cache.get(key)
    if shape is None:
        fields = list(model._meta.concrete_fields)
        columns = ", ".join(f"{q(alias)}.{q(str(f.column))}" for f in fields)
        converters = []
        for f in fields:
            col = f.get_col(alias)
            converters.append((col, [*connection.ops.get_db_converters(col), *f.get_db_converters(connection)]))
        shape = (columns, [f.attname for f in fields], converters)
        _cache[key] = shape
    return shape


def columns(model: type[Model], alias: str) -> str:
    """Every concrete column of ``model`` under ``alias``, in field order, for a SELECT list."""
    return _shape(model, alias)[0]


def width(model: type[Model]) -> int:
    return len(model._meta.concrete_fields)


def instance(model: type[M], alias: str, row: Sequence[Any], offset: int = 0) -> M:
    """The ``model`` instance from ``row[offset:offset + width(model)]`` (selected with
    ``columns(model, alias)``), converted as the ORM converts values read from the database."""
    _, attnames, converters = _shape(model, alias)
    values = []
    for i, (col, convs) in enumerate(converters):
        value = row[offset + i]
        for conv in convs:
            value = conv(value, col, connection)
        values.append(value)
    return model.from_db(connection.alias, attnames, values)


def lock_suffix(alias: str, *, skip_locked: bool = False) -> str:
    """The row-lock clause for ``alias`` (``flows.locks``'s rules): ``FOR NO KEY UPDATE OF`` on
    PostgreSQL; nothing on SQLite, where ``BEGIN IMMEDIATE`` already holds the write lock."""
    if not connection.features.has_select_for_update:
        return ""
    clause = f" FOR NO KEY UPDATE OF {q(alias)}"
    return clause + " SKIP LOCKED" if skip_locked else clause


def dt(value: Any) -> Any:
    """A datetime as the database takes it (SQLite stores text)."""
    return connection.ops.adapt_datetimefield_value(value)


def json_param(value: Any) -> Any:
    return connection.ops.adapt_json_value(value, None)
