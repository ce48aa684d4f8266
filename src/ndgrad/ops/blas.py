"""BLAS-style fused ops: ``beta * input + alpha * (a @ b)`` in its five shapes.

``addmm`` (matrix @ matrix), ``addmv`` (matrix @ vector), ``addr`` (outer product), ``baddbmm``
(batched), ``addbmm`` (batched, summed over the batch); each with its in-place form
(``x.addmm_(a, b)``). With ``beta == 0`` the input is ignored, NaN included, as in PyTorch.

Rules: d/dinput = beta g (summed back to input's shape by the engine); d/da and d/db are the
product's rules scaled by alpha (d(a @ b)/da = g @ b^T, d/db = a^T @ g; b^H, a^H and conj(alpha)
for complex: See Note [Complex gradients] in elementwise.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._core.tensor import Tensor
from .elementwise import _cj
from .registry import EXPORTS, Sample, def_op
from .samples import rand


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    return EXPORTS["matmul"](a, b)


def _scale(t: Tensor, s: Any) -> Tensor:
    return t if s == 1 else t * s


def _scale_cj(t: Tensor, s: Any) -> Tensor:
    """``t * conj(s)``: a vjp's scaling by beta or alpha (See Note [Complex gradients])."""
    return t if s == 1 else t * _cj(s)


# Each shape: the forward product on arrays, the two rules of the product, the ndims of a and b.
def _mm_rules() -> tuple:
    return (
        lambda g, a, b: _matmul(g, _cj(b.mT)),
        lambda g, a, b: _matmul(_cj(a.mT), g),
    )


def _mv_rules() -> tuple:
    return (
        lambda g, a, b: _matmul(g.unsqueeze(-1), _cj(b.unsqueeze(0))),
        lambda g, a, b: _matmul(_cj(a.mT), g),
    )


def _r_rules() -> tuple:
    return (
        lambda g, a, b: _matmul(g, _cj(b)),
        lambda g, a, b: _matmul(g.mT, _cj(a)),
    )


def _addbmm_rules() -> tuple:
    return (
        lambda g, a, b: _matmul(g, _cj(b.mT)),  # g (n, p) broadcasts over the batch
        lambda g, a, b: _matmul(_cj(a.mT), g),
    )


_SHAPES: dict[str, tuple] = {
    # name: (product on arrays, rules, ndim of a, ndim of b, names of a and b)
    "addmm": (lambda xp, a, b: xp.matmul(a, b), _mm_rules(), 2, 2, ("mat1", "mat2")),
    "addmv": (lambda xp, a, b: xp.matmul(a, b), _mv_rules(), 2, 1, ("mat", "vec")),
    "addr": (lambda xp, a, b: a[:, None] * b[None, :], _r_rules(), 1, 1, ("vec1", "vec2")),
    "baddbmm": (lambda xp, a, b: xp.matmul(a, b), _mm_rules(), 3, 3, ("batch1", "batch2")),
    "addbmm": (
        lambda xp, a, b: xp.sum(xp.matmul(a, b), axis=0),
        _addbmm_rules(),
        3,
        3,
        ("batch1", "batch2"),
    ),
}


def _product_jvp(name: str) -> Callable[..., Tensor]:
    def prod(a: Tensor, b: Tensor) -> Tensor:
        if name == "addr":
            return a.unsqueeze(-1) * b.unsqueeze(0)
        r = _matmul(a, b)
        return r.sum(0) if name == "addbmm" else r

    def jvp(ts: tuple, ans: Any, x: Any, a: Any, b: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
        out = None
        if ts[0] is not None and beta != 0:
            out = _scale(ts[0], beta)
        for term in (
            None if ts[1] is None else prod(ts[1], b),
            None if ts[2] is None else prod(a, ts[2]),
        ):
            if term is not None:
                term = _scale(term, alpha)
                out = term if out is None else out + term
        return out

    return jvp


def _def_blas(name: str, samples: Callable[..., list], doc: str) -> Callable[..., Tensor]:
    product, rules, na, nb, (an, bn) = _SHAPES[name]

    def forward(xp: Any, x: Any, a: Any, b: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
        if a.ndim != na or b.ndim != nb:
            raise RuntimeError(
                f"{name}: expected {an} to be {na}-D and {bn} to be {nb}-D, got {an} of shape "
                f"{list(a.shape)} and {bn} of shape {list(b.shape)}"
            )
        if a.dtype != b.dtype or x.dtype != a.dtype:
            raise RuntimeError(
                f"{name}: expected input, {an} and {bn} to have the same dtype, but got: "
                f"{x.dtype}, {a.dtype} and {b.dtype}; hint: convert them with .to(dtype)"
            )
        try:
            p = product(xp, a, b)
        except ValueError as e:
            raise RuntimeError(
                f"{name}: {an} and {bn} shapes cannot be multiplied ({list(a.shape)} and "
                f"{list(b.shape)})"
            ) from e
        if np.broadcast_shapes(tuple(x.shape), tuple(p.shape)) != tuple(p.shape):
            raise RuntimeError(
                f"{name}: the input of shape {list(x.shape)} does not broadcast to the product's "
                f"shape {list(p.shape)}"
            )
        if alpha != 1:
            p = alpha * p
        if beta == 0:
            return p  # PyTorch ignores input (NaN included) when beta is 0
        return (x if beta == 1 else beta * x) + p

    ra, rb = rules
    return def_op(
        name,
        forward=forward,
        vjp=(
            lambda g, ans, x, a, b, *, beta=1, alpha=1: _scale_cj(g, beta),
            lambda g, ans, x, a, b, *, beta=1, alpha=1: _scale_cj(ra(g, a, b), alpha),
            lambda g, ans, x, a, b, *, beta=1, alpha=1: _scale_cj(rb(g, a, b), alpha),
        ),
        jvp=_product_jvp(name),
        inputs=("input", an, bn),
        params=(("beta", 1), ("alpha", 1)),
        save_for=((), (2,), (1,)),
        inplace=True,
        complex=True,  # the rules conjugate the other factor and the scalars (a @ b)^H
        samples=samples,
        ref=lambda x, a, b, beta=1, alpha=1: beta * x + alpha * _np_product(name, a, b),
        doc=doc,
    )


def _np_product(name: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if name == "addr":
        return np.outer(a, b)
    p = np.matmul(a, b)
    return p.sum(0) if name == "addbmm" else p


def _samples(shape_x: tuple, shape_a: tuple, shape_b: tuple, bcast: tuple) -> Callable[..., list]:
    def gen(rng: np.random.Generator, dt: Any) -> list:
        return [
            Sample((rand(rng, shape_x, dt), rand(rng, shape_a, dt), rand(rng, shape_b, dt))),
            Sample(
                (rand(rng, bcast, dt), rand(rng, shape_a, dt), rand(rng, shape_b, dt)),
                {"beta": 0.5, "alpha": -2.0},
                name="broadcast input, beta, alpha",
            ),
            Sample(
                (rand(rng, shape_x, dt), rand(rng, shape_a, dt), rand(rng, shape_b, dt)),
                {"beta": 0},
                name="beta=0",
            ),
        ]

    return gen


addmm = _def_blas(
    "addmm",
    _samples((2, 4), (2, 3), (3, 4), (4,)),
    "beta * input + alpha * (mat1 @ mat2), for matrices (what nn.Linear records on 2-D input).",
)
addmv = _def_blas(
    "addmv",
    _samples((2,), (2, 3), (3,), ()),
    "beta * input + alpha * (mat @ vec).",
)
addr = _def_blas(
    "addr",
    _samples((2, 3), (2,), (3,), (3,)),
    "beta * input + alpha * outer(vec1, vec2).",
)
baddbmm = _def_blas(
    "baddbmm",
    _samples((2, 2, 4), (2, 2, 3), (2, 3, 4), (2, 4)),
    "beta * input + alpha * (batch1 @ batch2), batch by batch.",
)
addbmm = _def_blas(
    "addbmm",
    _samples((2, 4), (3, 2, 3), (3, 3, 4), (4,)),
    "beta * input + alpha * sum over the batch of batch1[i] @ batch2[i].",
)

__all__ = ["addbmm", "addmm", "addmv", "addr", "baddbmm"]
