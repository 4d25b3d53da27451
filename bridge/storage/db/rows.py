"""ORM objects built from Core rows (issue 16).

A hot read that runs a Core statement on the unit's connection (``Database.fetch``) skips the
ORM's execution and loading machinery, the larger part of a statement's CPU. Callers that want
a model object get one from ``detached``: built from the row and made detached, exactly as if
a session had loaded it and closed (``make_transient_to_detached``), so adding it to a session
later updates the row rather than inserting a copy.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, inspect
from sqlalchemy.orm import make_transient_to_detached

M = TypeVar("M")


def detached(model: type[M], values: Any) -> M:
    """A detached ``model`` object with the column ``values`` (a mapping, or a row's
    ``_mapping``) of one row that was read."""
    obj = model(**values)
    make_transient_to_detached(obj)
    return obj


def columns_of(model: type[Any]) -> tuple[ColumnElement[Any], ...]:
    """Every column of ``model``'s table, labelled with its attribute's name (for ``detached``)."""
    return tuple(
        attribute.columns[0].label(attribute.key) for attribute in inspect(model).column_attrs
    )
