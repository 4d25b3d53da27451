"""Bodies checked by pydantic models and refused as ``InvalidInput``, in the words of the rules.

A model's validators call ``refuse(detail, field)`` with the sentence the admin reads; ``parse``
validates and turns the first problem into one ``InvalidInput`` (a 422 problem in the admin API,
a message in the console and the CLI). "First" is the first field of the body as the admin wrote
it when the model says ``FIRST_PROBLEM = "body order"``, else the model's own field order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal, NoReturn, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from bridge.services.orgs.errors import InvalidInput

_REFUSED = "invalid_input"

M = TypeVar("M", bound="Body")


class Body(BaseModel):
    """A request body: strict types, frozen; subclasses choose what unknown fields do."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    FIRST_PROBLEM: ClassVar[Literal["body order", "model order"]] = "model order"


def refuse(detail: str, field: str | None = None) -> NoReturn:
    """Inside a validator: refuse the body with ``detail`` (naming ``field`` in the problem)."""
    raise PydanticCustomError(_REFUSED, "{detail}", {"detail": detail, "field": field})


def parse(model: type[M], raw: Any, *, context: Mapping[str, Any] | None = None) -> M:
    """``raw`` as a ``model``, or the ``InvalidInput`` that names its first problem."""
    try:
        return model.model_validate(raw, context=context)
    except ValidationError as error:
        raise _invalid(model, error, raw) from None


def _invalid(model: type[Body], error: ValidationError, raw: Any) -> InvalidInput:
    problems = error.errors(include_url=False)
    if model.FIRST_PROBLEM == "body order" and isinstance(raw, Mapping):
        order = {name: position for position, name in enumerate(raw)}
        problems.sort(key=lambda problem: order.get(_field(problem) or "", -1))
    first = problems[0]
    field = _field(first)
    if first["type"] == _REFUSED:  # a Phrase keeps its template for the pages
        refused = first.get("ctx", {}).get("detail")
        detail = refused if isinstance(refused, str) else str(first["msg"])
    else:  # a type or constraint no validator of the model words (a model's gap, not a rule)
        detail = f"'{field or 'body'}' {first['msg']}."
    return InvalidInput(detail, field=field) if field else InvalidInput(detail)


def _field(problem: Any) -> str | None:
    if problem["type"] == _REFUSED:
        field = problem.get("ctx", {}).get("field")
        return str(field) if field is not None else None
    parts = [str(part) for part in problem["loc"] if not isinstance(part, int)]
    return ".".join(parts) or None
