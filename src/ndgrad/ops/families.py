"""Family constructors: the common shapes of a record in a few lines.

``unary_float("sin", lambda g, ans, x: g * cos(x), low=-3, high=3)`` declares an elementwise
function of one floating input: the backend's function of that name as forward (NumPy's ufunc as
the fast path and the reference), the elementwise jvp, PyTorch's promotion of integer inputs to
the default float dtype, the in-place variant ``sin_``, and uniform samples on [low, high).
Anything else is ``def_op``'s keyword, passed through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .registry import def_op
from .samples import unary

__all__ = ["unary_float"]


def unary_float(
    name: str,
    vjp: Callable[..., Any],
    *,
    low: float = -2.0,
    high: float = 2.0,
    np_name: str | None = None,
    **kwargs: Any,
) -> Callable[..., Any]:
    """Declare ``name(x)``, an elementwise function of one floating input (see the module)."""
    fname = np_name or name
    ufunc = getattr(np, fname)
    defaults: dict[str, Any] = {
        "ufunc": ufunc,
        "forward": lambda xp, x: getattr(xp, fname)(x),
        "jvp": "elementwise",
        "promote": "float",
        "inplace": True,
        "samples": unary(low=low, high=high),
        "ref": ufunc,
    }
    defaults.update(kwargs)
    return def_op(name, vjp=vjp, **defaults)
