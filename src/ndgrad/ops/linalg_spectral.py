"""Linear algebra, part two: eigen and singular values, QR, norms, products (``ndgrad.linalg``).

The decompositions are records with PyTorch's backward formulas (``linalg_eig_backward``,
``svd_backward``, ``linalg_qr_backward`` in PyTorch's FunctionsManual), written in ndgrad ops, so
second order comes with them; the rest (``svdvals``, ``eigvalsh``, ``pinv``, ``matrix_norm``,
``cond``, ``multi_dot``...) are composites of those.

Note [Gauge of eigenvectors and singular vectors]
Eigenvectors (and singular vectors) are defined up to a sign (real) or a phase ``e^{i phi}``
(complex) per column; a loss is well defined only when it does not depend on that choice
("gauge invariant": ``V diag(f(L)) V^H``, ``|V|``, ``U Vh``...). As in PyTorch:

* the formulas assume distinct eigenvalues (singular values); at a repeated one they divide by
  ``L_j - L_i = 0`` and return inf/nan silently when the loss depends on the eigenvectors
  (a loss of the eigenvalues alone, or a gauge-invariant one of the eigenvectors, is fine);
* for complex inputs, a loss that depends on the phase raises ("... specified up to
  multiplication by e^{i phi} ..."), checked on the imaginary part of ``diag(V^H gV)``;
* ``eigh``'s gradient is Hermitian (as PyTorch's): it is the gradient with respect to Hermitian
  perturbations, although the forward reads one triangle only.

The singular vectors this backend returns may differ from PyTorch's by that sign or phase (both
are valid); the table tests them through gauge-fixed private composites
(``linalg._eigh_as_real``, ``linalg._svd_as_real``, ``linalg._eig_as_real`` and the like:
the table's name for an entry that covers another, See ``coverage._gauged``).

Example:
    >>> import ndgrad
    >>> a = ndgrad.tensor([[3.0, 0.0], [0.0, -4.0]], requires_grad=True)
    >>> ndgrad.linalg.eigvalsh(a)
    tensor([-4.,  3.], grad_fn=<LinalgEighBackward0>)
    >>> ndgrad.linalg.svdvals(a).sum().backward()  # the nuclear norm: d/dA = U Vh
    >>> a.grad.abs().tolist()
    [[1.0, 0.0], [0.0, 1.0]]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._core.tensor import Tensor
from .clamping import where
from .elementwise import _cj
from .join import cat
from .linalg import _swap_last2, matmul, tril
from .linalg_solve import _check_matrix
from .norms import _norm_fwd, _norm_jvp, _norm_ref, _norm_samples, _norm_vjp
from .registry import EXPORTS, Sample, def_composite, def_op

_inf = math.inf

# --------------------------------------------------------------------------------------------
# Small helpers: PyTorch's checks and the batched diagonal, embedding and solve the rules use.


def _torch() -> Any:
    """PyTorch (for the table's twins; only the tests call them)."""
    import torch

    return torch


def _mH(x: Tensor) -> Tensor:  # noqa: N802 - PyTorch's name
    """The conjugate transpose of the last two dimensions."""
    return _cj(_swap_last2(x))


def _cases(*cases: tuple) -> Callable[..., list]:
    def gen(rng: np.random.Generator, dtype: Any) -> list:
        return [
            Sample(tuple(np.asarray(rng.uniform(-2, 2, s)).astype(dtype) for s in shapes), dict(kw))
            for shapes, kw in cases
        ]

    return gen


def _diag_fwd(xp: Any, x: Any) -> Any:
    return xp.asarray(xp.linalg.diagonal(x), copy=True)


def _embed_fwd(xp: Any, v: Any) -> Any:
    n = v.shape[-1]
    eye = xp.eye(n, dtype=v.dtype, device=v.device)
    return eye * xp.expand_dims(v, axis=-2)


_mdiag = def_op(
    "linalg._mdiag",
    forward=_diag_fwd,
    vjp=lambda g, ans, x: _membed(g),
    jvp="linear",
    save=None,
    method=False,
    export=False,
    backward_name="DiagonalBackward0",
    samples=_cases((((3, 3),), {}), (((2, 2, 2),), {})),
    ref=lambda x: np.diagonal(x, 0, -2, -1),
    torch=lambda x: x.diagonal(0, -2, -1),
    complex=True,
    doc="The main diagonals of a batch of square matrices (a copy). Its vjp embeds g.",
)

_membed = def_op(
    "linalg._membed",
    forward=_embed_fwd,
    vjp=lambda g, ans, v: _mdiag(g),
    jvp="linear",
    save=None,
    method=False,
    export=False,
    backward_name="DiagEmbedBackward0",
    samples=_cases((((3,),), {}), (((2, 2),), {})),
    ref=lambda v: v[..., None, :] * np.eye(v.shape[-1], dtype=v.dtype),
    torch=lambda v: v.diag_embed(),
    complex=True,
    doc="Square matrices with ``v`` on their diagonals (torch.diag_embed). Its vjp reads the "
    "diagonal of g.",
)


def _offdiag(x: Tensor) -> Tensor:
    return x - _membed(_mdiag(x))


def _solve_fwd(xp: Any, a: Any, b: Any) -> Any:
    return xp.linalg.solve(a, b)


def _solve_vjp_a(g: Tensor, ans: Tensor, a: Tensor, b: Any) -> Tensor:
    # X = A^{-1} B: gB = A^{-H} g, gA = -gB X^H
    return -matmul(_solve(_mH(a), g), _mH(ans))


_solve = def_op(
    "linalg._msolve",
    forward=_solve_fwd,
    vjp=(_solve_vjp_a, lambda g, ans, a, b: _solve(_mH(a), g)),
    jvp=lambda ts, ans, a, b: _solve(
        a, (0.0 if ts[1] is None else ts[1]) - (0.0 if ts[0] is None else matmul(ts[0], ans))
    ),
    inputs=("A", "B"),
    save="both",
    method=False,
    export=False,
    backward_name="LinalgSolveExBackward0",
    samples=lambda rng, dt: [
        Sample(
            (
                (np.eye(3) * 3 + rng.uniform(-1, 1, (3, 3))).astype(dt),
                rng.uniform(-1, 1, (3, 2)).astype(dt),
            )
        ),
        Sample(
            (
                (np.eye(2) * 3 + rng.uniform(-1, 1, (2, 2, 2))).astype(dt),
                rng.uniform(-1, 1, (2, 2, 2)).astype(dt),
            )
        ),
    ],
    ref=np.linalg.solve,
    torch="linalg.solve",
    complex=True,
    doc="A^{-1} B for batches of square A and matrices B (the solve the rules below need). "
    "d/dB = A^{-H} g, d/dA = -A^{-H} g X^H.",
)


def _well_conditioned(rng: np.random.Generator, shape: tuple, dtype: Any, vals: Sequence) -> Any:
    """``Q diag(vals) Q^T`` (square) or ``U diag(vals) V^T`` (rectangular) with random
    orthogonal factors: eigen/singular values spaced as given, so the rules are well defined."""
    *batch, m, n = shape
    k = min(m, n)
    out = np.empty(shape)
    for idx in np.ndindex(*batch):
        u, _ = np.linalg.qr(rng.standard_normal((m, m)))
        v, _ = np.linalg.qr(rng.standard_normal((n, n)))
        d = np.zeros((m, n))
        d[np.arange(k), np.arange(k)] = np.asarray(vals[:k]) + rng.uniform(-0.05, 0.05, k)
        out[idx] = u @ d @ (u.T if m == n and vals[0] < 0 else v.T)
    return out.astype(dtype)


# --------------------------------------------------------------------------------------------
# eigh, eigvalsh


def _uplo(op: str, UPLO: str) -> str:  # noqa: N803 - PyTorch's name
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(
            f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}; hint: {op} reads the lower "
            "('L') or upper ('U') triangle"
        )
    return UPLO.upper()


def _hermitian_from(xp: Any, a: Any, UPLO: str) -> Any:  # noqa: N803
    """The Hermitian matrix of one triangle of ``a`` (the real part of its diagonal)."""
    part = xp.tril(a, k=-1) if UPLO == "L" else xp.triu(a, k=1)
    d = xp.real(xp.linalg.diagonal(a)) if xp.isdtype(a.dtype, "complex floating") else None
    d = xp.linalg.diagonal(a) if d is None else xp.astype(d, a.dtype)
    return part + xp.conj(xp.matrix_transpose(part)) + _embed_fwd(xp, d)


def _eigh_fwd(xp: Any, a: Any, *, UPLO: str = "L") -> tuple:  # noqa: N803
    _check_matrix(a, "linalg.eigh")
    up = _uplo("linalg.eigh", UPLO)
    L, V = xp.linalg.eigh(_hermitian_from(xp, a, up))  # noqa: N806
    return L, V


def _E(L: Tensor) -> Tensor:  # noqa: N802, N803
    """E[i, j] = L[j] - L[i] with ones on the diagonal (PyTorch's ``E`` of linalg_eig_backward)."""
    e = L.unsqueeze(-2) - L.unsqueeze(-1)
    return e + _membed(L * 0.0 + 1.0)


def _phase_check(d: Tensor, op: str, what: str, quantity: str) -> None:
    if d.is_complex() and d.numel() and float(d.imag.abs().max()) > 1e-2:
        raise RuntimeError(
            f"{op}: The {what} in the complex case are specified up to multiplication by "
            f"e^{{i phi}}. The specified loss function depends on {quantity}, so it is "
            "ill-defined.; hint: make the loss invariant to that phase (use |V|, V V^H, ...), "
            "See Note [Gauge of eigenvectors and singular vectors]"
        )


def _eig_backward(gL: Any, gV: Any, L: Tensor, V: Tensor, hermitian: bool) -> Tensor:  # noqa: N803
    """PyTorch's linalg_eig_backward: gA = V^{-H} (diag(gL) + (V^H gV projected) / E^*) V^H."""
    if not hermitian:  # a real cotangent of a complex output (eig of a real matrix)
        gL = gL if gL is None or gL.is_complex() else gL.to(V.dtype)  # noqa: N806
        gV = gV if gV is None or gV.is_complex() else gV.to(V.dtype)  # noqa: N806
    if gV is None:
        if hermitian:
            return matmul(V * gL.unsqueeze(-2), _mH(V))
        return _solve(_mH(V), matmul(_membed(gL), _mH(V)))
    vhgv = matmul(_mH(V), gV)
    d = _mdiag(vhgv)
    _phase_check(
        d,
        "linalg_eigh_backward" if hermitian else "linalg_eig_backward",
        "eigenvectors",
        "this quantity",
    )
    if hermitian:
        vhgv = 0.5 * (vhgv - _mH(vhgv))  # project onto the skew-Hermitian matrices
        e = _E(L)
    else:
        vhgv = vhgv - matmul(_mH(V), V * d.real.unsqueeze(-2))
        e = _E(_cj(L))
    ret = vhgv / e
    if gL is not None:
        ret = _offdiag(ret) + _membed(gL.to(ret.dtype) if ret.is_complex() else gL)
    if hermitian:
        return matmul(V, matmul(ret, _mH(V)))
    return _solve(_mH(V), matmul(ret, _mH(V)))


def _eig_jvp(dA: Tensor, L: Tensor, V: Tensor, hermitian: bool) -> tuple:  # noqa: N803
    """PyTorch's linalg_eig_jvp: dP = V^{-1} dA V, dL = diag(dP), dV = V (dP / E off the
    diagonal), normalised (non-Hermitian) so the columns keep norm 1."""
    dp = matmul(_mH(V), matmul(dA, V)) if hermitian else _solve(V, matmul(dA, V))
    dl = _mdiag(dp)
    if hermitian and dl.is_complex():
        dl = dl.real
    dv = matmul(V, _offdiag(dp / _E(L)))
    if not hermitian:
        dv = dv - V * (_cj(V) * dv).sum(-2, keepdim=True).real
    return dl, dv


def _eigh_vjp(grads: tuple, ans: tuple, a: Any, *, UPLO: str = "L") -> Tensor:  # noqa: N803
    return _eig_backward(grads[0], grads[1], ans[0], ans[1], hermitian=True)


def _eigh_jvp(tangents: tuple, ans: tuple, a: Any, *, UPLO: str = "L") -> tuple:  # noqa: N803
    # As PyTorch: the tangent is taken as Hermitian (dA as given, not folded onto one triangle)
    return _eig_jvp(tangents[0], ans[0], ans[1], hermitian=True)


eigh = def_op(
    "linalg.eigh",
    forward=_eigh_fwd,
    vjp=_eigh_vjp,
    jvp=_eigh_jvp,
    inputs=("A",),
    params=(("UPLO", "L"),),
    save=None,
    save_outputs=(0, 1),
    outputs=("eigenvalues", "eigenvectors"),
    result_name="linalg_eigh",
    method=False,
    complex=True,
    doc="Eigenvalues (ascending, real) and orthonormal eigenvectors of Hermitian matrices, read "
    "from the lower (UPLO='L') or upper triangle. gA = V (diag(gL) + skew(V^H gV) / E) V^H with "
    "E_ij = L_j - L_i (distinct eigenvalues; See Note [Gauge of eigenvectors and singular "
    "vectors]). Tested through linalg._eigh_as_real.",
)


def eigvalsh(A: Tensor, UPLO: str = "L", *, out: Any = None) -> Tensor:  # noqa: N803
    """Eigenvalues of Hermitian matrices (ascending). d/dA = V diag(g) V^H.

    Example:
        >>> import ndgrad
        >>> ndgrad.linalg.eigvalsh(ndgrad.tensor([[2.0, 0.0], [0.0, -1.0]])).tolist()
        [-1.0, 2.0]
    """
    return eigh(A, UPLO).eigenvalues


def_composite("linalg.eigvalsh", eigvalsh, ref=None, torch="linalg.eigvalsh")


def _fix_phase(v: Tensor) -> tuple:
    """``v`` with each column's first entry made real and positive, and the phases used."""
    first = v[..., :1, :]
    phase = first / first.abs()
    return v * _cj(phase), phase


def _eigh_as_real(A: Tensor, UPLO: str = "L") -> tuple:  # noqa: N803
    """eigh of ``A + A^H`` with gauge-fixed eigenvectors: a function of every entry of ``A``
    whose outputs can all be differentiated (the table's test of linalg.eigh; the name is the
    table's convention for such entries, See coverage._gauged)."""
    L, V = eigh(A + _mH(A), UPLO)  # noqa: N806
    return L, _fix_phase(V)[0]


def _np_fix(v: np.ndarray) -> np.ndarray:
    first = v[..., :1, :]
    return v * np.conj(first / np.abs(first))


def _np_herm(a: np.ndarray) -> np.ndarray:
    return a + np.conj(np.swapaxes(a, -1, -2))


def _torch_fix(v: Any) -> Any:
    first = v[..., :1, :]
    return v * (first / first.abs()).conj()


def _eigh_as_real_torch(a: Any, UPLO: str = "L") -> tuple:  # noqa: N803
    L, V = _torch().linalg.eigh(a + a.mH, UPLO)  # noqa: N806
    return L, _torch_fix(V)


def _sym_samples(rng: np.random.Generator, dtype: Any) -> list:
    def s(shape: tuple, kw: dict) -> Sample:
        return Sample((_well_conditioned(rng, shape, dtype, (-1.5, 0.5, 2.0)) / 2,), kw)

    return [s((2, 2), {}), s((3, 3), {"UPLO": "U"}), s((2, 2, 2), {})]


def_composite(
    "linalg._eigh_as_real",
    _eigh_as_real,
    samples=_sym_samples,
    ref=lambda a, UPLO="L": (lambda w, v: (w, _np_fix(v)))(*np.linalg.eigh(_np_herm(a), UPLO)),  # noqa: N803
    torch=_eigh_as_real_torch,
    complex=True,
    outputs=("eigenvalues", "eigenvectors"),
)

def_composite(
    "linalg._eigvalsh_as_real",
    lambda A, UPLO="L": eigvalsh(A + _mH(A), UPLO),  # noqa: N803
    samples=_sym_samples,
    ref=lambda a, UPLO="L": np.linalg.eigvalsh(_np_herm(a), UPLO),  # noqa: N803
    torch=lambda a, UPLO="L": _torch().linalg.eigvalsh(a + a.mH, UPLO),  # noqa: N803
    complex=True,
    doc="eigvalsh of A + A^H (the table's test of linalg.eigvalsh).",
)


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


# --------------------------------------------------------------------------------------------
# qr, torch.qr

_QR_MODES = ("reduced", "complete", "r")


def _qr_mode(mode: str) -> str:
    if mode not in _QR_MODES:
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    return mode


def _qr_fwd(xp: Any, a: Any, *, mode: str = "reduced") -> tuple:
    _check_matrix(a, "linalg.qr", square=False)
    _qr_mode(mode)
    q, r = xp.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
    if mode == "r":  # as PyTorch: an empty Q
        q = xp.zeros((0,), dtype=a.dtype, device=a.device)
    return q, r


def _right_solve_h(b: Tensor, r: Tensor) -> Tensor:
    """``b R^{-H}`` (R square, invertible)."""
    return _mH(_solve(r, _mH(b)))


def _qr_back_tall(gQ: Tensor, gR: Tensor, Q: Tensor, R: Tensor) -> Tensor:  # noqa: N803
    # m >= n: gA = (gQ + Q copyltu(N)) R^{-H}, N = R gR^H - gQ^H Q, copyltu(N) the Hermitian
    # matrix of N's strict lower triangle with Re diag(N) (the adjoint of Q^H dA R^{-1} -> dQ, dR
    # for R with a real diagonal, as LAPACK returns it)
    n = matmul(R, _mH(gR)) - matmul(_mH(gQ), Q)
    low = tril(n, -1)
    d = _mdiag(n)
    g = low + _mH(low) + _membed(d.real if d.is_complex() else d)
    return _right_solve_h(gQ + matmul(Q, g), R)


def _qr_vjp(grads: tuple, ans: tuple, a: Tensor, *, mode: str = "reduced") -> Tensor:
    if mode == "r":
        raise RuntimeError(
            "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
            "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
            "linalg.qr."
        )
    gQ, gR = grads  # noqa: N806
    Q, R = ans  # noqa: N806
    m, n = a.shape[-2], a.shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError(
            "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
        )
    if m >= n:
        return _qr_back_tall(gQ, gR, Q, R)
    # m < n: A = Q [R1 R2] with Q R1 = A1 (the first m columns) and R2 = Q^H A2
    a2, g2 = a[..., m:], gR[..., m:]
    ga1 = _qr_back_tall(gQ + matmul(a2, _mH(g2)), gR[..., :m], Q, R[..., :m])
    return cat([ga1, matmul(Q, g2)], -1)


def _qr_jvp(tangents: tuple, ans: tuple, a: Tensor, *, mode: str = "reduced") -> tuple:
    # X = Q^H dA1 R1^{-1}; C = Q^H dQ, skew-Hermitian: the strict lower triangle of X, minus its
    # conjugate transpose, i Im diag(X); dR1 = (X - C) R1, dQ = dA1 R1^{-1} - Q (X - C);
    # dR2 = dQ^H A2 + Q^H dA2.
    da = tangents[0]
    Q, R = ans  # noqa: N806
    if mode == "r" or (mode == "complete" and a.shape[-2] > a.shape[-1]):
        raise RuntimeError(
            "linalg.qr: forward-mode AD needs mode='reduced' (or 'complete' with nrows <= ncols)"
        )
    m = a.shape[-2]
    k = min(m, a.shape[-1])
    r1, da1 = R[..., :k], da[..., :k]
    y = _right_solve_h(da1, _mH(r1))  # dA1 R1^{-1}
    x = matmul(_mH(Q), y)
    low = tril(x, -1)
    d = _mdiag(x)
    c = low - _mH(low) + (_membed(d - d.real) if d.is_complex() else 0.0)
    dr = matmul(x - c, r1)
    dq = y - matmul(Q, x - c)
    if a.shape[-1] > m:
        dr2 = matmul(_mH(dq), a[..., m:]) + matmul(_mH(Q), da[..., m:])
        dr = cat([dr, dr2], -1)
    return dq, dr


def _qr_samples(rng: np.random.Generator, dtype: Any) -> list:
    def s(shape: tuple, kw: dict) -> Sample:
        return Sample((_well_conditioned(rng, shape, dtype, (2.5, 1.5, 0.7)),), kw)

    return [
        s((3, 3), {}),
        s((3, 2), {}),
        s((2, 3), {}),
        s((2, 3, 2), {"mode": "reduced"}),
        s((2, 3), {"mode": "complete"}),
    ]


def _qr_ref(a: np.ndarray, mode: str = "reduced") -> tuple:
    q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
    return q, r


qr = def_op(
    "linalg.qr",
    forward=_qr_fwd,
    vjp=_qr_vjp,
    jvp=_qr_jvp,
    inputs=("A",),
    params=(("mode", "reduced"),),
    save=(0,),
    save_outputs=(0, 1),
    outputs=("Q", "R"),
    result_name="linalg_qr",
    materialize_grads=True,
    method=False,
    complex=True,
    samples=_qr_samples,
    ref=_qr_ref,
    doc="QR decomposition A = Q R (Householder; R with a real diagonal). mode='reduced' "
    "(default), 'complete' or 'r' (R only, Q empty: not differentiable). PyTorch's "
    "linalg_qr_backward: gA = (gQ + Q copyltu(R gR^H - gQ^H Q)) R^{-H} for m >= n; wide "
    "inputs split A = [A1 A2].",
)


def _torch_qr(input: Tensor, some: bool = True) -> tuple:
    """torch.qr (deprecated in PyTorch, which warns): ``some=True`` is mode='reduced',
    ``some=False`` mode='complete'."""
    import warnings

    from .registry import _result_type

    warnings.warn(
        "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future "
        "PyTorch release.\nThe boolean parameter 'some' has been replaced with a string "
        "parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\nQ, R = "
        "torch.linalg.qr(A, 'reduced' if some else 'complete')",
        UserWarning,
        stacklevel=3,
    )

    q, r = qr(input, "reduced" if some else "complete")
    return _result_type("qr", ("Q", "R"))(q, r)


def _torch_qr_twin(a: Any, some: bool = True) -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.qr's deprecation
        return _torch().qr(a, some)


def_composite(
    "qr",
    _torch_qr,
    method=True,
    samples=lambda rng, dt: [
        Sample((_well_conditioned(rng, (3, 2), dt, (2.5, 1.5)),)),
        Sample((_well_conditioned(rng, (2, 3), dt, (2.5, 1.5)),), {"some": False}),
    ],
    ref=lambda a, some=True: np.linalg.qr(a, mode="reduced" if some else "complete"),
    torch=_torch_qr_twin,
    outputs=("Q", "R"),
    complex=True,
)


# --------------------------------------------------------------------------------------------
# eig, eigvals


def _eig_fwd(xp: Any, a: Any) -> tuple:
    _check_matrix(a, "linalg.eig")
    fn = getattr(xp.linalg, "eig", None)
    if fn is None:
        raise NotImplementedError(
            "op 'linalg.eig' is not available on this backend; hint: move the data to NumPy"
        )
    if not xp.isdtype(a.dtype, "complex floating"):
        a = xp.astype(a, xp.complex128 if a.dtype == xp.float64 else xp.complex64)
    w, v = fn(a)
    return w, v


def _as_input(g: Tensor, a: Any) -> Tensor:
    """A complex gradient for a real input: its real part (PyTorch's handle_r_to_c)."""
    return g if a.dtype.is_complex else g.real


def _eig_vjp(grads: tuple, ans: tuple, a: Any) -> Tensor:
    return _as_input(_eig_backward(grads[0], grads[1], ans[0], ans[1], hermitian=False), a)


def _eig_jvp_rule(tangents: tuple, ans: tuple, a: Any) -> tuple:
    da = tangents[0]
    if not da.is_complex():
        da = da.to(ans[1].dtype)
    return _eig_jvp(da, ans[0], ans[1], hermitian=False)


eig = def_op(
    "linalg.eig",
    forward=_eig_fwd,
    vjp=_eig_vjp,
    jvp=_eig_jvp_rule,
    inputs=("A",),
    save=None,
    stubs=True,
    save_outputs=(0, 1),
    outputs=("eigenvalues", "eigenvectors"),
    result_name="linalg_eig",
    method=False,
    complex=True,
    doc="Eigenvalues and eigenvectors (complex, columns of norm 1) of square matrices. "
    "gA = V^{-H} (diag(gL) + (V^H gV - V^H V Re diag(V^H gV)) / E^*) V^H (distinct "
    "eigenvalues; See Note [Gauge of eigenvectors and singular vectors]). Tested through "
    "linalg._eig_as_real.",
)


def eigvals(A: Tensor, *, out: Any = None) -> Tensor:  # noqa: N803
    """Eigenvalues of square matrices (complex). d/dA = V^{-H} diag(g) V^H."""
    return eig(A).eigenvalues


def_composite("linalg.eigvals", eigvals, torch="linalg.eigvals", complex=True)


def _eig_as_real(A: Tensor) -> tuple:  # noqa: N803
    """eig with gauge-fixed eigenvectors, as real and imaginary parts (real outputs, so the
    template's real checks apply to real inputs): the table's test of linalg.eig."""
    L, V = eig(A)  # noqa: N806
    V = _fix_phase(V)[0]  # noqa: N806
    return L.real, L.imag, V.real, V.imag


def _eig_as_real_ref(a: np.ndarray) -> tuple:
    w, v = np.linalg.eig(a)
    v = _np_fix(v)
    return w.real, w.imag, v.real, v.imag


def _eig_as_real_torch(a: Any) -> tuple:
    w, v = _torch().linalg.eig(a)
    v = _torch_fix(v)
    return w.real, w.imag, v.real, v.imag


def _eig_samples(rng: np.random.Generator, dtype: Any) -> list:
    def s(shape: tuple) -> Sample:
        *batch, n, _ = shape
        out = np.empty(shape)
        for idx in np.ndindex(*batch):
            p = np.eye(n) + 0.3 * rng.standard_normal((n, n))
            d = np.diag(np.asarray([-1.5, 0.5, 2.0][:n]) + rng.uniform(-0.05, 0.05, n))
            out[idx] = p @ d @ np.linalg.inv(p)
        return Sample((out.astype(dtype),))

    return [s((2, 2)), s((3, 3)), s((2, 2, 2))]


def_composite(
    "linalg._eig_as_real",
    _eig_as_real,
    samples=_eig_samples,
    ref=_eig_as_real_ref,
    torch=_eig_as_real_torch,
    complex=True,
    outputs=("re_eigenvalues", "im_eigenvalues", "re_eigenvectors", "im_eigenvectors"),
)

def_composite(
    "linalg._eigvals_as_real",
    lambda A: (lambda w: (w.real, w.imag))(eigvals(A)),  # noqa: N803
    samples=lambda rng, dt: _eig_samples(rng, dt)[1:],
    ref=lambda a: (lambda w: (w.real, w.imag))(np.linalg.eigvals(a)),
    torch=lambda a: (lambda w: (w.real, w.imag))(_torch().linalg.eigvals(a)),
    complex=True,
    outputs=("real", "imag"),
    doc="eigvals as real and imaginary parts (the table's test of linalg.eigvals).",
)


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
