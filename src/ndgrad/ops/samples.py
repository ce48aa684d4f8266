"""Sample-input generators for the op table (they drive the generic tests).

Each generator returns ``fn(rng, dtype) -> list[Sample]``; arrays are NumPy arrays of ``dtype``
(the test template turns floating ones into tensors that require grad).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .registry import Sample

Shapes = Sequence[tuple]

UNARY_SHAPES: tuple = ((), (4,), (2, 3))
BINARY_SHAPES: tuple = (((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 2)), ((2, 2), ()))


def _u(rng: np.random.Generator, low: float, high: float, shape: tuple, dtype: Any) -> np.ndarray:
    return np.asarray(rng.uniform(low, high, shape)).astype(dtype)


def unary(
    low: float = -2.0, high: float = 2.0, shapes: Shapes = UNARY_SHAPES, **kwargs: Any
) -> Callable[..., list]:
    """One input uniform on [low, high) for each shape; ``kwargs`` passed to the op."""

    def gen(rng: np.random.Generator, dtype: Any) -> list:
        return [Sample((_u(rng, low, high, s, dtype),), dict(kwargs), name=str(s)) for s in shapes]

    return gen


def binary(
    low: float = -2.0,
    high: float = 2.0,
    shapes: Shapes = BINARY_SHAPES,
    low2: float | None = None,
    high2: float | None = None,
    scalar: float | None = 0.75,
) -> Callable[..., list]:
    """Two inputs that broadcast against each other; plus a Python-scalar second input."""

    def gen(rng: np.random.Generator, dtype: Any) -> list:
        lo2 = low if low2 is None else low2
        hi2 = high if high2 is None else high2
        out = [
            Sample((_u(rng, low, high, a, dtype), _u(rng, lo2, hi2, b, dtype)), name=f"{a}{b}")
            for a, b in shapes
        ]
        if scalar is not None:
            out.append(Sample((_u(rng, low, high, (2, 3), dtype), scalar), name="scalar"))
        return out

    return gen


def custom(*make: Callable[[np.random.Generator, Any], Sample]) -> Callable[..., list]:
    """Samples written by hand: each ``make(rng, dtype)`` returns one Sample."""

    def gen(rng: np.random.Generator, dtype: Any) -> list:
        return [m(rng, dtype) for m in make]

    return gen


def rand(
    rng: np.random.Generator, shape: tuple, dtype: Any, low: float = -2.0, high: float = 2.0
) -> np.ndarray:
    """A uniform array (helper for custom samples)."""
    return _u(rng, low, high, shape, dtype)


def distinct(rng: np.random.Generator, shape: tuple, dtype: Any) -> np.ndarray:
    """Values with no ties and gaps of at least 0.1 (for max/min/sort-like ops)."""
    n = int(np.prod(shape)) if shape else 1
    v = (rng.permutation(n) * 0.37 - n * 0.15).astype(dtype)
    return v.reshape(shape)
