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
_Shape = tuple[str, list[str], list[tuple[Any, list[_Converter]]]]
_cache: dict[tuple[str, type[Model], str, tuple[str, ...] | None], _Shape] = {}


def q(name: str) -> str:
    """A quoted identifier."""
    return connection.ops.quote_name(name)


def table(model: type[Model]) -> str:
    return q(model._meta.db_table)


def _shape(model: type[Model], alias: str, fields: Sequence[str] | None) -> _Shape:
    key = (connection.vendor, model, alias, tuple(fields) if fields is not None else None)
    shape = _cache.get(key)
    if shape is None:
        chosen = list(model._meta.concrete_fields)
        if fields is not None:
            chosen = [f for f in chosen if f.attname in fields]
            missing = set(fields) - {f.attname for f in chosen}
            if missing:
                raise ValueError(f"{model.__name__} has no fields {sorted(missing)}")
        select = ", ".join(f"{q(alias)}.{q(str(f.column))}" for f in chosen)
        converters = []
        for f in chosen:
            col = f.get_col(alias)
            converters.append((col, [*connection.ops.get_db_converters(col), *f.get_db_converters(connection)]))
        shape = (select, [f.attname for f in chosen], converters)
        _cache[key] = shape
    return shape


def columns(model: type[Model], alias: str, fields: Sequence[str] | None = None) -> str:
    """The SELECT list of ``model``'s concrete columns under ``alias`` (only ``fields``, by
    attname, when given), in the model's field order."""
    return _shape(model, alias, fields)[0]


def width(model: type[Model], fields: Sequence[str] | None = None) -> int:
    """How many columns ``columns(model, alias, fields)`` selects."""
    return len(_shape(model, "t", fields)[1])


def instance(model: type[M], alias: str, row: Sequence[Any], offset: int = 0, fields: Sequence[str] | None = None) -> M:
    """The ``model`` instance from ``row[offset:offset + width(model, fields)]`` (selected with
    ``columns(model, alias, fields)``), converted as the ORM converts values read from the
    database (SQLite returns datetimes as text and booleans as integers); fields not selected are
    deferred."""
    _, attnames, converters = _shape(model, alias, fields)
    values = []
    for i, (col, convs) in enumerate(converters):
        value = row[offset + i]
        for conv in convs:
            value = conv(value, col, connection)
        values.append(value)
    return model.from_db(connection.alias, attnames, values)


def insert(objs: Sequence[Model], *, returning: bool = True) -> None:
    """INSERT ``objs`` (one model) in one statement, as ``bulk_create`` would (``pre_save`` runs,
    so ``auto_now_add`` fields are set), setting their pks when ``returning``. A unique or check
    constraint refuses with ``django.db.IntegrityError``, as the ORM's insert does."""
    if not objs:
        return
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    params: list[Any] = []
    for obj in objs:
        for f in fields:
            params.append(f.get_db_prep_save(f.pre_save(obj, True), connection))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {table(model)} ({', '.join(q(str(f.column)) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * len(objs))}"
    )
    pk = model._meta.pk
    assert pk is not None
    if returning:
        sql += f" RETURNING {q(str(pk.column))}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [r[0] for r in cursor.fetchall()] if returning else []
    for obj, pk_value in zip(objs, ids, strict=False):
        obj.pk = pk_value
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


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
