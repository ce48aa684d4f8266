"""Linear algebra, part two: eigenvalues and eigenvectors, QR (``ndgrad.linalg``).

The decompositions are records with PyTorch's backward formulas (``linalg_eig_backward``,
``svd_backward``, ``linalg_qr_backward`` in PyTorch's FunctionsManual), written in ndgrad ops, so
second order comes with them; the rest (``svdvals``, ``eigvalsh``, ``pinv``, ``matrix_norm``,
``cond``, ``multi_dot``...) are composites of those. This module holds eigh, eig, qr and the
small helpers (batched diagonal, embedding, solve) the rules share; ``linalg_svd.py`` holds svd,
svdvals and pinv, ``linalg_norms.py`` the norms, cond, matrix_rank and the products (cross,
vecdot, multi_dot, vander, diagonal, cdist).

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

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._core.tensor import Tensor
from .elementwise import _cj
from .join import cat
from .linalg import _swap_last2, matmul, tril
from .linalg_solve import _check_matrix
from .registry import Sample, def_composite, def_op

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
