"""Anomaly mode, as ``torch.autograd.anomaly_mode``: ``detect_anomaly`` and ``set_detect_anomaly``.

While it is on, each recorded node keeps the traceback of the forward call that made it. When a
node's backward fails, the error (the same exception class) carries a note "Error detected in
MulBackward0. Traceback of forward call that caused the error: ..." and the same text is warned,
as PyTorch prints it. With ``check_nan`` a backward that returns NaN raises PyTorch's
``RuntimeError("Function 'MulBackward0' returned nan values in its 0th output.")``. Beyond
PyTorch, the first op whose *forward* made NaN or inf out of finite inputs is warned about at
once, with the user's file and line, and named again in a later backward error.

The mode lives in a ``contextvars.ContextVar``: threads and asyncio tasks never see each other's.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from .._core.anomaly import (
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_anomaly_enabled,
)

__all__ = ["detect_anomaly", "set_detect_anomaly"]

F = TypeVar("F", bound=Callable[..., Any])


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Context manager / decorator that turns anomaly detection on (see the module docstring).

    Args:
        check_nan: also raise when a backward computation returns NaN (default True).

    Example:
        >>> import warnings, ndgrad
        >>> x = ndgrad.tensor([0.0], requires_grad=True)
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     with ndgrad.autograd.detect_anomaly():
        ...         y = (x.sqrt() * 0).sum()
        ...         try:
        ...             y.backward()
        ...         except RuntimeError as e:
        ...             print(str(e))
        Function 'SqrtBackward0' returned nan values in its 0th output.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self) -> None:
        self._saved = (is_anomaly_enabled(), is_anomaly_check_nan_enabled())
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args: object) -> None:
        set_anomaly_enabled(*self._saved)

    def __call__(self, fn: F) -> F:
        check_nan = self.check_nan

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = (is_anomaly_enabled(), is_anomaly_check_nan_enabled())
            set_anomaly_enabled(True, check_nan)
            try:
                return fn(*args, **kwargs)
            finally:
                set_anomaly_enabled(*prev)

        return wrapper  # type: ignore[return-value]


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """Set anomaly detection on or off: as a function call or a context manager.

    Args:
        mode: True to enable anomaly detection, False to disable it.
        check_nan: also raise when a backward computation returns NaN.

    Example:
        >>> import ndgrad
        >>> with ndgrad.autograd.set_detect_anomaly(True):
        ...     ndgrad.is_anomaly_enabled()
        True
        >>> ndgrad.is_anomaly_enabled()
        False
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *args: object) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)
