"""Linear algebra, part one, the rest (``ndgrad.linalg``): least squares, matrix functions,
tensor solves. ``linalg.matrix_exp`` is a record; ``linalg.matrix_power``, ``triangular_solve``,
``linalg.tensorinv``, ``linalg.tensorsolve``, ``linalg.householder_product`` and
``linalg.lstsq`` are composites. Helpers and samples come from ``linalg_solve``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _backend
from .._core.grad_mode import no_grad
from .._core.tensor import Tensor, make
from .join import cat
from .linalg import matmul, tril
from .linalg_solve import (
    _check_matrix,
    _eye,
    _host,
    _mH,
    _need_scipy,
    _torch_multi,
    _tri_matrix,
    _tri_ref,
    _wellcond,
    _zeros,
    inv,
    solve,
    solve_triangular,
)
from .registry import (
    EXPORTS,
    Sample,
    _result_type,
    attach_method,
    def_composite,
    def_op,
)
from .samples import rand

__all__ = [
    "matrix_exp",
    "matrix_power",
    "triangular_solve",
    "tensorinv",
    "tensorsolve",
    "householder_product",
    "lstsq",
]


# --------------------------------------------------------------------------------------------
# matrix_exp, matrix_power


def _expm_fwd(xp: Any, a: Any) -> Any:
    _check_matrix(a, "linalg.matrix_exp")
    if a.shape[-1] == 0:
        return xp.asarray(a, copy=True)
    _need_scipy("linalg.matrix_exp")
    import scipy.linalg as sl

    return _host(xp, sl.expm, a)


def _expm_block(a: Tensor, e: Tensor) -> Tensor:
    """The upper-right block of exp([[a, e], [0, a]]): the derivative of exp at a along e."""
    n = a.shape[-1]
    z = _zeros(e, tuple(e.shape))
    a = a.expand(*e.shape)
    m = cat([cat([a, e], -1), cat([z, a], -1)], -2)
    return matrix_exp(m)[..., :n, n:]


matrix_exp = def_op(
    "linalg.matrix_exp",
    forward=_expm_fwd,
    # d/dA exp(A) applied to g: the block-matrix trick exp([[A^H, g], [0, A^H]])[:n, n:]
    vjp=lambda g, ans, a: _expm_block(_mH(a), g),
    jvp=lambda tangents, ans, a: _expm_block(a, tangents[0]),
    inputs=("A",),
    save="inputs",
    method=False,
    complex=True,
    samples=lambda rng, dt: [
        Sample((rand(rng, (2, 2), dt, -1.0, 1.0),)),
        Sample((rand(rng, (2, 3, 3), dt, -1.0, 1.0),)),
    ],
    ref=lambda a: __import__("scipy.linalg").linalg.expm(a),
    doc="``linalg.matrix_exp(A)``: the matrix exponential sum A^k / k!. d/dA (vjp): the "
    "upper-right block of exp([[A^H, g], [0, A^H]]).",
)
EXPORTS["matrix_exp"] = matrix_exp
attach_method("matrix_exp", matrix_exp)


def matrix_power(A: Tensor, n: int) -> Tensor:  # noqa: N803 - PyTorch's argument names
    """``A^n`` for an integer ``n`` by repeated squaring (n < 0: of ``inv(A)``; n = 0: I).

    Example:
        >>> import ndgrad
        >>> ndgrad.linalg.matrix_power(ndgrad.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
        tensor([[1., 3.],
                [0., 1.]])
    """
    _check_matrix(A._data, "linalg.matrix_power")
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"linalg_matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if n == 0:  # the identity, with a zero gradient (PyTorch's copy of an eye)
        return A * 0.0 + _eye(A, A.shape[-1])
    base = A
    if n < 0:
        base, n = inv(A), -n
    out = None
    z = base
    while n:
        if n & 1:
            out = z if out is None else matmul(out, z)
        n >>= 1
        if n:
            z = matmul(z, z)
    return out.clone() if out is A else out


def_composite(
    "linalg.matrix_power",
    matrix_power,
    complex=True,
    samples=lambda rng, dt: [
        Sample((_wellcond(rng, (2, 2), dt) / 3, 3)),
        Sample((_wellcond(rng, (2, 3, 3), dt) / 4, -2)),
        Sample((_wellcond(rng, (2, 2), dt), 1)),
    ],
    ref=np.linalg.matrix_power,
)
EXPORTS["matrix_power"] = matrix_power
attach_method("matrix_power", matrix_power)


# --------------------------------------------------------------------------------------------
# triangular_solve (PyTorch's deprecated API)

_TRI_SOLVE = _result_type("triangular_solve", ("solution", "cloned_coefficient"))


def triangular_solve(
    b: Tensor,
    A: Tensor,  # noqa: N803 - PyTorch's argument names
    upper: bool = True,
    transpose: bool = False,
    unitriangular: bool = False,
) -> Any:
    """``(solution, cloned_coefficient)``: solve ``A X = b`` (``transpose``: ``A^T X = b``) with
    a triangle of ``A``; the second output is a copy of ``A`` (deprecated API of PyTorch)."""
    a = A.mT if transpose else A
    x = solve_triangular(a, b, upper=upper != transpose, unitriangular=unitriangular)
    batch = tuple(np.broadcast_shapes(tuple(b.shape[:-2]), tuple(A.shape[:-2])))
    return _TRI_SOLVE(x, A.expand(*batch, *A.shape[-2:]).clone())


def_composite(
    "triangular_solve",
    triangular_solve,
    method=True,
    complex=True,
    outputs=("solution", "cloned_coefficient"),
    samples=lambda rng, dt: [
        Sample((rand(rng, (3, 2), dt), _tri_matrix(rng, (3, 3), dt, True))),
        Sample((rand(rng, (2, 2, 1), dt), _tri_matrix(rng, (2, 2), dt, False), False, True)),
    ],
    torch=_torch_multi("triangular_solve", (0, 1)),
    ref=lambda b, a, upper=True, transpose=False, unitriangular=False: (
        _tri_ref(np.swapaxes(a, -1, -2) if transpose else a, b, upper != transpose),
        np.broadcast_to(a, np.broadcast_shapes(b.shape[:-2], a.shape[:-2]) + a.shape[-2:]),
    ),
)

# --------------------------------------------------------------------------------------------
# tensorinv, tensorsolve, householder_product


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:  # noqa: N803 - PyTorch's argument names
    """The inverse of ``A`` seen as a linear map from its first ``ind`` dims to the rest."""
    if ind <= 0:
        raise RuntimeError(
            f"Expected a strictly positive integer for 'ind', but got {ind}; hint: ind splits "
            "A's dimensions into rows and columns"
        )
    out_shape, in_shape = tuple(A.shape[ind:]), tuple(A.shape[:ind])
    rows = math.prod(in_shape)
    if math.prod(out_shape) != rows:
        raise RuntimeError(
            f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {math.prod(out_shape)} != {rows}; hint: "
            "choose ind so the map is square"
        )
    return inv(A.reshape(rows, rows)).reshape(*out_shape, *in_shape)


def tensorsolve(A: Tensor, B: Tensor, dims: Any = None) -> Tensor:  # noqa: N803
    """X with ``tensordot(A, X, X.ndim) == B``; ``dims``: A's dims moved to the end first."""
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        a = A.movedim(dims, list(range(A.ndim - len(dims), A.ndim)))
    else:
        a = A
    x_shape = tuple(a.shape[B.ndim :])
    n = math.prod(x_shape)
    return solve(a.reshape(-1, n), B.reshape(-1)).reshape(*x_shape)


def_composite(
    "linalg.tensorinv",
    tensorinv,
    complex=True,
    samples=lambda rng, dt: [
        Sample((_wellcond(rng, (4, 4), dt).reshape(4, 2, 2), 1)),
        Sample((_wellcond(rng, (4, 4), dt).reshape(2, 2, 2, 2),)),
    ],
    ref=lambda a, ind=2: np.linalg.tensorinv(a, ind),
)
def_composite(
    "linalg.tensorsolve",
    tensorsolve,
    complex=True,
    samples=lambda rng, dt: [
        Sample((_wellcond(rng, (4, 4), dt).reshape(2, 2, 4), rand(rng, (2, 2), dt))),
        Sample((_wellcond(rng, (4, 4), dt).reshape(2, 2, 2, 2), rand(rng, (2, 2), dt), (0,))),
    ],
    ref=lambda a, b, dims=None: np.linalg.tensorsolve(a, b, dims),
)


def householder_product(A: Tensor, tau: Tensor) -> Tensor:  # noqa: N803
    """The first n columns of ``H_1 ... H_k``, ``H_i = I - tau_i v_i v_i^H`` (``v_i``: column i
    of A below the diagonal, 1 on it); LAPACK's orgqr/ungqr. Gradients through the products."""
    if A.ndim < 2:
        raise RuntimeError(
            "torch.linalg.householder_product: input must have at least 2 dimensions.; hint: "
            "A is (..., m, n)"
        )
    m, n = A.shape[-2:]
    k = tau.shape[-1]
    if not (k <= n <= m):
        raise RuntimeError(
            "torch.linalg.householder_product: input.shape[-2] must be greater than or equal to "
            f"input.shape[-1]; hint: need tau.shape[-1] <= n <= m, got m={m}, n={n}, k={k}"
        )
    v = tril(A, -1) + _eye(A, m, n)
    q = _eye(A, m)
    for i in range(k):
        vi = v[..., :, i : i + 1]
        t = tau[..., i : i + 1].unsqueeze(-1)
        q = q - matmul(matmul(q, vi) * t, _mH(vi))
    return q[..., :, :n]


def _householder_ref(a: np.ndarray, tau: np.ndarray) -> np.ndarray:
    m, n = a.shape[-2:]
    v = np.tril(a, -1) + np.eye(m, n)
    q = np.broadcast_to(np.eye(m), a.shape[:-2] + (m, m))
    for i in range(tau.shape[-1]):
        vi = v[..., :, i : i + 1]
        q = q - (q @ vi) * tau[..., i, None, None] @ np.swapaxes(vi, -1, -2)
    return q[..., :, :n]


def_composite(
    "linalg.householder_product",
    householder_product,
    ref=_householder_ref,
    complex=True,
    samples=lambda rng, dt: [
        Sample((rand(rng, (3, 2), dt), rand(rng, (2,), dt))),
        Sample((rand(rng, (2, 3, 3), dt), rand(rng, (2, 2), dt))),
    ],
)


# --------------------------------------------------------------------------------------------
# lstsq (the CPU default driver, gelsy)

_LSTSQ = _result_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))


def lstsq(
    A: Tensor,  # noqa: N803 - PyTorch's argument names
    B: Tensor,  # noqa: N803
    rcond: float | None = None,
    *,
    driver: str | None = None,
) -> Any:
    """Least squares ``min ||A X - B||`` (full-rank A, any shape): ``(solution, residuals,
    rank, singular_values)`` as PyTorch's CPU default driver ``gelsy`` returns them (residuals
    and singular_values empty, rank computed).

    The value is the SVD-based solution; the gradient is that of ``(A^H A)^-1 A^H B`` (tall)
    or ``A^H (A A^H)^-1 B`` (wide), which equals PyTorch's pinv-based rule at full rank.
    A rank-deficient A raises (PyTorch's gelsy returns a basic solution there).
    """
    if driver not in (None, "gelsy"):
        raise NotImplementedError(
            f"torch.linalg.lstsq: driver={driver!r} is not implemented in ndgrad; hint: use the "
            "default driver (gelsy)"
        )
    a = A._data
    _check_matrix(a, "torch.linalg.lstsq", square=False)
    m, n = a.shape[-2:]
    if B.ndim not in (A.ndim, A.ndim - 1):
        raise RuntimeError(
            "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
            "(input.dim() - other.dim()) <= 1; hint: B is (..., m, k) or (..., m)"
        )
    vec = B.ndim == A.ndim - 1
    b = B.unsqueeze(-1) if vec else B
    if b.shape[-2] != m:
        raise RuntimeError(
            f"torch.linalg.lstsq: input.size(-2) should match other.size(-2); hint: A has {m} "
            f"rows, B {b.shape[-2]}"
        )
    xp = _backend.namespace(a)
    fi = xp.finfo(a.dtype)
    rtol = float(fi.eps) * max(m, n) if rcond is None else rcond
    rank = _host(xp, lambda x: np.asarray(np.linalg.matrix_rank(x, rtol=rtol), np.int64), a)
    if int(np.min(_backend.to_numpy(rank))) < min(m, n):
        raise NotImplementedError(
            "torch.linalg.lstsq: rank-deficient A is not implemented in ndgrad; hint: use "
            "ndgrad.linalg.pinv(A) @ B for the minimum-norm solution"
        )
    ah = _mH(A)
    x = solve(matmul(ah, A), matmul(ah, b)) if m >= n else matmul(ah, solve(matmul(A, ah), b))
    with no_grad():
        acc = make(xp.linalg.pinv(a) @ b._data)
        fix = acc - x.detach()
    x = x + fix  # the accurate value, the exact full-rank gradient
    if vec:
        x = x[..., 0]
    empty = make(xp.zeros((0,), dtype=fi.dtype, device=a.device))
    return _LSTSQ(x, empty, make(rank), empty)


def_composite(
    "linalg.lstsq",
    lstsq,
    complex=True,
    outputs=("solution", "residuals", "rank", "singular_values"),
    diff_outputs=(0,),
    samples=lambda rng, dt: [
        Sample((_wellcond(rng, (3, 3), dt)[..., :2], rand(rng, (3, 2), dt)), name="tall"),
        Sample((_wellcond(rng, (2, 2, 2), dt), rand(rng, (1, 2, 1), dt)), name="broadcast"),
        Sample((_wellcond(rng, (2, 2), dt), rand(rng, (2,), dt)), name="vector"),
        Sample((_wellcond(rng, (3, 3), dt)[:2], rand(rng, (2, 1), dt)), name="wide"),
    ],
    torch=_torch_multi("linalg.lstsq", (0,)),
    ref=lambda a, b, rcond=None, driver=None: (
        (np.linalg.pinv(a) @ (b[..., None] if b.ndim < a.ndim else b))[..., 0]
        if b.ndim < a.ndim
        else np.linalg.pinv(a) @ b,
        np.zeros((0,)),
        np.asarray(np.linalg.matrix_rank(a)),
        np.zeros((0,)),
    ),
)
