"""Linear algebra, part one: inverses, determinants, solves (``ndgrad.linalg``).

Records (own rules): ``linalg.inv_ex``, ``linalg.det``, ``linalg.slogdet``, ``linalg.solve_ex``,
``linalg.solve_triangular``; ``inv``, ``solve`` and ``logdet`` are composites of them. This module
also holds the checks, helpers and sample matrices the other parts share: ``linalg_cholesky``
(cholesky), ``linalg_lu`` (LU) and ``linalg_lstsq`` (lstsq, matrix functions, tensor solves,
Householder products) import them. Every rule is written in these ops, so second order (and
forward over reverse) works. Inputs are batches ``(..., n, n)``.

Complex numbers follow PyTorch's convention: the rules use conjugate transposes (``A^H``).

Example:
    >>> import ndgrad
    >>> a = ndgrad.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    >>> ndgrad.linalg.det(a)
    tensor(5., grad_fn=<LinalgDetBackward0>)
    >>> ndgrad.linalg.solve(a, ndgrad.tensor([1.0, 2.0]))
    tensor([0.2000, 0.6000], grad_fn=<LinalgSolveExBackward0>)
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import _backend
from .._core.grad_mode import no_grad
from .._core.tensor import Tensor, make
from .clamping import where
from .elementwise import _cj
from .join import cat, stack
from .linalg import _SCALAR_NAME, _dname, matmul, tril, triu
from .registry import (
    EXPORTS,
    NAMESPACE_ALIASES,
    Sample,
    attach_method,
    def_composite,
    def_op,
)
from .samples import rand

__all__ = ["LinAlgError"]


class LinAlgError(RuntimeError):
    """``torch.linalg.LinAlgError``: a singular or not positive-definite input (a RuntimeError)."""


LinAlgError.__module__ = "ndgrad.linalg"
NAMESPACE_ALIASES.setdefault("linalg", {})["LinAlgError"] = LinAlgError


# --------------------------------------------------------------------------------------------
# Checks and small helpers.


def _check_matrix(a: Any, op: str, square: bool = True, name: str = "A") -> None:
    """PyTorch's checks of a (batch of) matrices: rank, squareness, dtype."""
    if a.ndim < 2:
        raise RuntimeError(
            f"{op}: The input tensor {name} must have at least 2 dimensions.; hint: got shape "
            f"{tuple(a.shape)}; a matrix is (n, n), a batch of them (..., n, n)"
        )
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"{op}: {name} must be batches of square matrices, but they are {a.shape[-2]} by "
            f"{a.shape[-1]} matrices; hint: the last two dimensions must be equal"
        )
    _check_dtype(a, op)


def _check_dtype(a: Any, op: str) -> None:
    dn = _dname(a)
    if dn in ("float16", "bfloat16"):
        raise RuntimeError(
            f"{op}: Low precision dtypes not supported. Got {_SCALAR_NAME.get(dn, dn)}; hint: "
            "convert with .double() or .float()"
        )
    if dn not in ("float32", "float64", "complex64", "complex128"):
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got "
            f"{_SCALAR_NAME.get(dn, dn)}; hint: convert with .double() or .float()"
        )


def _same_dtype(a: Any, b: Any, op: str) -> None:
    if a.dtype != b.dtype:
        ta, tb = _SCALAR_NAME[_dname(a)], _SCALAR_NAME[_dname(b)]
        raise RuntimeError(
            f"{op}: Expected A and B to have the same dtype, but found A of type {ta} and B of "
            f"type {tb} instead; hint: convert one, e.g. B.to(A.dtype)"
        )


_SINGULAR = {
    "inv": "The diagonal element {k} is zero, the inversion could not be completed because the "
    "input matrix is singular.",
    "solve": "The solver failed because the input matrix is singular.",
    "cholesky": "The factorization could not be completed because the input is not "
    "positive-definite (the leading minor of order {k} is not positive-definite).",
}
_HINT = {
    "inv": "use linalg.pinv, or linalg.inv_ex to get info instead of an error",
    "solve": "use linalg.lstsq for singular systems, or linalg.solve_ex to get info",
    "cholesky": "the input must be Hermitian positive-definite (e.g. A @ A.mH + eps * I); "
    "linalg.cholesky_ex returns info instead",
}


def _raise_info(info: Any, op: str, kind: str) -> None:
    """Raise ``LinAlgError`` as PyTorch for the first batch element whose ``info`` is nonzero."""
    inf = _backend.to_numpy(info)
    if not inf.any():
        return
    flat = inf.reshape(-1)
    i = int(np.flatnonzero(flat)[0])
    where_ = f"(Batch element {i}): " if inf.ndim else ""
    msg = _SINGULAR[kind].format(k=int(flat[i]))
    raise LinAlgError(f"{op}: {where_}{msg} hint: {_HINT[kind]}")


def _mH(x: Tensor) -> Tensor:  # noqa: N802 - PyTorch's name for the conjugate transpose
    return _cj(x.mT)


def _eye(like: Tensor, n: int, m: int | None = None) -> Tensor:
    """A constant identity matrix on ``like``'s backend, dtype and device."""
    xp = _backend.namespace(like._data)
    d = like._data
    return make(xp.eye(n, n if m is None else m, dtype=d.dtype, device=d.device))


def _zeros(like: Tensor, shape: tuple) -> Tensor:
    xp = _backend.namespace(like._data)
    d = like._data
    return make(xp.zeros(tuple(shape), dtype=d.dtype, device=d.device))


def _unsq2(t: Tensor) -> Tensor:
    return t.unsqueeze(-1).unsqueeze(-1)


def _diag_part(x: Tensor) -> Tensor:
    """The diagonal of the last two dims as a diagonal matrix (zeros elsewhere)."""
    return x * _eye(x, x.shape[-1])


def _trace(x: Tensor) -> Tensor:
    return _diag_part(x).sum((-2, -1))


def _host(xp: Any, fn: Any, *arrays: Any, **kw: Any) -> Any:
    """Run a NumPy/SciPy function on host copies of ``arrays`` and bring the results back."""
    dev = arrays[0].device if hasattr(arrays[0], "device") else None
    out = fn(*[_backend.to_numpy(a) for a in arrays], **kw)
    if xp is np:
        return out
    conv = lambda o: xp.asarray(np.asarray(o), device=dev)  # noqa: E731
    return tuple(conv(o) for o in out) if isinstance(out, tuple) else conv(out)


def _lu_np(a: np.ndarray) -> tuple:
    """Batched LU with partial pivoting (SciPy): (LU, 0-based pivots)."""
    import scipy.linalg as sl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return sl.lu_factor(a, check_finite=False)


def _need_scipy(op: str) -> None:
    try:
        import scipy.linalg  # noqa: F401
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError(
            f"{op} needs SciPy (scipy.linalg), which is not installed; hint: pip install "
            "'ndgrad[scipy]' (or pip install scipy)"
        ) from e


def _info_from_lu(lu: np.ndarray) -> np.ndarray:
    """LAPACK's getrf info: the 1-based index of the first zero on U's diagonal, else 0."""
    d = np.diagonal(lu, axis1=-2, axis2=-1) == 0
    first = np.argmax(d, axis=-1) + 1
    return np.where(d.any(axis=-1), first, 0).astype(np.int32)


def _info0(xp: Any, a: Any) -> Any:
    return xp.zeros(tuple(a.shape[:-2]), dtype=xp.int32, device=a.device)


def _singular_solve_np(a: np.ndarray, b: np.ndarray) -> tuple:
    """Solve where some matrices are singular: (X with inf/nan there, info), as LAPACK."""
    _need_scipy("linalg.solve")
    import scipy.linalg as sl

    lu, piv = _lu_np(a)
    info = _info_from_lu(lu)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        x = sl.lu_solve((lu, piv), b, check_finite=False)
    return x, info


def _bcast_solve(xp: Any, a: Any, b: Any) -> tuple:
    """Broadcast the batch dimensions of ``a`` (..., n, n) and ``b`` (..., n, k)."""
    batch = tuple(np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2])))
    return (
        xp.broadcast_to(a, batch + tuple(a.shape[-2:])),
        xp.broadcast_to(b, batch + tuple(b.shape[-2:])),
    )


def _solve_raw(xp: Any, a: Any, b: Any) -> tuple:
    """X = A^-1 B for matrices B (batched, broadcast): (X, info)."""
    a, b = _bcast_solve(xp, a, b)
    try:
        return xp.linalg.solve(a, b), _info0(xp, a)
    except (ValueError, RuntimeError):  # numpy's LinAlgError is a ValueError
        x, info = _host(xp, _singular_solve_np, a, b)
        return x, info


def _torch_multi(name: str, diff: tuple) -> Any:
    """The PyTorch twin of a record with several outputs: the namedtuple for real inputs, the
    differentiable outputs joined into one tensor for complex ones (the template's complex
    comparison takes one tensor, as ``joined`` makes of ours)."""

    def fn(*args: Any, **kwargs: Any) -> Any:
        import torch

        f: Any = torch
        for part in name.split("."):
            f = getattr(f, part)
        with warnings.catch_warnings():  # torch.triangular_solve's deprecation
            warnings.simplefilter("ignore")
            out = f(*args, **kwargs)
        if not any(isinstance(a, torch.Tensor) and a.is_complex() for a in args):
            return out
        parts = [out[k].reshape(-1) for k in diff]
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    return fn


# --------------------------------------------------------------------------------------------
# Samples: small, well-conditioned matrices (random + n I), batched shapes.


def _wellcond(rng: np.random.Generator, shape: tuple, dt: Any) -> np.ndarray:
    n = shape[-1]
    return (rand(rng, shape, np.float64, -1.0, 1.0) + (n + 1.0) * np.eye(n)).astype(dt)


def _spd(rng: np.random.Generator, shape: tuple, dt: Any) -> np.ndarray:
    n = shape[-1]
    x = rand(rng, shape, np.float64, -1.0, 1.0)
    s = x @ np.swapaxes(x, -1, -2) + n * np.eye(n)
    return (0.5 * (s + np.swapaxes(s, -1, -2))).astype(dt)


def _square_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        Sample((_wellcond(rng, (2, 2), dt),), name="2x2"),
        Sample((_wellcond(rng, (2, 3, 3), dt),), name="batch"),
    ]


def _tri_matrix(rng: np.random.Generator, shape: tuple, dt: Any, upper: bool) -> np.ndarray:
    a = _wellcond(rng, shape, np.float64)
    return (np.triu(a) if upper else np.tril(a)).astype(dt)


# --------------------------------------------------------------------------------------------
# inv_ex / inv / inverse


def _inv_ex_fwd(xp: Any, a: Any, *, check_errors: bool = False) -> tuple:
    _check_matrix(a, "linalg.inv_ex")
    try:
        out, info = xp.linalg.inv(a), _info0(xp, a)
    except (ValueError, RuntimeError):
        eye = xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.dtype, device=a.device), a.shape)
        out, info = _host(xp, _singular_solve_np, a, eye)
    if check_errors:
        _raise_info(info, "linalg.inv_ex", "inv")
    return out, info


def _inv_vjp(grads: tuple, ans: tuple, a: Any, **_: Any) -> Tensor:
    """d/dA inv(A) = -A^-H g A^-H."""
    ainv_h = _mH(ans[0])
    return -matmul(matmul(ainv_h, grads[0]), ainv_h)


def _inv_jvp(tangents: tuple, ans: tuple, a: Any, **_: Any) -> tuple:
    return -matmul(matmul(ans[0], tangents[0]), ans[0]), None


inv_ex = def_op(
    "linalg.inv_ex",
    forward=_inv_ex_fwd,
    vjp=_inv_vjp,
    jvp=_inv_jvp,
    inputs=("A",),
    params=(("check_errors", False),),
    save=None,
    outputs=("inverse", "info"),
    diff_outputs=(0,),
    save_outputs=(0,),
    result_name="linalg_inv_ex",
    torch=_torch_multi("linalg.inv_ex", (0,)),
    method=False,
    complex=True,
    samples=_square_samples,
    ref=lambda a, check_errors=False: (np.linalg.inv(a), np.zeros(a.shape[:-2], np.int32)),
    doc="``linalg.inv_ex(A, check_errors=False)``: (inverse, info); info > 0 marks a singular "
    "matrix (its inverse is then inf/nan, as LAPACK's). d/dA = -A^-H g A^-H.",
)


def inv(A: Tensor) -> Tensor:  # noqa: N803 - PyTorch's argument names
    """The inverse of a square matrix (or a batch): ``A @ inv(A) == I``.

    d/dA: ``-A^-H g A^-H``. Raises ``ndgrad.linalg.LinAlgError`` for a singular matrix.

    Example:
        >>> import ndgrad
        >>> ndgrad.linalg.inv(ndgrad.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    _check_matrix(A._data if isinstance(A, Tensor) else np.asarray(A), "linalg.inv")
    res = inv_ex(A)
    _raise_info(res.info._data, "linalg.inv", "inv")
    return res.inverse


def_composite("linalg.inv", inv, samples=_square_samples, ref=np.linalg.inv, complex=True)
EXPORTS["inverse"] = inv
attach_method("inverse", inv)


# --------------------------------------------------------------------------------------------
# det, slogdet, logdet


def _minor(a: Tensor, i: int, j: int) -> Tensor:
    """``a`` without row i and column j (in ndgrad ops: differentiable)."""
    rows = [p for p in (a[..., :i, :], a[..., i + 1 :, :]) if p.shape[-2]]
    r = cat(rows, -2)
    cols = [p for p in (r[..., :, :j], r[..., :, j + 1 :]) if p.shape[-1]]
    return cat(cols, -1)


def _cofactor_minors(a: Tensor) -> Tensor:
    """The cofactor matrix from the n^2 minors' determinants (exact at singular matrices)."""
    n = a.shape[-1]
    if n == 1:
        return _eye(a, 1).expand(*a.shape)
    rows = []
    for i in range(n):
        rows.append(stack([det(_minor(a, i, j)) * (-1.0) ** (i + j) for j in range(n)], -1))
    return stack(rows, -2)


def _cofactor(a: Tensor, d: Tensor) -> Tensor:
    """d det(A) / dA (holomorphic): ``det(A) A^-T``; from the minors where det(A) == 0.

    PyTorch's first-order backward gives zeros at an exactly singular matrix (its LU shortcut
    multiplies by det = 0) and the cofactors (through an SVD) under create_graph=True; ndgrad
    gives the cofactors, the true gradient, in both cases.
    """
    with no_grad():
        sing = d == 0
        n_sing = int(np.count_nonzero(_backend.to_numpy(sing._data)))
    if n_sing == 0:
        return _unsq2(d) * inv(a).mT
    cof = _cofactor_minors(a)
    if n_sing == sing.numel():
        return cof
    mask = _unsq2(sing)
    safe = where(mask, _eye(a, a.shape[-1]), a)
    return where(mask, cof, _unsq2(d) * inv(safe).mT)


def _det_fwd(xp: Any, a: Any) -> Any:
    _check_matrix(a, "linalg.det")
    return xp.linalg.det(a)


det = def_op(
    "linalg.det",
    forward=_det_fwd,
    vjp=lambda g, ans, a: _unsq2(g) * _cj(_cofactor(a, ans)),
    jvp=lambda tangents, ans, a: (_cofactor(a, ans) * tangents[0]).sum((-2, -1)),
    inputs=("A",),
    save="both",
    method=False,
    complex=True,
    samples=lambda rng, dt: [
        *_square_samples(rng, dt),
        Sample((rand(rng, (3, 3), dt),), name="random"),
    ],
    ref=np.linalg.det,
    doc="``linalg.det(A)``: the determinant. d/dA = g conj(det(A) A^-T) (the cofactors: also "
    "at singular matrices, where PyTorch's first-order backward gives zeros).",
)
EXPORTS["det"] = det
attach_method("det", det)


def _slogdet_fwd(xp: Any, a: Any) -> tuple:
    _check_matrix(a, "linalg.slogdet")
    sign, logabs = xp.linalg.slogdet(a)
    return sign, logabs


def _slogdet_vjp(grads: tuple, ans: tuple, a: Tensor) -> Tensor | None:
    """d/dA = g' A^-H with g' = g_logabsdet - i Im(g_sign conj(sign)) (complex; real: g_logabsdet).

    Not differentiable at a singular matrix (inf/nan there, as PyTorch).
    """
    g_sign, g_log = grads
    g = g_log
    if a.is_complex() and g_sign is not None:
        rot = (g_sign * _cj(ans[0])).imag * 1j
        g = rot if g is None else g + rot
    if g is None:
        return None
    return _unsq2(g) * _mH(inv_ex(a).inverse)


def _slogdet_jvp(tangents: tuple, ans: tuple, a: Tensor) -> tuple:
    tr = (inv_ex(a).inverse.mT * tangents[0]).sum((-2, -1))
    if a.is_complex():
        return ans[0] * tr.imag * 1j, tr.real
    return ans[0] * 0.0, tr


slogdet = def_op(
    "linalg.slogdet",
    forward=_slogdet_fwd,
    vjp=_slogdet_vjp,
    jvp=_slogdet_jvp,
    inputs=("A",),
    save=(0,),
    outputs=("sign", "logabsdet"),
    save_outputs=(0,),
    result_name="linalg_slogdet",
    torch=_torch_multi("linalg.slogdet", (0, 1)),
    method=False,
    complex=True,
    samples=lambda rng, dt: [
        *_square_samples(rng, dt),
        Sample((-_wellcond(rng, (3, 3), dt),), name="negative"),
    ],
    ref=lambda a: tuple(np.linalg.slogdet(a)),
    doc="``linalg.slogdet(A)``: (sign, log|det A|). d/dA logabsdet = g A^-H.",
)
EXPORTS["slogdet"] = slogdet
attach_method("slogdet", slogdet)


def logdet(input: Tensor) -> Tensor:
    """``log(det(A))``: nan where det < 0 (real input), as PyTorch; d/dA = g A^-H.

    Example:
        >>> import ndgrad
        >>> abs(ndgrad.logdet(ndgrad.tensor([[2.0, 0.0], [0.0, 3.0]])).item() - 1.7918) < 1e-4
        True
    """
    sign, logabs = slogdet(input)
    if input.is_complex():
        return logabs + sign.log()
    return where(sign == -1.0, math.nan, logabs)


def_composite(
    "logdet",
    logdet,
    method=True,
    complex=True,
    samples=lambda rng, dt: [
        Sample((_spd(rng, (2, 2), dt),)),
        Sample((_spd(rng, (2, 3, 3), dt),)),
        Sample((_wellcond(rng, (3, 3), dt),), name="not symmetric"),
    ],
    ref=lambda a: np.log(np.linalg.det(a)),
)


# --------------------------------------------------------------------------------------------
# solve_ex / solve


def _is_vector_rhs(a: Any, b: Any) -> bool:
    """PyTorch's rule: B is a (batch of) vector(s) if 1-D, or of shape A.shape[:-1]."""
    return b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1]))


def _solve_ex_fwd(
    xp: Any, a: Any, b: Any, *, left: bool = True, check_errors: bool = False
) -> tuple:
    op = "linalg.solve_ex"
    _check_matrix(a, "linalg.solve")
    _same_dtype(a, b, "linalg.solve")
    vec = _is_vector_rhs(a, b)
    b2 = xp.expand_dims(b, axis=-1) if vec else b
    if b2.ndim < 2:
        raise RuntimeError(
            "linalg.solve: The input tensor B must have at least 1 dimensions.; hint: B is a "
            "vector (n,) or a matrix (n, k)"
        )
    n = a.shape[-1]
    if (left and b2.shape[-2] != n) or (not left and b2.shape[-1] != n):
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and "
            f"{b2.shape[-2]}x{b2.shape[-1]}); hint: "
            + ("B must have n rows" if left else "B must have n columns")
        )
    if left:
        x, info = _solve_raw(xp, a, b2)
    else:  # X A = B  <=>  A^T X^T = B^T
        x, info = _solve_raw(xp, a.mT, b2.mT)
        x = x.mT
    if check_errors:
        _raise_info(info, "torch." + op, "solve")
    return (x[..., 0] if vec else x), info


def _solve_gb(g: Tensor, a: Tensor, left: bool) -> Tensor:
    """A^-H g (left) or g A^-H (right)."""
    return solve(_mH(a), g, left=left)


def _solve_vjp_a(grads: tuple, ans: tuple, a: Tensor, b: Any, *, left: bool = True, **_: Any):
    """d/dA = -gB X^H (left) or -X^H gB (right); vectors as outer products."""
    g, x = grads[0], ans[0]
    gb = _solve_gb(g, a, left)
    if _is_vector_rhs(a, b):
        return -(gb.unsqueeze(-1) * _cj(x).unsqueeze(-2))
    return -matmul(gb, _mH(x)) if left else -matmul(_mH(x), gb)


def _solve_vjp_b(grads: tuple, ans: tuple, a: Tensor, b: Any, *, left: bool = True, **_: Any):
    return _solve_gb(grads[0], a, left)


def _solve_jvp(tangents: tuple, ans: tuple, a: Tensor, b: Tensor, *, left=True, **_: Any):
    """dX = A^-1 (dB - dA X) (left) or (dB - X dA) A^-1 (right)."""
    ta, tb = tangents
    x = ans[0]
    rhs = tb
    if ta is not None:
        if _is_vector_rhs(a, b):
            dax = matmul(ta, x.unsqueeze(-1))[..., 0]
        else:
            dax = matmul(ta, x) if left else matmul(x, ta)
        rhs = -dax if rhs is None else rhs - dax
    if _is_vector_rhs(a, b) and rhs.ndim < x.ndim:
        rhs = rhs.expand(*x.shape)
    return solve(a, rhs, left=left), None


def _solve_samples(rng: np.random.Generator, dt: Any) -> list:
    w = _wellcond
    return [
        Sample((w(rng, (2, 2), dt), rand(rng, (2,), dt)), name="vector"),
        Sample((w(rng, (2, 3, 3), dt), rand(rng, (3, 2), dt)), name="broadcast B"),
        Sample((w(rng, (3, 3), dt), rand(rng, (2, 3), dt)), {"left": False}, name="right"),
        Sample((w(rng, (2, 2, 2), dt), rand(rng, (2, 2), dt)), name="batched vectors"),
    ]


def _matrix_solve_ref(a: np.ndarray, b: np.ndarray, left: bool = True) -> np.ndarray:
    """NumPy reference: A X = B (left) or X A = B for matrices B."""
    if left:
        return np.linalg.solve(a, b)
    return np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)


def _solve_ref(a: np.ndarray, b: np.ndarray, left: bool = True) -> np.ndarray:
    if _is_vector_rhs(a, b):
        return np.linalg.solve(a, b[..., None])[..., 0]
    return _matrix_solve_ref(a, b, left)


solve_ex = def_op(
    "linalg.solve_ex",
    forward=_solve_ex_fwd,
    vjp=(_solve_vjp_a, _solve_vjp_b),
    jvp=_solve_jvp,
    inputs=("A", "B"),
    params=(("left", True), ("check_errors", False)),
    save=(0,),  # B's shape alone (a stub) tells the vector case
    outputs=("result", "info"),
    diff_outputs=(0,),
    save_outputs=(0,),
    result_name="linalg_solve_ex",
    torch=_torch_multi("linalg.solve_ex", (0,)),
    method=False,
    complex=True,
    samples=_solve_samples,
    ref=lambda a, b, left=True, check_errors=False: (
        _solve_ref(a, b, left),
        np.zeros(np.broadcast_shapes(a.shape[:-2], b.shape[:-2] if b.ndim > 1 else ()), np.int32)
        if not _is_vector_rhs(a, b)
        else np.zeros(a.shape[:-2], np.int32),
    ),
    doc="``linalg.solve_ex(A, B, left=True, check_errors=False)``: (result, info). "
    "d/dB = A^-H g, d/dA = -(A^-H g) X^H (left=True).",
)


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:  # noqa: N803 - torch's names
    """Solve ``A X = B`` (``left=False``: ``X A = B``) for square ``A``, batched, broadcasting.

    ``B`` of shape (..., n) is a batch of vectors when it is 1-D or has ``A``'s shape minus the
    last dimension (PyTorch's rule); else (..., n, k). d/dB = A^-H g, d/dA = -(A^-H g) X^H.
    Raises ``ndgrad.linalg.LinAlgError`` for a singular ``A``.

    Example:
        >>> import ndgrad
        >>> ndgrad.linalg.solve(ndgrad.tensor([[2.0, 0.0], [0.0, 4.0]]), ndgrad.tensor([1.0, 1.0]))
        tensor([0.5000, 0.2500])
    """
    res = solve_ex(A, B, left=left)
    _raise_info(res.info._data, "torch.linalg.solve", "solve")
    return res.result


def_composite(
    "linalg.solve",
    solve,
    samples=_solve_samples,
    ref=_solve_ref,
    complex=True,
)


# --------------------------------------------------------------------------------------------
# solve_triangular


def _solve_tri_np(a: Any, b: Any, upper: bool, left: bool, unitriangular: bool) -> Any:
    import scipy.linalg as sl

    a, b = _bcast_solve(np, a, b)
    kw = {"unit_diagonal": unitriangular, "check_finite": False}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if left:
            return sl.solve_triangular(a, b, lower=not upper, **kw)
        bt = np.swapaxes(b, -1, -2)  # X A = B  <=>  A^T X^T = B^T
        return np.swapaxes(sl.solve_triangular(a, bt, trans=1, lower=not upper, **kw), -1, -2)


def _solve_tri_fwd(
    xp: Any, a: Any, b: Any, *, upper: bool, left: bool = True, unitriangular: bool = False
) -> Any:
    op = "linalg.solve_triangular"
    if upper is None:
        raise TypeError(
            'linalg_solve_triangular() missing 1 required positional arguments: "upper"; hint: '
            "say which triangle of A to use, upper=True or upper=False"
        )
    _check_matrix(a, op)
    if b.ndim < 2:
        raise RuntimeError(
            f"{op}: The input tensor B must have at least 2 dimensions.; hint: use B.unsqueeze(-1) "
            "for a vector"
        )
    _check_dtype(b, op)
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"{op}: Expected A and B to have the same dtype, but found A of type "
            f"{_SCALAR_NAME[_dname(a)]} and B of type {_SCALAR_NAME[_dname(b)]} instead; hint: "
            "convert one, e.g. B.to(A.dtype)"
        )
    n = a.shape[-1]
    if (left and b.shape[-2] != n) or (not left and b.shape[-1] != n):
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"{op}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and "
            f"{b.shape[-2]}x{b.shape[-1]}); hint: fix the shapes"
        )
    _need_scipy(op)
    return _host(xp, _solve_tri_np, a, b, upper=upper, left=left, unitriangular=unitriangular)


def _tri_project(x: Tensor, upper: bool, unitriangular: bool) -> Tensor:
    if upper:
        return triu(x, 1 if unitriangular else 0)
    return tril(x, -1 if unitriangular else 0)


def _tri_gb(g: Tensor, a: Tensor, upper: bool, left: bool, unitriangular: bool) -> Tensor:
    return solve_triangular(_mH(a), g, upper=not upper, left=left, unitriangular=unitriangular)


def _tri_vjp_a(g: Tensor, ans: Tensor, a: Tensor, b: Any, *, upper, left=True, unitriangular=False):
    """d/dA = the triangle of -gB X^H (left) or -X^H gB (right); the diagonal too unless unit."""
    gb = _tri_gb(g, a, upper, left, unitriangular)
    ga = -matmul(gb, _mH(ans)) if left else -matmul(_mH(ans), gb)
    return _tri_project(ga, upper, unitriangular)


def _tri_vjp_b(g: Tensor, ans: Tensor, a: Tensor, b: Any, *, upper, left=True, unitriangular=False):
    return _tri_gb(g, a, upper, left, unitriangular)


def _tri_jvp(
    tangents: tuple, ans: Tensor, a: Tensor, b: Tensor, *, upper, left=True, unitriangular=False
):
    ta, tb = tangents
    rhs = tb
    if ta is not None:
        ta = _tri_project(ta, upper, unitriangular)
        dax = matmul(ta, ans) if left else matmul(ans, ta)
        rhs = -dax if rhs is None else rhs - dax
    return solve_triangular(a, rhs, upper=upper, left=left, unitriangular=unitriangular)


def _tri_solve_samples(rng: np.random.Generator, dt: Any) -> list:
    t = _tri_matrix
    return [
        Sample((t(rng, (3, 3), dt, True), rand(rng, (3, 2), dt)), {"upper": True}),
        Sample(
            (t(rng, (2, 2, 2), dt, False), rand(rng, (2, 2), dt)),
            {"upper": False, "left": False},
        ),
        Sample(
            (rand(rng, (3, 3), dt), rand(rng, (2, 3, 1), dt)),
            {"upper": False, "unitriangular": True},
            name="unit, reads one triangle",
        ),
    ]


def _tri_ref(
    a: np.ndarray, b: np.ndarray, upper: bool, left: bool = True, unitriangular: bool = False
) -> np.ndarray:
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        t = t - t * np.eye(a.shape[-1]) + np.eye(a.shape[-1])
    return _matrix_solve_ref(t, b, left)


solve_triangular = def_op(
    "linalg.solve_triangular",
    forward=_solve_tri_fwd,
    vjp=(_tri_vjp_a, _tri_vjp_b),
    jvp=_tri_jvp,
    inputs=("A", "B"),
    params=(("upper", None), ("left", True), ("unitriangular", False)),
    save=(0, "ans"),
    method=False,
    complex=True,
    samples=_tri_solve_samples,
    ref=_tri_ref,
    doc="``linalg.solve_triangular(A, B, *, upper, left=True, unitriangular=False)``: solve with "
    "the upper or lower triangle of A (the other one is not read). d/dB = A^-H g, d/dA = the "
    "triangle of -(A^-H g) X^H.",
)


__all__ += ["inv", "inv_ex", "det", "slogdet", "logdet", "solve", "solve_ex"]
