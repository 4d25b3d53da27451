"""ORM objects built from Core rows (issue 16).

A hot read that runs a Core statement on the unit's connection (``Database.fetch``) skips the
ORM's execution and loading machinery, the larger part of a statement's CPU. ``columns_of``
names a model's columns for such a statement (with a prefix when one statement reads several
models); ``detached`` builds the model object from a row and makes it detached, exactly as if a
session had loaded it and closed (``make_transient_to_detached``), so adding it to a session
later updates the row rather than inserting a copy.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, inspect
from sqlalchemy.orm import make_transient_to_detached

M = TypeVar("M")


_KEYS: dict[type[Any], tuple[str, ...]] = {}


def _keys(model: type[Any]) -> tuple[str, ...]:
    keys = _KEYS.get(model)
    if keys is None:
        keys = _KEYS[model] = tuple(attribute.key for attribute in inspect(model).column_attrs)
    return keys


def columns_of(model: type[Any], prefix: str = "") -> tuple[ColumnElement[Any], ...]:
    """Every column of ``model``'s table, labelled with ``prefix`` and its attribute's name."""
    return tuple(
        attribute.columns[0].label(prefix + attribute.key)
        for attribute in inspect(model).column_attrs
    )


def detached(model: type[M], row: Any, prefix: str = "") -> M:
    """A detached ``model`` object from a row of a statement that selected
    ``columns_of(model, prefix)``."""
    values = row._mapping
    obj = model(**{key: values[prefix + key] for key in _keys(model)})
    make_transient_to_detached(obj)
    return obj
