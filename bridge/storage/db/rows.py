"""ORM objects built from Core rows (issue 16).

A hot read that runs a Core statement on the unit's connection (``Database.fetch``) skips the
ORM's execution and loading machinery, the larger part of a statement's CPU. ``columns_of``
names a model's columns for such a statement (with a prefix when one statement reads several
models); ``detached`` builds the model object from a row and makes it detached, exactly as if a
session had loaded it and closed (``make_transient_to_detached``), so adding it to a session
later updates the row rather than inserting a copy.

The object is built as the ORM's own loading builds one: its values go straight into the
instance's ``__dict__`` (no constructor, no attribute events: a tenth of the CPU). A ``Shape``
names some of a model's columns only, for a statement that reads what its callers use (each
column read costs a driver description and a result processor): the others are *expired* on
the object, so reading one raises ``DetachedInstanceError`` instead of answering a wrong
``None`` (and loads it once the object is added to a session).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, inspect
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import instance_state

M = TypeVar("M")


class Shape(Generic[M]):
    """Which columns of ``model`` a statement reads, and how a row of them becomes a detached
    ``model`` object (built once per module, used for every row)."""

    def __init__(self, model: type[M], keys: Iterable[str] | None = None) -> None:
        mapper: Mapper[M] = inspect(model)
        every = tuple(attribute.key for attribute in mapper.column_attrs)
        chosen = every if keys is None else tuple(keys)
        unknown = set(chosen) - set(every)
        if unknown:
            raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
        primary = tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)
        if not set(primary) <= set(chosen):
            raise ValueError(f"a shape of {model.__name__} must read its primary key")
        self.model = model
        self.keys = chosen
        self._mapper = mapper
        self._primary = primary
        self._unread = frozenset(mapper.class_manager) - set(chosen)
        self._labels: dict[str, tuple[tuple[str, str], ...]] = {}

    def columns(self, prefix: str = "") -> tuple[ColumnElement[Any], ...]:
        """The shape's columns, labelled with ``prefix`` and their attribute's name."""
        attributes = self._mapper.column_attrs
        return tuple(attributes[key].columns[0].label(prefix + key) for key in self.keys)

    def detached(self, row: Any, prefix: str = "") -> M:
        """A detached object from a row of a statement that selected ``columns(prefix)``."""
        labels = self._labels.get(prefix)
        if labels is None:
            labels = self._labels[prefix] = tuple((key, prefix + key) for key in self.keys)
        values = row._mapping
        obj: M = self._mapper.class_manager.new_instance()
        state = instance_state(obj)
        loaded = state.dict
        for key, label in labels:
            loaded[key] = values[label]
        state.key = self._mapper.identity_key_from_primary_key(
            tuple([loaded[key] for key in self._primary])
        )
        if self._unread:
            state._expire_attributes(loaded, self._unread)
        return obj


_SHAPES: dict[type[Any], Shape[Any]] = {}


def _whole(model: type[M]) -> Shape[M]:
    shape = _SHAPES.get(model)
    if shape is None:
        shape = _SHAPES[model] = Shape(model)
    return shape


def columns_of(model: type[Any], prefix: str = "") -> tuple[ColumnElement[Any], ...]:
    """Every column of ``model``'s table, labelled with ``prefix`` and its attribute's name."""
    return _whole(model).columns(prefix)


def detached(model: type[M], row: Any, prefix: str = "") -> M:
    """A detached ``model`` object from a row of a statement that selected
    ``columns_of(model, prefix)``."""
    return _whole(model).detached(row, prefix)
