"""Linear algebra, part one, LU (``ndgrad.linalg``): ``linalg.lu_factor_ex``, ``linalg.lu`` and
``lu_unpack`` are records; ``linalg.lu_factor`` and ``linalg.lu_solve`` are composites (the
top-level ``ndgrad.lu_solve`` wraps the latter). Helpers and samples come from ``linalg_solve``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _backend
from .._core.tensor import Tensor
from .join import cat
from .linalg import matmul, tril, triu
from .linalg_solve import (
    _check_matrix,
    _eye,
    _host,
    _info_from_lu,
    _lu_np,
    _matrix_solve_ref,
    _mH,
    _need_scipy,
    _raise_info,
    _torch_multi,
    _wellcond,
    _zeros,
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

__all__ = ["lu", "lu_factor", "lu_factor_ex", "lu_solve", "lu_unpack"]


# --------------------------------------------------------------------------------------------
# LU: lu_factor_ex, lu_factor, lu, lu_unpack, lu_solve


def _lu_check(a: Any, pivot: bool, op: str) -> None:
    _check_matrix(a, op, square=False)
    if not pivot:
        raise RuntimeError(
            "linalg.lu_factor: LU without pivoting is not implemented on the CPU; hint: use "
            "pivot=True (the default)"
        )
    _need_scipy(op)


def _lu_factor_np(a: np.ndarray) -> tuple:
    lu, piv = _lu_np(a)
    return lu, (piv + 1).astype(np.int32), _info_from_lu(lu)


def _lu_factor_ex_fwd(xp: Any, a: Any, *, pivot: bool = True, check_errors: bool = False):
    _lu_check(a, pivot, "linalg.lu_factor_ex")
    lu, piv, info = _host(xp, _lu_factor_np, a)
    if check_errors:
        _raise_info(info, "linalg.lu_factor_ex", "inv")
    return lu, piv, info


def _perm_np(piv: np.ndarray, m: int) -> np.ndarray:
    """P (m x m, A = P L U) from LAPACK's 1-based row interchanges ``piv`` (..., k)."""
    batch = piv.shape[:-1]
    perm = np.broadcast_to(np.arange(m), batch + (m,)).copy()
    for i in range(piv.shape[-1]):
        j = piv[..., i : i + 1].astype(np.int64) - 1
        pi = perm[..., i : i + 1].copy()
        pj = np.take_along_axis(perm, j, -1)
        perm[..., i : i + 1] = pj
        np.put_along_axis(perm, j, pi, -1)
    # rows of P^T A are A[perm]: P^T = I[perm], so P[perm[r], r] = 1
    eye = np.eye(m)
    return np.swapaxes(eye[perm], -1, -2)


def _unpack(lu: Tensor, m: int, n: int) -> tuple:
    """L (m x k, unit lower) and U (k x n, upper) from the packed LU (ndgrad ops)."""
    k = min(m, n)
    lo = tril(lu, -1)[..., :, :k] + _eye(lu, m, k)
    up = triu(lu)[..., :k, :]
    return lo, up


def _lu_backward(gl: Tensor | None, gu: Tensor | None, p: Tensor, lo: Tensor, up: Tensor):
    """PyTorch's rule for A = P L U, L (m, k) unit lower, U (k, n) upper, k = min(m, n).

    Square: ``P L^-H (tril(L^H gL, -1) + triu(gU U^H)) U^-H``; the wide and tall cases add the
    blocks of U (L) beyond the first k columns (rows).
    """
    m, k, n = lo.shape[-2], lo.shape[-1], up.shape[-1]
    if gl is None and gu is None:
        return None
    # only the strictly lower part of L and the upper part of U are outputs: the rest of their
    # cotangents goes to constants
    gl = None if gl is None else tril(gl, -1)
    gu = None if gu is None else triu(gu)
    ut = solve_triangular
    if m == n:
        phi = None if gl is None else tril(matmul(_mH(lo), gl), -1)
        if gu is not None:
            t = triu(matmul(gu, _mH(up)))
            phi = t if phi is None else phi + t
        x = ut(_mH(up), phi, upper=False, left=False)
        x = ut(_mH(lo), x, upper=True, unitriangular=True)
    elif m < n:  # wide: U = [U1 U2]
        phi = None if gl is None else matmul(_mH(lo), gl)
        if gu is not None:
            t = matmul(triu(gu), _mH(up))
            phi = -t if phi is None else phi - t
        x = ut(_mH(up[..., :, :k]), tril(phi, -1), upper=False, left=False)
        if gu is not None:
            x = cat([x + triu(gu[..., :, :k]), gu[..., :, k:]], -1)
        x = ut(_mH(lo), x, upper=True, unitriangular=True)
        if gu is None:
            x = cat([x, _zeros(x, tuple(x.shape[:-1]) + (n - k,))], -1)
    else:  # tall: L = [L1; L2]
        phi = None if gu is None else matmul(gu, _mH(up))
        if gl is not None:
            t = matmul(_mH(lo), gl)
            phi = -t if phi is None else phi - t
        x = ut(_mH(lo[..., :k, :]), triu(phi), upper=True, unitriangular=True)
        if gl is not None:
            x = cat([x + tril(gl[..., :k, :], -1), gl[..., k:, :]], -2)
        x = ut(_mH(up), x, upper=False, left=False)
        if gl is None:
            x = cat([x, _zeros(x, tuple(x.shape[:-2]) + (m - k, n))], -2)
    return matmul(p, x)


def _lu_jvp_core(ta: Tensor, p: Tensor, lo: Tensor, up: Tensor) -> tuple:
    """From P^T dA = dL U + L dU: with X = L1^-1 (P^T dA)_11 U1^-1 (the leading k x k blocks),
    dL1 = L1 tril(X, -1), dU1 = triu(X) U1; the extra columns (wide) or rows (tall) follow."""
    m, k, n = lo.shape[-2], lo.shape[-1], up.shape[-1]
    ut = solve_triangular
    pa = matmul(p.mT, ta)
    lo1, up1 = lo[..., :k, :], up[..., :, :k]
    x = ut(lo1, pa[..., :k, :k], upper=False, unitriangular=True)
    x = ut(up1, x, upper=True, left=False)
    dl1, du1 = matmul(lo1, tril(x, -1)), matmul(triu(x), up1)
    if m == n:
        return dl1, du1
    if m < n:  # dU2 = L^-1 (P^T dA)_2 - tril(X, -1) U2
        du2 = ut(lo, pa[..., :, k:], upper=False, unitriangular=True)
        du2 = du2 - matmul(tril(x, -1), up[..., :, k:])
        return dl1, cat([du1, du2], -1)
    dl2 = ut(up, pa[..., k:, :] - matmul(lo[..., k:, :], du1), upper=True, left=False)
    return cat([dl1, dl2], -2), du1


def _lu_factor_vjp(grads: tuple, ans: tuple, a: Any, **_: Any) -> Tensor | None:
    g = grads[0]
    lu, piv = ans[0], ans[1]
    m, n = lu.shape[-2:]
    lo, up = _unpack(lu, m, n)
    p = lu_unpack(lu, piv, unpack_data=False).P
    k = min(m, n)
    return _lu_backward(tril(g, -1)[..., :, :k], triu(g)[..., :k, :], p, lo, up)


def _lu_factor_jvp(tangents: tuple, ans: tuple, a: Any, **_: Any) -> tuple:
    lu, piv = ans[0], ans[1]
    m, n = lu.shape[-2:]
    lo, up = _unpack(lu, m, n)
    p = lu_unpack(lu, piv, unpack_data=False).P
    dl, du = _lu_jvp_core(tangents[0], p, lo, up)
    return _lu_unpack_vjp((None, dl, du), None, lu, None), None, None


def _lu_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        Sample((rand(rng, (3, 3), dt),)),
        Sample((rand(rng, (2, 2, 2), dt),)),
        Sample((rand(rng, (2, 3), dt),), name="wide"),
        Sample((rand(rng, (3, 2), dt),), name="tall"),
    ]


def _lu_factor_ref(a: np.ndarray, pivot: bool = True, check_errors: bool = False) -> tuple:
    lu, piv, info = _lu_factor_np(a)
    return lu, piv, info


lu_factor_ex = def_op(
    "linalg.lu_factor_ex",
    forward=_lu_factor_ex_fwd,
    vjp=_lu_factor_vjp,
    jvp=_lu_factor_jvp,
    inputs=("A",),
    params=(("pivot", True), ("check_errors", False)),
    save=None,
    outputs=("LU", "pivots", "info"),
    diff_outputs=(0,),
    save_outputs=(0, 1),
    result_name="linalg_lu_factor_ex",
    method=False,
    complex=True,
    torch=_torch_multi("linalg.lu_factor_ex", (0,)),
    samples=_lu_samples,
    ref=_lu_factor_ref,
    doc="``linalg.lu_factor_ex(A, pivot=True, check_errors=False)``: (LU, pivots, info), "
    "A = P L U packed in LU; pivots 1-based int32 as LAPACK. The gradient is the LU one "
    "(square A).",
)


def lu_factor(A: Tensor, *, pivot: bool = True) -> Any:  # noqa: N803 - PyTorch's argument names
    """``(LU, pivots)`` of ``A = P L U`` (partial pivoting); raises for an exactly singular A.

    Example:
        >>> import ndgrad
        >>> ndgrad.linalg.lu_factor(ndgrad.tensor([[1.0, 2.0], [3.0, 4.0]])).pivots
        tensor([2, 2], dtype=ndgrad.int32)
    """
    res = lu_factor_ex(A, pivot=pivot)
    info = _backend.to_numpy(res.info._data)
    if info.any():
        k = int(info.reshape(-1)[np.flatnonzero(info.reshape(-1))[0]])
        raise RuntimeError(
            f"torch.linalg.lu_factor: U[{k},{k}] is zero and using it on lu_solve would result "
            "in a division by zero. If you still want to perform the factorization, consider "
            "calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
        )
    return _LU_FACTOR(res.LU, res.pivots)


_LU_FACTOR = _result_type("linalg_lu_factor", ("LU", "pivots"))
def_composite(
    "linalg.lu_factor",
    lu_factor,
    outputs=("LU", "pivots"),
    diff_outputs=(0,),
    complex=True,
    torch=_torch_multi("linalg.lu_factor", (0,)),
    samples=_lu_samples,
    ref=lambda a, pivot=True: _lu_factor_np(a)[:2],
)


def _lu_unpack_fwd(
    xp: Any, lu: Any, piv: Any, *, unpack_data: bool = True, unpack_pivots: bool = True
) -> tuple:
    m, n = lu.shape[-2:]
    k = min(m, n)
    batch = tuple(lu.shape[:-2])
    empty = xp.zeros((0,), dtype=lu.dtype, device=lu.device)
    if unpack_data:
        eye = xp.eye(m, k, dtype=lu.dtype, device=lu.device)
        lo = xp.tril(lu, k=-1)[..., :, :k] + eye
        up = xp.triu(lu)[..., :k, :]
    else:
        lo = up = empty
    if unpack_pivots:
        p = _host(xp, lambda pv: _perm_np(pv, m).astype(_backend.to_numpy(lu).dtype), piv)
        p = xp.broadcast_to(p, batch + (m, m)) if p.shape[:-2] != batch else p
    else:
        p = empty
    return p, lo, up


def _lu_unpack_vjp(grads: tuple, ans: tuple, lu: Any, piv: Any, **_: Any) -> Tensor | None:
    """d/dLU: tril(gL, -1) and triu(gU), each placed in LU's (m, n) shape."""
    _, gl, gu = grads
    m, n = lu.shape[-2:]
    k = min(m, n)
    out = None
    if gl is not None:
        t = tril(gl, -1)
        if n > k:
            t = cat([t, _zeros(t, tuple(t.shape[:-1]) + (n - k,))], -1)
        out = t
    if gu is not None:
        t = triu(gu)
        if m > k:
            t = cat([t, _zeros(t, tuple(t.shape[:-2]) + (m - k, n))], -2)
        out = t if out is None else out + t
    return out


def _lu_unpack_jvp(tangents: tuple, ans: tuple, lu: Any, piv: Any, **_: Any) -> tuple:
    t = tangents[0]
    m, n = t.shape[-2:]
    k = min(m, n)
    return None, tril(t, -1)[..., :, :k], triu(t)[..., :k, :]


def _lu_unpack_samples(rng: np.random.Generator, dt: Any) -> list:
    out = []
    for shape in ((3, 3), (2, 3, 2), (2, 3)):
        lu, piv, _ = _lu_factor_np(rand(rng, shape, np.float64))
        out.append(Sample((lu.astype(dt), piv), name=str(shape)))
    return out


lu_unpack = def_op(
    "lu_unpack",
    forward=_lu_unpack_fwd,
    vjp=(_lu_unpack_vjp, None),
    jvp=_lu_unpack_jvp,
    inputs=("LU_data", "LU_pivots"),
    params=(("unpack_data", True), ("unpack_pivots", True)),
    save=None,
    outputs=("P", "L", "U"),
    diff_outputs=(1, 2),
    result_name="lu_unpack",
    method=False,
    complex=True,
    torch=_torch_multi("lu_unpack", (1, 2)),
    samples=_lu_unpack_samples,
    ref=lambda lu, piv, unpack_data=True, unpack_pivots=True: _lu_unpack_fwd(np, lu, piv),
    doc="``lu_unpack(LU_data, LU_pivots)``: (P, L, U) from a packed LU. Linear in LU_data: "
    "d/dLU = tril(gL, -1) + triu(gU).",
)


def _lu_fwd(xp: Any, a: Any, *, pivot: bool = True) -> tuple:
    _lu_check(a, pivot, "linalg.lu")
    lu, piv, _ = _host(xp, _lu_factor_np, a)
    return _lu_unpack_fwd(xp, lu, piv)


def _lu_vjp(grads: tuple, ans: tuple, a: Any, **_: Any) -> Tensor | None:
    p, lo, up = ans
    return _lu_backward(grads[1], grads[2], p, lo, up)


def _lu_jvp(tangents: tuple, ans: tuple, a: Any, **_: Any) -> tuple:
    p, lo, up = ans
    dl, du = _lu_jvp_core(tangents[0], p, lo, up)
    return None, dl, du


lu = def_op(
    "linalg.lu",
    forward=_lu_fwd,
    vjp=_lu_vjp,
    jvp=_lu_jvp,
    inputs=("A",),
    params=(("pivot", True),),
    save=None,
    outputs=("P", "L", "U"),
    diff_outputs=(1, 2),
    save_outputs=(0, 1, 2),
    result_name="linalg_lu",
    method=False,
    complex=True,
    torch=_torch_multi("linalg.lu", (1, 2)),
    samples=_lu_samples,
    ref=lambda a, pivot=True: _lu_unpack_fwd(np, *_lu_factor_np(a)[:2]),
    doc="``linalg.lu(A, pivot=True)``: (P, L, U) with A = P L U. d/dA = "
    "P L^-H (tril(L^H gL, -1) + triu(gU U^H)) U^-H (square A).",
)


def lu_solve(
    LU: Tensor,  # noqa: N803 - PyTorch's argument names
    pivots: Tensor,
    B: Tensor,  # noqa: N803
    *,
    left: bool = True,
    adjoint: bool = False,
) -> Tensor:
    """Solve ``A X = B`` from ``A``'s packed LU (``adjoint``: with ``A^H``; ``left=False``:
    ``X A = B``), by two triangular solves; gradients reach ``LU`` and ``B``.

    Example:
        >>> import ndgrad
        >>> a = ndgrad.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> f = ndgrad.linalg.lu_factor(a)
        >>> ndgrad.linalg.lu_solve(f.LU, f.pivots, ndgrad.tensor([[5.0], [11.0]]))
        tensor([[1.],
                [2.]])
    """
    p, lo, up = lu_unpack(LU, pivots)
    ut = solve_triangular
    if left and not adjoint:  # U^-1 L^-1 P^T B
        y = ut(lo, matmul(p.mT, B), upper=False, unitriangular=True)
        return ut(up, y, upper=True)
    if left:  # A^H X = B: X = P L^-H U^-H B
        y = ut(_mH(up), B, upper=False)
        return matmul(p, ut(_mH(lo), y, upper=True, unitriangular=True))
    if not adjoint:  # X A = B: X = B U^-1 L^-1 P^T
        y = ut(up, B, upper=True, left=False)
        return matmul(ut(lo, y, upper=False, left=False, unitriangular=True), p.mT)
    # X A^H = B: X = B P L^-H U^-H
    y = ut(_mH(lo), matmul(B, p), upper=True, left=False, unitriangular=True)
    return ut(_mH(up), y, upper=False, left=False)


def _lu_solve_samples(rng: np.random.Generator, dt: Any) -> list:
    out = []
    for shape, bshape, kw in (
        ((3, 3), (3, 2), {}),
        ((2, 2, 2), (2, 1), {"adjoint": True}),
        ((2, 2), (3, 2), {"left": False}),
        ((3, 3), (1, 3), {"left": False, "adjoint": True}),
    ):
        lu_, piv, _ = _lu_factor_np(_wellcond(rng, shape, np.float64))
        out.append(Sample((lu_.astype(dt), piv, rand(rng, bshape, dt)), kw, grad=(0, 2)))
    return out


def _lu_solve_ref(
    lu_: np.ndarray, piv: np.ndarray, b: np.ndarray, left: bool = True, adjoint: bool = False
) -> np.ndarray:
    p, lo, up = _lu_unpack_fwd(np, lu_, piv)
    a = p @ lo @ up
    if adjoint:
        a = np.conj(np.swapaxes(a, -1, -2))
    return _matrix_solve_ref(a, b, left)


def_composite(
    "linalg.lu_solve",
    lu_solve,
    complex=True,
    samples=_lu_solve_samples,
    ref=_lu_solve_ref,
)


def _lu_solve_top(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:  # noqa: N803
    """``torch.lu_solve(b, LU_data, LU_pivots)``: ``linalg.lu_solve(LU, pivots, b)``."""
    return lu_solve(LU_data, LU_pivots, b)


EXPORTS["lu_solve"] = _lu_solve_top
attach_method("lu_solve", _lu_solve_top)
