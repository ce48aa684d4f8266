"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode.

The mode lives in a ``contextvars.ContextVar``, so each thread and each asyncio task sees its own
mode: ``no_grad`` in one thread never switches recording off in another. Every class works as a
context manager and as a decorator, as in PyTorch.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
]

# True or False as users set it; the engine sets the int 0 while its rules run without
# create_graph, so the dispatch can tell its own no-grad pass from a user's no_grad().
_GRAD = contextvars.ContextVar("ndgrad_grad_enabled", default=True)
_INFERENCE = contextvars.ContextVar("ndgrad_inference_mode", default=False)
grad_enabled = _GRAD.get  # the hot path reads this directly

F = TypeVar("F", bound=Callable[..., Any])


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded."""
    return _GRAD.get()


def is_inference_mode_enabled() -> bool:
    return _INFERENCE.get()


class _Mode:
    """Base: a context manager that sets the grad mode, usable as a decorator too."""

    _value: bool = True

    def __enter__(self) -> None:
        self._token = _GRAD.set(self._value)

    def __exit__(self, *exc: Any) -> None:
        _GRAD.reset(self._token)

    def clone(self) -> _Mode:
        return self.__class__()

    def __call__(self, fn: F) -> F:
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def gen(*args: Any, **kwargs: Any) -> Any:
                g = fn(*args, **kwargs)
                try:
                    with self.clone():
                        resp = g.send(None)
                    while True:
                        try:
                            req = yield resp  # suspended: the caller's mode, not ours
                        except GeneratorExit:
                            with self.clone():
                                g.close()
                            raise
                        except BaseException as exc:  # forwarded into the generator
                            with self.clone():
                                resp = g.throw(exc)
                        else:
                            with self.clone():
                                resp = g.send(req)
                except StopIteration as e:
                    return e.value

            return gen  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_Mode):  # noqa: N801 - PyTorch's name
    """Context manager / decorator that disables recording of operations.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([1.0], requires_grad=True)
        >>> with ndgrad.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    _value = False


class enable_grad(_Mode):  # noqa: N801
    """Context manager / decorator that enables recording inside a ``no_grad`` block."""

    _value = True


class set_grad_enabled(_Mode):  # noqa: N801
    """Set recording on or off: as a function call, a context manager or a decorator."""

    def __init__(self, mode: bool) -> None:
        self._value = bool(mode)
        self._prev = _GRAD.get()
        self._token0 = _GRAD.set(self._value)  # takes effect when called as a function

    def __enter__(self) -> None:
        self._token = _GRAD.set(self._value)

    def __exit__(self, *exc: Any) -> None:
        _GRAD.reset(self._token)
        _GRAD.set(self._prev)

    def clone(self) -> set_grad_enabled:
        cur = _GRAD.get()
        obj = set_grad_enabled.__new__(set_grad_enabled)
        obj._value = self._value
        obj._prev = cur
        obj._token0 = None
        return obj

    def __call__(self, fn: F) -> F:  # decorator form must not keep the mode changed
        _GRAD.set(self._prev)
        return super().__call__(fn)


class inference_mode(_Mode):  # noqa: N801
    """Like ``no_grad``; tensors made inside are marked as inference tensors."""

    def __init__(self, mode: bool = True) -> None:
        self._value = not mode
        self._mode = mode

    def __enter__(self) -> None:
        self._token = _GRAD.set(self._value)
        self._itoken = _INFERENCE.set(self._mode)

    def __exit__(self, *exc: Any) -> None:
        _INFERENCE.reset(self._itoken)
        _GRAD.reset(self._token)

    def clone(self) -> inference_mode:
        return inference_mode(self._mode)
