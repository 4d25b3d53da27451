"""The bridge's Flask class: Flask as it is, minus a cost every request paid for nothing.

Flask passes every view, request hook, error handler and context processor through
``ensure_sync`` on every call, and its ``inspect.iscoroutinefunction`` test (unwrapping
methods and partials) ran about ten times per request (issue 16). A plain function's code
flags answer the same question; anything else still goes through Flask's own test, so an
``async def`` view would still be run as Flask runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from inspect import CO_COROUTINE
from types import FunctionType
from typing import Any

from flask import Flask


class BridgeFlask(Flask):
    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if (
            type(func) is FunctionType
            and not func.__code__.co_flags & CO_COROUTINE
            and not hasattr(func, "_is_coroutine_marker")  # inspect.markcoroutinefunction
        ):
            return func
        return super().ensure_sync(func)
