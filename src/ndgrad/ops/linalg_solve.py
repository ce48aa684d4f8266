"""Linear algebra, part one: inverses, determinants, solves, factorizations (``ndgrad.linalg``).

Records (own rules): ``linalg.inv_ex``, ``linalg.det``, ``linalg.slogdet``, ``linalg.solve_ex``,
``linalg.cholesky_ex``, ``linalg.solve_triangular``, ``linalg.lu_factor_ex``, ``linalg.lu``,
``lu_unpack``, ``linalg.matrix_exp``. Everything else (``inv``, ``solve``, ``cholesky``,
``lu_factor``, ``lu_solve``, ``matrix_power``, ``tensorsolve``, ``tensorinv``,
``householder_product``, ``lstsq``, ``cholesky_solve``, ``cholesky_inverse``,
``triangular_solve``, ``logdet``) is a composite of them. Every rule is written in these ops,
so second order (and forward over reverse) works. Inputs are batches ``(..., n, n)``.

Complex numbers follow PyTorch's convention: the rules use conjugate transposes (``A^H``).

# Note [Cholesky reads the Hermitian part]
PyTorch's gradient of ``cholesky`` is the symmetric (Hermitian) matrix ``L^-H Phi L^-1``: the
gradient of the factorization of a Hermitian matrix perturbed symmetrically. It is the exact
gradient of ``A -> cholesky((A + A^H) / 2)``, not of "the lower triangle of A" (which LAPACK
reads). ndgrad factors ``(A + A^H) / 2``: bit for bit PyTorch's input when ``A`` is Hermitian
(every input ``cholesky`` is meant for), and then values, gradients and forward-mode tangents
are PyTorch's; a non-Hermitian ``A`` is factored by its Hermitian part (PyTorch would ignore the
upper triangle). Complex inputs: PyTorch's complex rule has an anti-Hermitian part on the
imaginary diagonal that no forward explains, so cholesky's records are real only for now.

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
    _result_type,
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


# --------------------------------------------------------------------------------------------
# cholesky_ex / cholesky. See Note [Cholesky reads the Hermitian part].


def _potrf_np(h: np.ndarray) -> tuple:
    """Cholesky of each matrix with LAPACK's potrf: (L, info); a partial L where it fails."""
    _need_scipy("linalg.cholesky")
    from scipy.linalg import lapack

    flat = h.reshape((-1,) + h.shape[-2:])
    ls, infos = [], []
    for m in flat:
        potrf = lapack.get_lapack_funcs("potrf", (m,))
        c, info = potrf(m, lower=True, clean=True)
        ls.append(np.tril(c))
        infos.append(info)
    return (
        np.stack(ls).reshape(h.shape).astype(h.dtype),
        np.asarray(infos, np.int32).reshape(h.shape[:-2]),
    )


def _cholesky_ex_fwd(xp: Any, a: Any, *, upper: bool = False, check_errors: bool = False):
    _check_matrix(a, "linalg.cholesky")
    h = (a + xp.conj(a.mT)) / 2 if xp.isdtype(a.dtype, "complex floating") else (a + a.mT) / 2
    try:
        lo, info = xp.linalg.cholesky(h), _info0(xp, a)
    except (ValueError, RuntimeError):
        lo, info = _host(xp, _potrf_np, h)
    if check_errors:
        _raise_info(info, "linalg.cholesky_ex", "cholesky")
    return (xp.conj(lo.mT) if upper else lo), info


def _cholesky_vjp(grads: tuple, ans: tuple, a: Any, *, upper: bool = False, **_: Any) -> Tensor:
    """PyTorch's rule (Murray 2016): gA = L^-H Phi L^-1, Phi = sym(tril(L^H gL)) / 2."""
    lo, gl = ans[0], grads[0]
    if upper:
        lo, gl = _mH(lo), _mH(gl)
    phi = tril(matmul(_mH(lo), gl))
    phi = 0.5 * (phi + _mH(tril(phi, -1)))
    ga = solve_triangular(_mH(lo), phi, upper=True, left=True)
    return solve_triangular(lo, ga, upper=False, left=False)


def _cholesky_jvp(tangents: tuple, ans: tuple, a: Any, *, upper: bool = False, **_: Any):
    """dL = L (tril(X) - diag(X) / 2), X = L^-1 dA_h L^-H, dA_h the Hermitian part of dA."""
    lo = _mH(ans[0]) if upper else ans[0]
    t = tangents[0]
    da = 0.5 * (t + _mH(t))
    y = solve_triangular(lo, da, upper=False)
    x = solve_triangular(_mH(lo), y, upper=True, left=False)
    dl = matmul(lo, tril(x) - 0.5 * _diag_part(x))
    return (_mH(dl) if upper else dl), None


def _chol_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        Sample((_spd(rng, (2, 2), dt),)),
        Sample((_spd(rng, (2, 3, 3), dt),), {"upper": True}),
    ]


def _chol_ref(a: np.ndarray, upper: bool = False, check_errors: bool = False) -> tuple:
    lo = np.linalg.cholesky(a)
    return (np.swapaxes(lo, -1, -2) if upper else lo), np.zeros(a.shape[:-2], np.int32)


cholesky_ex = def_op(
    "linalg.cholesky_ex",
    forward=_cholesky_ex_fwd,
    vjp=_cholesky_vjp,
    jvp=_cholesky_jvp,
    params=(("upper", False), ("check_errors", False)),
    inputs=("A",),
    save=None,
    outputs=("L", "info"),
    diff_outputs=(0,),
    save_outputs=(0,),
    result_name="linalg_cholesky_ex",
    method=False,
    samples=_chol_samples,
    ref=_chol_ref,
    doc="``linalg.cholesky_ex(A, upper=False, check_errors=False)``: (L, info), A = L L^H; "
    "info = k > 0 when the leading minor of order k is not positive-definite. PyTorch's "
    "symmetric gradient; see Note [Cholesky reads the Hermitian part].",
)


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:  # noqa: N803 - PyTorch's argument names
    """The Cholesky factor ``L`` (lower; ``upper=True``: ``U = L^H``) of a Hermitian
    positive-definite matrix: ``A = L L^H``. Raises ``LinAlgError`` if not positive-definite.

    d/dA = ``L^-H Phi L^-1`` with ``Phi = (tril(L^H gL) + tril(L^H gL, -1)^H) / 2`` (PyTorch's
    symmetric gradient). See Note [Cholesky reads the Hermitian part].

    Example:
        >>> import ndgrad
        >>> ndgrad.linalg.cholesky(ndgrad.tensor([[4.0, 2.0], [2.0, 5.0]]))
        tensor([[2., 0.],
                [1., 2.]])
    """
    res = cholesky_ex(A, upper=upper)
    _raise_info(res.info._data, "linalg.cholesky", "cholesky")
    return res.L


def_composite(
    "linalg.cholesky",
    cholesky,
    samples=_chol_samples,
    ref=lambda a, upper=False: _chol_ref(a, upper)[0],
)

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


# --------------------------------------------------------------------------------------------
# Composites: cholesky_solve, cholesky_inverse, triangular_solve, tensorinv, tensorsolve,
# householder_product.


def _gram(L: Tensor, upper: bool) -> Tensor:  # noqa: N803
    """A = L L^H (U^H U): all of L's entries, as PyTorch's dense gradients read them."""
    return matmul(_mH(L), L) if upper else matmul(L, _mH(L))


def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False) -> Tensor:
    """Solve ``A X = B`` for ``B = input`` with ``A = L L^H``, ``L = input2`` (``upper``:
    ``U^H U``); PyTorch's keyword names.

    Written as ``solve(L L^H, B)``: its gradient with respect to L is PyTorch's dense one,
    ``-(G + G^H) L`` (``G = A^-H g X^H``), which reads every entry of L (not only a triangle).
    """
    return solve(_gram(input2, upper), input)


def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:
    """``(L L^H)^-1`` for ``L = input`` (``upper``: ``(U^H U)^-1``); the dense gradient, as
    PyTorch's."""
    return inv(_gram(input, upper))


def _chol_solve_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        Sample((rand(rng, (3, 2), dt), _tri_matrix(rng, (3, 3), dt, False))),
        Sample((rand(rng, (2, 2, 1), dt), _tri_matrix(rng, (2, 2), dt, True), True)),
    ]


def_composite(
    "cholesky_solve",
    cholesky_solve,
    method=True,
    complex=True,
    samples=_chol_solve_samples,
    ref=lambda b, lo, upper=False: np.linalg.solve(
        (np.swapaxes(lo, -1, -2) @ lo) if upper else (lo @ np.swapaxes(lo, -1, -2)), b
    ),
)
# Not complex=True: for a complex L, LAPACK's potri reads only the real part of L's diagonal (a
# Cholesky factor's diagonal is real), where (L L^H)^-1 uses all of it.
def_composite(
    "cholesky_inverse",
    cholesky_inverse,
    method=True,
    samples=lambda rng, dt: [
        Sample((_tri_matrix(rng, (3, 3), dt, False),)),
        Sample((_tri_matrix(rng, (2, 2), dt, True), True)),
    ],
    ref=lambda lo, upper=False: np.linalg.inv(
        (np.swapaxes(lo, -1, -2) @ lo) if upper else (lo @ np.swapaxes(lo, -1, -2))
    ),
)

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


__all__ += ["inv", "inv_ex", "det", "slogdet", "logdet", "solve", "solve_ex", "cholesky"]
