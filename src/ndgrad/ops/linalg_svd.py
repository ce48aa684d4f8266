"""Linear algebra: the singular value decomposition and what is built on it (``ndgrad.linalg``).

``linalg.svd`` (a record with PyTorch's svd_backward and linalg_svd_jvp), ``svdvals``,
``torch.svd``, and the pseudo-inverse ``linalg.pinv`` (a record with PyTorch's pinv_backward)
with ``torch.pinverse``. The gauge of the singular vectors: See Note [Gauge of eigenvectors and
singular vectors] in ``linalg_spectral.py``; the shared helpers live there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.tensor import Tensor
from .elementwise import _cj
from .join import cat
from .linalg import matmul
from .linalg_solve import _check_matrix
from .linalg_spectral import _fix_phase, _mdiag, _membed, _mH, _offdiag, _torch, _well_conditioned
from .registry import Sample, def_composite, def_op

# --------------------------------------------------------------------------------------------
# svd, svdvals, torch.svd


def _svd_fwd(xp: Any, a: Any, *, full_matrices: bool = True, driver: Any = None) -> tuple:
    _check_matrix(a, "linalg.svd", square=False)
    if driver is not None:
        raise RuntimeError(
            "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
            "cuSOLVER backend.; hint: leave driver=None"
        )
    u, s, vh = xp.linalg.svd(a, full_matrices=bool(full_matrices))
    return u, s, vh


def _svd_backward(gU: Any, gS: Any, gVh: Any, U: Tensor, S: Tensor, Vh: Tensor) -> Any:  # noqa: N803
    """PyTorch's svd_backward (distinct singular values; full rank when rectangular or
    complex). gA = U [(skew(U^H gU) S + S skew(V^H gV)) / E + diag(gS)] Vh, plus the parts
    outside the span of U (m > n) or V (m < n)."""
    if gS is None and gU is None and gVh is None:
        return None
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        return matmul(U, gS.unsqueeze(-1) * Vh) if m >= n else matmul(U * gS.unsqueeze(-2), Vh)
    is_complex = U.is_complex()

    def skew(x: Tensor) -> Tensor:
        return x - _mH(x)

    uhgu = None if gU is None else skew(matmul(_mH(U), gU))
    vhgv = None if gVh is None else skew(matmul(Vh, _mH(gVh)))
    if is_complex:
        du = 0.0 if uhgu is None else _mdiag(uhgu).imag
        dv = 0.0 if vhgv is None else _mdiag(vhgv).imag
        # PyTorch: allclose(Im diag(U^H gU), -Im diag(V^H gV), rtol=1e-2, atol=1e-2)
        diff = (du + dv).abs() - 1e-2 * (dv.abs() if isinstance(dv, Tensor) else 0.0)
        if isinstance(diff, Tensor) and diff.numel() and float(diff.max()) > 1e-2:
            raise RuntimeError(
                "svd_backward: The singular vectors in the complex case are specified up to "
                "multiplication by e^{i phi}. The specified loss function depends on this phase "
                "term, making it ill-defined.; hint: make the loss invariant to that phase, "
                "See Note [Gauge of eigenvectors and singular vectors]"
            )
    s2 = S * S
    e = s2.unsqueeze(-2) - s2.unsqueeze(-1)
    e = e + _membed(S * 0.0 + 1.0)
    if uhgu is not None and vhgv is not None:
        ret = (uhgu * S.unsqueeze(-2) + S.unsqueeze(-1) * vhgv) / e
    elif uhgu is not None:
        ret = (uhgu / e) * S.unsqueeze(-2)
    else:
        ret = S.unsqueeze(-1) * (vhgv / e)
    if gS is not None:
        ret = ret + _membed(gS.to(ret.dtype) if ret.is_complex() else gS)
    if is_complex and uhgu is not None:
        ret = ret + _membed(_mdiag(uhgu) / (2.0 * S))
    if m > n and gU is not None:
        ga = matmul(U, ret)
        gu_sinv = gU / S.unsqueeze(-2)
        ga = ga + gu_sinv - matmul(U, matmul(_mH(U), gu_sinv))
        return matmul(ga, Vh)
    if m < n and gVh is not None:
        ga = matmul(ret, Vh)
        sinv_gvh = gVh / S.unsqueeze(-1)
        ga = ga + sinv_gvh - matmul(matmul(sinv_gvh, _mH(Vh)), Vh)
        return matmul(U, ga)
    return matmul(U, matmul(ret, Vh)) if m >= n else matmul(matmul(U, ret), Vh)


def _svd_vjp(grads: tuple, ans: tuple, a: Any, *, full_matrices: bool = True, driver: Any = None):
    gU, gS, gVh = grads  # noqa: N806
    U, S, Vh = ans  # noqa: N806
    if full_matrices:  # as PyTorch: only the first k = min(m, n) vectors take part
        k = S.shape[-1]
        U, Vh = U[..., :k], Vh[..., :k, :]  # noqa: N806
        gU = None if gU is None else gU[..., :k]  # noqa: N806
        gVh = None if gVh is None else gVh[..., :k, :]  # noqa: N806
    return _svd_backward(gU, gS, gVh, U, S, Vh)


def _svd_jvp(
    tangents: tuple, ans: tuple, a: Any, *, full_matrices: bool = True, driver: Any = None
):
    # PyTorch's linalg_svd_jvp (reduced): dP = U^H dA V; dS = Re diag(dP);
    # dU = U (dP S + S dP^H) / E  (+ (I - U U^H) dA V S^{-1}),  likewise dV.
    dA = tangents[0]  # noqa: N806
    U, S, Vh = ans  # noqa: N806
    k = S.shape[-1]
    mu, nv = U.shape[-1], Vh.shape[-2]  # the full bases' extra vectors: zero tangents (PyTorch)
    U, Vh = U[..., :k], Vh[..., :k, :]  # noqa: N806
    V = _mH(Vh)  # noqa: N806
    m, n = U.shape[-2], V.shape[-2]
    dp = matmul(_mH(U), matmul(dA, V))
    ds = _mdiag(dp)
    ds = ds.real if ds.is_complex() else ds
    s2 = S * S
    e = s2.unsqueeze(-2) - s2.unsqueeze(-1)
    e = e + _membed(S * 0.0 + 1.0)
    du_core = _offdiag((dp * S.unsqueeze(-2) + S.unsqueeze(-1) * _mH(dp)) / e)
    dv_core = _offdiag((_mH(dp) * S.unsqueeze(-2) + S.unsqueeze(-1) * dp) / e)
    if dp.is_complex():  # the phase: keep diag(U^H dU) + diag(V^H dV) consistent, as PyTorch
        du_core = du_core + _membed((_mdiag(dp) - ds) / S)
    du = matmul(U, du_core)
    dv = matmul(V, dv_core)
    if m > k:
        du = du + (matmul(dA, V) - matmul(U, dp)) / S.unsqueeze(-2)
    if n > k:
        dv = dv + (matmul(_mH(dA), U) - matmul(V, _mH(dp))) / S.unsqueeze(-2)
    dvh = _mH(dv)
    if mu > k:
        du = cat([du, (U[..., :1] * 0.0).expand(*U.shape[:-1], mu - k)], -1)
    if nv > k:
        dvh = cat([dvh, (Vh[..., :1, :] * 0.0).expand(*Vh.shape[:-2], nv - k, Vh.shape[-1])], -2)
    return du, ds, dvh


svd = def_op(
    "linalg.svd",
    forward=_svd_fwd,
    vjp=_svd_vjp,
    jvp=_svd_jvp,
    inputs=("A",),
    params=(("full_matrices", True), ("driver", None)),
    save=None,
    save_outputs=(0, 1, 2),
    outputs=("U", "S", "Vh"),
    result_name="linalg_svd",
    method=False,
    complex=True,
    doc="Singular value decomposition A = U diag(S) Vh (S descending). The gradient is "
    "PyTorch's svd_backward (distinct singular values; with full_matrices=True only the first "
    "min(m, n) singular vectors take part). See Note [Gauge of eigenvectors and singular "
    "vectors]. Tested through linalg._svd_as_real.",
)


def svdvals(A: Tensor, *, driver: Any = None, out: Any = None) -> Tensor:  # noqa: N803
    """Singular values (descending). d/dA = U diag(g) Vh.

    Example:
        >>> import ndgrad
        >>> ndgrad.linalg.svdvals(ndgrad.tensor([[3.0, 0.0], [0.0, -4.0]])).tolist()
        [4.0, 3.0]
    """
    return svd(A, False, driver=driver).S


def_composite(
    "linalg.svdvals",
    svdvals,
    samples=lambda rng, dt: [
        Sample((_well_conditioned(rng, shape, dt, (2.5, 1.5, 0.7)),))
        for shape in ((3, 3), (3, 2), (2, 2, 3))
    ],
    ref=lambda a: np.linalg.svd(a, compute_uv=False),
    torch="linalg.svdvals",
    complex=True,
)


def _torch_svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> tuple:
    """torch.svd: (U, S, V) with V (not Vh); ``some=False`` gives the full bases. Without
    ``compute_uv`` U and V are zeros (and S's gradient is the svdvals one)."""
    if not compute_uv:
        s = svdvals(input)
        m, n = input.shape[-2], input.shape[-1]
        shape_u = (*input.shape[:-2], m, m)  # PyTorch: square zeros, whatever ``some``
        shape_v = (*input.shape[:-2], n, n)
        import ndgrad

        z = ndgrad.zeros
        res = (z(shape_u, dtype=input.dtype), s, z(shape_v, dtype=input.dtype))
    else:
        u, s, vh = svd(input, not some)
        res = (u, s, _mH(vh))
    from .registry import _result_type

    return _result_type("svd", ("U", "S", "V"))(*res)


def_composite("svd", _torch_svd, method=True, torch=False)


def _svd_as_real(A: Tensor, full_matrices: bool = False) -> tuple:  # noqa: N803
    """linalg.svd with gauge-fixed singular vectors (the first k = min(m, n) of them, as
    PyTorch's gradient reads): the table's test of linalg.svd."""
    U, S, Vh = svd(A, full_matrices)  # noqa: N806
    k = S.shape[-1]
    U, phase = _fix_phase(U[..., :k])  # noqa: N806
    return U, S, Vh[..., :k, :] * phase.mT


def _svd_as_real_ref(a: np.ndarray, full_matrices: bool = False) -> tuple:
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    first = u[..., :1, :]
    ph = first / np.abs(first)
    return u * np.conj(ph), s, vh * np.swapaxes(ph, -1, -2)


def _svd_as_real_torch(a: Any, full_matrices: bool = False) -> tuple:
    u, s, vh = _torch().linalg.svd(a, full_matrices=full_matrices)
    k = s.shape[-1]
    u, vh = u[..., :k], vh[..., :k, :]
    first = u[..., :1, :]
    ph = first / first.abs()
    return u * ph.conj(), s, vh * ph.mT


def _svd_samples(rng: np.random.Generator, dtype: Any) -> list:
    def s(shape: tuple, kw: dict) -> Sample:
        return Sample((_well_conditioned(rng, shape, dtype, (2.5, 1.5, 0.7)),), kw)

    return [
        s((2, 2), {}),
        s((3, 2), {}),
        s((2, 3), {"full_matrices": True}),
        s((2, 3, 2), {"full_matrices": True}),
    ]


def_composite(
    "linalg._svd_as_real",
    _svd_as_real,
    samples=_svd_samples,
    ref=_svd_as_real_ref,
    torch=_svd_as_real_torch,
    complex=True,
    outputs=("U", "S", "Vh"),
)


def _torch_svd_as_real(A: Tensor, some: bool = True) -> tuple:  # noqa: N803
    """torch.svd with U and V gauge-fixed (their first k columns): the table's test of svd."""
    U, S, V = _torch_svd(A, some)  # noqa: N806
    k = S.shape[-1]
    U, phase = _fix_phase(U[..., :k])  # noqa: N806
    return U, S, V[..., :k] * _cj(phase)


def _torch_svd_as_real_twin(a: Any, some: bool = True) -> tuple:
    u, s, v = _torch().svd(a, some=some)
    k = s.shape[-1]
    first = u[..., :1, :k]
    ph = first / first.abs()
    return u[..., :k] * ph.conj(), s, v[..., :k] * ph.conj()


def_composite(
    "_svd_as_real",
    _torch_svd_as_real,
    samples=lambda rng, dt: [
        Sample((_well_conditioned(rng, (3, 2), dt, (2.5, 1.5)),)),
        Sample((_well_conditioned(rng, (2, 2, 3), dt, (2.5, 1.5)),), {"some": False}),
    ],
    ref=lambda a, some=True: (lambda u, s, vh: (u, s, np.conj(np.swapaxes(vh, -1, -2))))(
        *_svd_as_real_ref(a)
    ),
    torch=_torch_svd_as_real_twin,
    complex=True,
    outputs=("U", "S", "V"),
)


def _pinv_fwd(
    xp: Any, a: Any, *, atol: Any = None, rtol: Any = None, hermitian: bool = False
) -> Any:
    _check_matrix(a, "linalg.pinv", square=False)
    m, n = a.shape[-2], a.shape[-1]
    eps = float(np.finfo(np.float32 if a.dtype in (xp.float32, xp.complex64) else np.float64).eps)
    if rtol is None:
        rtol = eps * max(m, n) if atol is None or atol <= 0 else 0.0
    atol = 0.0 if atol is None else atol
    if hermitian:
        w, v = xp.linalg.eigh(a)  # reads the lower triangle, as PyTorch
        s, u, vh = xp.abs(w), v, xp.conj(xp.matrix_transpose(v))
        s_inv_src = w
    else:
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        s_inv_src = s
    tol = xp.maximum(xp.max(s, axis=-1, keepdims=True) * rtol, xp.asarray(atol, dtype=s.dtype))
    keep = s > tol
    inv = xp.where(keep, 1.0 / xp.where(keep, s_inv_src, xp.ones_like(s_inv_src)), 0.0)
    inv = xp.astype(inv, a.dtype)
    return xp.matmul(
        xp.conj(xp.matrix_transpose(vh)) * xp.expand_dims(inv, axis=-2),
        xp.conj(xp.matrix_transpose(u)),
    )


def _pinv_vjp(g: Tensor, ans: Tensor, a: Tensor, **_: Any) -> Tensor:
    # PyTorch's pinv_backward: the derivative of the Moore-Penrose inverse at constant rank
    # (so also where atol/rtol cut singular values: the cut ones are taken as exact zeros)
    m, n = a.shape[-2], a.shape[-1]
    p, ph, gh = ans, _mH(ans), _mH(g)
    if m <= n:
        k = matmul(gh, p)
        kph = matmul(k, ph)
        return (
            -_mH(matmul(p, k))
            + kph
            - matmul(matmul(a, p), kph)
            + matmul(matmul(ph, p), gh - matmul(k, a))
        )
    k = matmul(p, gh)
    phk = matmul(ph, k)
    return (
        -_mH(matmul(k, p))
        + matmul(matmul(gh - matmul(a, k), p), ph)
        + phk
        - matmul(matmul(phk, p), a)
    )


def _pinv_jvp(tangents: tuple, ans: Tensor, a: Tensor, **_: Any) -> Tensor:
    # dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P (constant rank)
    da = tangents[0]
    p, dah = ans, _mH(tangents[0])
    pda = matmul(p, da)
    first = -matmul(pda, p)
    second = matmul(matmul(p, _mH(p)), dah) - matmul(matmul(matmul(p, _mH(p)), dah), matmul(a, p))
    third = matmul(dah, matmul(_mH(p), p)) - matmul(matmul(p, a), matmul(dah, matmul(_mH(p), p)))
    return first + second + third


def _pinv_samples(rng: np.random.Generator, dtype: Any) -> list:
    def wc(shape: tuple, vals: tuple = (2.5, 1.5, 0.7)) -> np.ndarray:
        return _well_conditioned(rng, shape, dtype, vals)

    return [
        Sample((wc((3, 3)),)),
        Sample((wc((2, 3)),)),
        Sample((wc((2, 3, 2)),), {"rtol": 0.1}),
        Sample((wc((3, 2)),), {"atol": 0.1}),
    ]


def _np_pinv(a: np.ndarray, atol: Any = None, rtol: Any = None) -> np.ndarray:
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    if rtol is None:
        rtol = np.finfo(a.dtype).eps * max(a.shape[-2:]) if not atol else 0.0
    tol = np.maximum(0.0 if atol is None else atol, rtol * s.max(-1, keepdims=True))
    inv = np.where(s > tol, 1 / np.where(s > tol, s, 1), 0)
    return np.swapaxes(vh, -1, -2).conj() @ (inv[..., None] * np.swapaxes(u, -1, -2).conj())


pinv = def_op(
    "linalg.pinv",
    forward=_pinv_fwd,
    vjp=_pinv_vjp,
    jvp=_pinv_jvp,
    inputs=("A",),
    params=(("atol", None), ("rtol", None), ("hermitian", False)),
    save="both",
    method=False,
    complex=True,
    samples=_pinv_samples,
    ref=_np_pinv,
    doc="The Moore-Penrose pseudo-inverse from the SVD (eigh with ``hermitian``, which reads the "
    "lower triangle): singular values at or below max(atol, rtol * largest) are dropped; "
    "default rtol = eps * max(m, n) (0 when atol > 0). The gradient is PyTorch's pinv_backward "
    "(constant rank).",
)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """torch.pinverse: linalg.pinv with rtol=rcond."""
    return pinv(input, rtol=rcond)


def_composite(
    "pinverse",
    pinverse,
    method=True,
    samples=lambda rng, dt: [
        Sample((_well_conditioned(rng, (3, 2), dt, (2.5, 1.5)),)),
        Sample((_well_conditioned(rng, (2, 2, 3), dt, (2.5, 0.1)),), {"rcond": 0.01}),
    ],
    ref=lambda a, rcond=1e-15: _np_pinv(a, rtol=rcond),
    complex=True,
)
