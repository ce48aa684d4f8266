"""Linear algebra: norms, condition numbers, rank and products (``ndgrad.linalg``).

``linalg.vector_norm`` is a record (the rule of ``ndgrad.norm``, See ops/norms.py); the rest are
composites: ``matrix_norm``, ``norm``, ``cond``, ``matrix_rank`` (of ``svdvals`` / ``eigvalsh``),
``cross`` (a record) with ``torch.cross``, ``vecdot``, ``multi_dot``, ``chain_matmul``,
``vander``, ``diagonal`` and ``torch.cdist``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._core.tensor import Tensor
from .clamping import where
from .elementwise import _cj
from .linalg import matmul
from .linalg_spectral import _cases, _mdiag, _membed, _solve, _torch, _well_conditioned, eigvalsh
from .linalg_svd import svdvals
from .norms import _norm_fwd, _norm_jvp, _norm_ref, _norm_samples, _norm_vjp
from .registry import EXPORTS, Sample, def_composite, def_op

_inf = math.inf


# --------------------------------------------------------------------------------------------
# Norms: vector_norm (a record: the rule of ``ndgrad.norm``), matrix_norm, norm, cond, rank


def _vnorm_ord(ord: Any) -> Any:
    if isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise TypeError(
            f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
            f"{type(ord).__name__}; hint: use linalg.matrix_norm for 'fro' and 'nuc'"
        )
    return ord


def _vnorm_fwd(
    xp: Any, x: Any, *, ord: Any = 2, dim: Any = None, keepdim: bool = False, dtype: Any = None
) -> Any:
    return _norm_fwd(xp, x, p=_vnorm_ord(ord), dim=dim, keepdim=keepdim, dtype=dtype)


def _sgn(x: Tensor) -> Tensor:
    """x / |x|, 0 at 0 (torch.sgn): the derivative of |x| for complex x."""
    ax = x.abs()
    zero = ax == 0.0
    return where(zero, 0.0, x / where(zero, 1.0, ax))


def _vnorm_vjp(g: Tensor, ans: Tensor, x: Tensor, *, ord: Any = 2, **kw: Any) -> Tensor:
    # subgradients as PyTorch's norm_backward: 0 where the norm is 0 (See ops/norms.py); a
    # complex x: ||x|| = |||x|||, and d|x| (conjugate Wirtinger) is sgn(x)
    dim, keepdim = kw.get("dim"), kw.get("keepdim", False)
    if x.is_complex():
        return _norm_vjp(g, ans, x.abs(), p=ord, dim=dim, keepdim=keepdim) * _sgn(x)
    return _norm_vjp(g, ans, x, p=ord, dim=dim, keepdim=keepdim)


def _vnorm_jvp(tangents: tuple, ans: Tensor, x: Tensor, *, ord: Any = 2, **kw: Any) -> Tensor:
    dim, keepdim = kw.get("dim"), kw.get("keepdim", False)
    if x.is_complex():  # d|x| = Re(conj(sgn x) dx)
        t = (_cj(_sgn(x)) * tangents[0]).real
        return _norm_jvp((t,), ans, x.abs(), p=ord, dim=dim, keepdim=keepdim)
    return _norm_jvp(tangents, ans, x, p=ord, dim=dim, keepdim=keepdim)


def _vnorm_samples(rng: np.random.Generator, dtype: Any) -> list:
    out = []
    for s in _norm_samples(rng, dtype):
        kw = dict(s.kwargs)
        p = kw.pop("p", 2)
        kw["ord"] = 2 if p == "fro" else p
        out.append(Sample(s.args, kw))
    return out


def _vnorm_ref(x: np.ndarray, ord: Any = 2, dim: Any = None, keepdim: bool = False) -> Any:
    return _norm_ref(x, p=ord, dim=dim, keepdim=keepdim)


vector_norm = def_op(
    "linalg.vector_norm",
    forward=_vnorm_fwd,
    vjp=_vnorm_vjp,
    jvp=_vnorm_jvp,
    inputs=("x",),
    params=(("ord", 2), ("dim", None), ("keepdim", False), ("dtype", None)),
    save="both",
    method=False,
    complex=True,
    samples=_vnorm_samples,
    ref=_vnorm_ref,
    doc="The vector ord-norm over ``dim`` (all by default): any number, inf, -inf, 0 (count of "
    "nonzeros); complex inputs give real norms. d/dx ||x||_2 = x / ||x||_2, and 0 where the "
    "norm is 0 (PyTorch's subgradient).",
)


def _dims2(dim: Any, ndim: int) -> tuple:
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}; hint: pass dim=(-2, -1)"
        )
    d0, d1 = (int(d) % ndim for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def _to_last2(a: Tensor, d0: int, d1: int) -> Tensor:
    rest = [i for i in range(a.ndim) if i not in (d0, d1)]
    return a.permute(*rest, d0, d1)


def _keep(r: Tensor, d0: int, d1: int, keepdim: bool) -> Tensor:
    if keepdim:
        for d in sorted((d0, d1)):
            r = r.unsqueeze(d)
    return r


def matrix_norm(
    A: Tensor,  # noqa: N803
    ord: Any = "fro",
    dim: Any = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: Any = None,
    out: Any = None,
) -> Tensor:
    """Matrix norms over the two dimensions ``dim``: 'fro', 'nuc' (sum of singular values),
    2 / -2 (largest / smallest singular value), 1 / -1 (max / min column sum of |A|),
    inf / -inf (max / min row sum). Gradients from the ops it is made of (vector_norm, svdvals,
    amax...), as in PyTorch.

    Example:
        >>> import ndgrad
        >>> ndgrad.linalg.matrix_norm(ndgrad.tensor([[3.0, 0.0], [0.0, -4.0]]), 2).item()
        4.0
    """
    if A.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions.; hint: got "
            f"shape {tuple(A.shape)}; use linalg.vector_norm for vectors"
        )
    d0, d1 = _dims2(dim, A.ndim)
    if dtype is not None:
        A = A.to(dtype)  # noqa: N806
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord == "nuc" or ord in (2, -2):
        s = svdvals(_to_last2(A, d0, d1))
        r = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        return _keep(r, d0, d1, keepdim)
    if ord in (1, -1, _inf, -_inf):
        inner, outer = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(inner, keepdim=True)
        r = sums.amax(outer, keepdim=True) if ord > 0 else sums.amin(outer, keepdim=True)
        return r if keepdim else r.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def _mnorm_samples(rng: np.random.Generator, dtype: Any) -> list:
    def wc(shape: tuple) -> np.ndarray:
        return _well_conditioned(rng, shape, dtype, (2.5, 1.5, 0.7))

    def r(shape: tuple) -> np.ndarray:  # no ties among the row and column sums
        return np.asarray(rng.uniform(0.5, 1.5, shape) * rng.choice([-1, 1], shape)).astype(dtype)

    return [
        Sample((r((2, 3)),)),
        Sample((r((2, 3, 2)),), {"ord": "fro", "dim": (0, 2), "keepdim": True}),
        Sample((wc((3, 2)),), {"ord": "nuc"}),
        Sample((wc((2, 2, 3)),), {"ord": 2}),
        Sample((wc((3, 3)),), {"ord": -2, "keepdim": True}),
        Sample((np.asarray([[0.6, -1.2], [1.5, 0.2]], dtype),), {"ord": 1}),
        Sample((np.asarray([[0.6, -1.2], [1.5, 0.2]], dtype),), {"ord": -1}),
        Sample((np.asarray([[0.6, -1.2, 0.1], [1.5, 0.2, -0.3]], dtype),), {"ord": _inf}),
        Sample((np.asarray([[0.6, -1.2], [1.5, 0.2]], dtype),), {"ord": -_inf, "dim": (1, 0)}),
    ]


def _mnorm_ref(a: np.ndarray, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False):
    return np.linalg.norm(a, ord, axis=tuple(dim), keepdims=keepdim)


def_composite(
    "linalg.matrix_norm", matrix_norm, samples=_mnorm_samples, ref=_mnorm_ref, complex=True
)


def norm(
    input: Tensor,
    ord: Any = None,
    dim: Any = None,
    keepdim: bool = False,
    *,
    out: Any = None,
    dtype: Any = None,
) -> Tensor:
    """torch.linalg.norm: a vector norm (1 dimension, or all when neither ord nor dim is given)
    or a matrix norm (2 dimensions, or a string ord)."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(input, "fro", dim, keepdim, dtype=dtype)
        return vector_norm(input, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if isinstance(ord, str) or input.ndim == 2:
            if input.ndim != 2:
                raise RuntimeError(
                    f"linalg.norm: If dim is not specified but ord is, the input must be 1D or "
                    f"2D. Got {input.ndim}D."
                )
            return matrix_norm(input, ord, (-2, -1), keepdim, dtype=dtype)
        if input.ndim != 1:
            raise RuntimeError(
                f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                f"Got {input.ndim}D."
            )
        return vector_norm(input, ord, None, keepdim, dtype=dtype)
    if len(dim) == 2:
        return matrix_norm(input, ord, dim, keepdim, dtype=dtype)
    if isinstance(ord, str):
        raise RuntimeError(
            f"linalg.norm: If dim is specified, it mut be of length 1 or 2. Got {list(dim)}"
            if len(dim) > 2
            else f"linalg.vector_norm: ord={ord!r} is a matrix norm; hint: pass dim of length 2"
        )
    return vector_norm(input, ord, dim, keepdim, dtype=dtype)


def _lnorm_samples(rng: np.random.Generator, dtype: Any) -> list:
    def r(shape: tuple) -> np.ndarray:
        return np.asarray(rng.uniform(0.5, 1.5, shape) * rng.choice([-1, 1], shape)).astype(dtype)

    return [
        Sample((r((2, 3)),)),
        Sample((r((4,)),), {"ord": 3}),
        Sample((r((2, 3)),), {"ord": "fro"}),
        Sample((r((2, 3)),), {"ord": 1, "dim": 1, "keepdim": True}),
        Sample((r((2, 2, 3)),), {"dim": (0, 2)}),
        Sample((_well_conditioned(rng, (2, 3), dtype, (2.0, 1.0)),), {"ord": "nuc"}),
    ]


def _lnorm_ref(x: np.ndarray, ord: Any = None, dim: Any = None, keepdim: bool = False) -> Any:
    if ord is None and dim is None:
        return np.linalg.norm(x.reshape(-1), keepdims=False)
    return np.linalg.norm(x, ord, axis=dim, keepdims=keepdim)


def_composite("linalg.norm", norm, samples=_lnorm_samples, ref=_lnorm_ref, complex=True)


def _eye_like(A: Tensor) -> Tensor:  # noqa: N803
    return _membed(A[..., 0] * 0.0 + 1.0)


def cond(A: Tensor, p: Any = None, *, out: Any = None) -> Tensor:  # noqa: N803
    """The condition number ||A||_p ||A^{-1}||_p; p=None or 2 (and -2) from the singular values
    (any shape), other p (square, invertible A) from matrix_norm of A and of its inverse."""
    if p is None or p in (2, -2):
        if A.ndim < 2:
            raise RuntimeError("linalg.cond: The input tensor A must have at least 2 dimensions.")
        s = svdvals(A)
        r = s[..., 0] / s[..., -1]
        return r if p != -2 else 1.0 / r
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.cond(ord={p}): A must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices; hint: p=None or 2 take rectangular "
            "matrices"
        )
    return matrix_norm(A, p) * matrix_norm(_solve(A, _eye_like(A)), p)


def _cond_samples(rng: np.random.Generator, dtype: Any) -> list:
    def wc(shape: tuple) -> np.ndarray:
        return _well_conditioned(rng, shape, dtype, (2.5, 1.5, 0.7))

    return [
        Sample((wc((3, 3)),)),
        Sample((wc((2, 3)),), {"p": -2}),
        Sample((wc((2, 2)),), {"p": "fro"}),
        Sample((np.asarray([[2.0, 0.5], [-0.3, 1.2]], dtype),), {"p": 1}),
        Sample((np.asarray([[2.0, 0.5], [-0.3, 1.2]], dtype),), {"p": -_inf}),
        Sample((wc((3, 3)),), {"p": "nuc"}),
    ]


def _cond_torch(a: Any, p: Any = None) -> Any:
    """PyTorch's cond; for p other than None/2/-2 its own definition ||A|| ||A^{-1}|| (torch's
    linalg.cond backward fails there: "modified by an inplace operation", LinalgInvEx)."""
    import torch

    if p is None or p in (2, -2):
        return torch.linalg.cond(a, p)
    return torch.linalg.matrix_norm(a, p) * torch.linalg.matrix_norm(torch.linalg.inv(a), p)


def_composite(
    "linalg.cond",
    cond,
    samples=_cond_samples,
    ref=lambda a, p=None: np.linalg.cond(a, p),
    torch=_cond_torch,
    complex=True,
)


def _tolerance(s_max: Tensor, atol: Any, rtol: Any, eps_n: float) -> Any:
    if rtol is None:
        rtol = eps_n if atol is None or (isinstance(atol, (int, float)) and atol <= 0) else 0.0
    atol = 0.0 if atol is None else atol
    r = s_max * rtol
    return where(r > atol, r, atol) if isinstance(r, Tensor) else max(r, atol)


def _eps_n(A: Tensor) -> float:  # noqa: N803
    single = str(A.dtype).endswith(("float32", "complex64"))
    eps = float(np.finfo(np.float32 if single else np.float64).eps)
    return eps * max(A.shape[-2], A.shape[-1])


def matrix_rank(
    A: Tensor,  # noqa: N803
    tol: Any = None,
    hermitian: bool = False,
    *,
    atol: Any = None,
    rtol: Any = None,
    out: Any = None,
) -> Tensor:
    """The number of singular values (|eigenvalues| with ``hermitian``) above
    max(atol, rtol * largest); default rtol = eps * max(m, n). Not differentiable (int64)."""
    import ndgrad

    if tol is not None:
        atol, rtol = tol, 0.0
    with ndgrad.no_grad():
        s = eigvalsh(A).abs() if hermitian else svdvals(A)
        t = _tolerance(s.amax(-1, keepdim=True), atol, rtol, _eps_n(A))
        if isinstance(t, Tensor) and t.ndim < s.ndim:
            t = t.unsqueeze(-1)
        return (s > t).long().sum(-1)


def _rank_samples(rng: np.random.Generator, dtype: Any) -> list:
    low = _well_conditioned(rng, (3, 3), np.float64, (2.0, 1.0, 0.0)).astype(dtype)
    return [
        Sample((_well_conditioned(rng, (3, 3), dtype, (2.0, 1.0, 0.5)),)),
        Sample((low,)),
        Sample((_well_conditioned(rng, (2, 2, 3), dtype, (2.0, 1.0)),), {"atol": 1.5}),
        Sample((_well_conditioned(rng, (3, 2), dtype, (2.0, 0.1)),), {"rtol": 0.2}),
    ]


def _rank_ref(a: np.ndarray, atol: Any = None, rtol: Any = None) -> np.ndarray:
    s = np.linalg.svd(a, compute_uv=False)
    if rtol is None:
        rtol = np.finfo(a.dtype).eps * max(a.shape[-2:]) if not atol else 0.0
    tol = np.maximum(0.0 if atol is None else atol, rtol * s.max(-1, keepdims=True))
    return np.sum(s > tol, axis=-1).astype(np.int64)


def_composite(
    "linalg.matrix_rank",
    matrix_rank,
    samples=_rank_samples,
    ref=_rank_ref,
    differentiable=False,
)


# --------------------------------------------------------------------------------------------
# Products and friends: cross, vecdot, multi_dot, chain_matmul, vander, diagonal, cdist


def _cross_fwd(xp: Any, a: Any, b: Any, *, dim: int = -1) -> Any:
    if a.ndim != b.ndim:
        raise RuntimeError(
            f"linalg.cross: inputs must have the same number of dimensions.; hint: got "
            f"{a.ndim}D and {b.ndim}D"
        )
    d = int(dim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[d]} and "
            f"{b.shape[d]}"
        )
    a, b = xp.broadcast_arrays(a, b)
    a, b = xp.moveaxis(a, d, -1), xp.moveaxis(b, d, -1)
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    c = xp.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return xp.moveaxis(c, -1, d)


cross_ = def_op(
    "linalg.cross",
    forward=_cross_fwd,
    # <g, a x b> = <b x g, a> = <g x a, b>; conjugated factors for complex (PyTorch)
    vjp=(
        lambda g, ans, a, b, *, dim=-1: cross_(_cj(b), g, dim=dim),
        lambda g, ans, a, b, *, dim=-1: cross_(g, _cj(a), dim=dim),
    ),
    jvp="bilinear",
    inputs=("input", "other"),
    params=(("dim", -1),),
    save_for=((1,), (0,)),
    method=False,
    complex=True,
    samples=_cases((((3,), (3,)), {}), (((2, 3), (1, 3)), {}), (((3, 2), (3, 2)), {"dim": 0})),
    ref=lambda a, b, dim=-1: np.cross(a, b, axis=dim),
    doc="Cross product of 3-vectors along ``dim`` (inputs broadcast). d/da = b x g, d/db = g x a.",
)


def cross(input: Tensor, other: Tensor, dim: Any = None, *, out: Any = None) -> Tensor:
    """torch.cross: ``dim=None`` takes the first dimension of size 3 (deprecated in PyTorch,
    which warns; pass dim or use linalg.cross)."""
    if dim is None:
        import warnings

        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either "
            "pass the dim explicitly or simply use torch.linalg.cross.\nThe default value of "
            "dim will change to agree with that of linalg.cross in a future release.",
            UserWarning,
            stacklevel=2,
        )
        shape = [max(p, q) for p, q in zip(input.shape, other.shape)]
        dim = next((i for i, s in enumerate(shape) if s == 3), -1)
    return cross_(input, other, dim=dim)


def_composite(
    "cross",
    cross,
    method=True,
    samples=_cases((((2, 3), (2, 3)), {"dim": 1})),
    ref=lambda a, b, dim=None: np.cross(a, b, axis=dim),
    complex=True,
)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out: Any = None) -> Tensor:
    """sum(conj(x) * y) over ``dim`` (inputs broadcast)."""
    return (_cj(x) * y).sum(dim)


def_composite(
    "linalg.vecdot",
    vecdot,
    samples=_cases((((2, 3), (3,)), {}), (((3, 2), (3, 2)), {"dim": 0})),
    ref=lambda x, y, dim=-1: np.sum(np.conj(x) * y, axis=dim),
    complex=True,
)


def multi_dot(tensors: Sequence[Tensor], *, out: Any = None) -> Tensor:
    """The product of a chain of matrices; the first may be a row and the last a column
    vector (1-D), removed again in the result."""
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    for i, t in enumerate(ts):
        where_ = "the first tensor" if i == 0 else "the last tensor" if i == len(ts) - 1 else None
        if where_ is None and t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
        if where_ is not None and t.ndim not in (1, 2):
            raise RuntimeError(f"multi_dot(): {where_} must be 1D or 2D but got {t.ndim}D")
    r = ts[0]
    for t in ts[1:]:
        r = matmul(r, t)
    return r


def_composite("linalg.multi_dot", multi_dot)


def _multi_dot3(a: Tensor, b: Tensor, c: Tensor) -> Tensor:
    """multi_dot of three tensors: the table's test of linalg.multi_dot (the template passes
    tensors, not a list of them)."""
    return multi_dot([a, b, c])


def_composite(
    "linalg._multi_dot_as_real",
    _multi_dot3,
    samples=_cases((((2, 3), (3, 2), (2, 2)), {}), (((3,), (3, 2), (2,)), {})),
    ref=lambda a, b, c: np.linalg.multi_dot([a, b, c]),
    torch=lambda a, b, c: _torch().linalg.multi_dot([a, b, c]),
    complex=True,
)


def chain_matmul(*matrices: Tensor, out: Any = None) -> Tensor:
    """torch.chain_matmul (deprecated in PyTorch, which warns): linalg.multi_dot of 2-D
    matrices."""
    import warnings

    warnings.warn(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
        "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather "
        "than multiple parameters.",
        UserWarning,
        stacklevel=2,
    )
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(matrices)


EXPORTS["chain_matmul"] = chain_matmul


def vander(x: Tensor, N: Any = None) -> Tensor:  # noqa: N803
    """linalg.vander: columns x^0, x^1, ..., x^(N-1) (increasing powers) of ``x``'s last
    dimension."""
    import ndgrad

    n = x.shape[-1] if N is None else int(N)
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    cols = [x * 0 + 1, x]
    for _ in range(n - 2):
        cols.append(cols[-1] * x)
    return ndgrad.stack(cols, -1)


def_composite(
    "linalg.vander",
    vander,
    samples=_cases((((3,),), {}), (((2, 3),), {"N": 4})),
    ref=lambda x, N=None: np.stack(  # noqa: N803
        [np.flip(np.vander(r, N), -1) for r in x.reshape(-1, x.shape[-1])]
    ).reshape(*x.shape, x.shape[-1] if N is None else N),
    complex=True,
)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: N803
    """linalg.diagonal: the ``offset`` diagonal of the matrices in dimensions dim1, dim2 (last);
    a copy here (PyTorch returns a view)."""
    d1, d2 = dim1 % A.ndim, dim2 % A.ndim
    m = _to_last2(A, d1, d2)
    rows, cols = m.shape[-2], m.shape[-1]
    k = max(0, min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols))
    r0, c0 = (0, offset) if offset >= 0 else (-offset, 0)
    return _mdiag(m[..., r0 : r0 + k, c0 : c0 + k])


def_composite(
    "linalg.diagonal",
    diagonal,
    samples=_cases(
        (((3, 4),), {}),
        (((2, 3, 4),), {"offset": 1}),
        (((3, 2, 3),), {"offset": -1, "dim1": 0, "dim2": 2}),
    ),
    ref=lambda a, offset=0, dim1=-2, dim2=-1: np.diagonal(a, offset, dim1, dim2),
    complex=True,
)

_CDIST_MODES = (
    "use_mm_for_euclid_dist_if_necessary",
    "use_mm_for_euclid_dist",
    "donot_use_mm_for_euclid_dist",
)


def cdist(
    x1: Tensor,
    x2: Tensor,
    p: float = 2.0,
    compute_mode: str = "use_mm_for_euclid_dist_if_necessary",
) -> Tensor:
    """Pairwise p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M).

    The gradient at coincident points (distance 0) is 0, PyTorch's subgradient (never NaN):
    it is vector_norm's rule. ``compute_mode`` is checked; the distances are always computed
    from the differences (PyTorch's exact path, which its mm path approximates for p=2).
    """
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(
            f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D"
            if x1.ndim < 2
            else f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D"
        )
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return vector_norm(diff, p, -1)


def _cdist_ref(a: np.ndarray, b: np.ndarray, p: float = 2.0) -> np.ndarray:
    diff = a[..., :, None, :] - b[..., None, :, :]
    if p == 0:
        return np.sum(diff != 0, axis=-1).astype(a.dtype)
    return np.linalg.norm(diff, ord=p, axis=-1)


def_composite(
    "cdist",
    cdist,
    samples=_cases(
        (((3, 2), (2, 2)), {}),
        (((2, 2, 2), (2, 3, 2)), {"p": 1.0}),
        (((2, 3), (2, 3)), {"p": _inf}),
        (((2, 3), (1, 3)), {"p": 3.0}),
        (((2, 3), (2, 3)), {"p": 0.0}),
    ),
    ref=_cdist_ref,
)
