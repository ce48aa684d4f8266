"""Linear algebra, part one, Cholesky (``ndgrad.linalg``): ``linalg.cholesky_ex`` is a record;
``linalg.cholesky``, ``cholesky_solve`` and ``cholesky_inverse`` are composites. Helpers and
samples come from ``linalg_solve``.

# Note [Cholesky reads the Hermitian part]
PyTorch's gradient of ``cholesky`` is the symmetric (Hermitian) matrix ``L^-H Phi L^-1``: the
gradient of the factorization of a Hermitian matrix perturbed symmetrically. It is the exact
gradient of ``A -> cholesky((A + A^H) / 2)``, not of "the lower triangle of A" (which LAPACK
reads). ndgrad factors ``(A + A^H) / 2``: bit for bit PyTorch's input when ``A`` is Hermitian
(every input ``cholesky`` is meant for), and then values, gradients and forward-mode tangents
are PyTorch's; a non-Hermitian ``A`` is factored by its Hermitian part (PyTorch would ignore the
upper triangle).

Complex inputs: PyTorch's rule leaves ``Phi`` an imaginary diagonal, ``i Im(diag(L^H gL)) / 2``,
so its gradient has an anti-Hermitian part ``L^-H (i Im(diag(L^H gL)) / 2) L^-1`` that no
Hermitian perturbation of ``A`` sees (it is the loss's derivative along the phases of L's
columns, which the factorization fixes). ndgrad keeps the Hermitian part only: the exact
gradient of its forward, and PyTorch's ``herm(gA)``. The two agree whenever the loss does not
depend on those phases (``Im(diag(L^H gL)) = 0``), and in every chain that builds ``A`` Hermitian
from parameters (``A = B B^H + I``: the anti-Hermitian part cancels on the way to ``B``). The
table compares with PyTorch's ``cholesky((A + A^H) / 2)``, the function ndgrad computes (its
complex samples are not Hermitian); tests/test_complex_gaps.py compares plain
``torch.linalg.cholesky`` on Hermitian matrices.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._core.tensor import Tensor
from .linalg import matmul, tril
from .linalg_solve import (
    _check_matrix,
    _diag_part,
    _host,
    _info0,
    _mH,
    _need_scipy,
    _raise_info,
    _spd,
    _tri_matrix,
    inv,
    solve,
    solve_triangular,
)
from .registry import (
    Sample,
    def_composite,
    def_op,
)
from .samples import rand

__all__ = ["cholesky", "cholesky_ex", "cholesky_solve", "cholesky_inverse"]


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
    if phi.is_complex():  # the Hermitian part: See Note [Cholesky reads the Hermitian part]
        phi = 0.5 * (phi + _mH(phi))
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


def _torch_cholesky_ex(a: Any, upper: bool = False, check_errors: bool = False) -> Any:
    """PyTorch on the Hermitian part, as ndgrad reads it (bit for bit PyTorch's input for a
    Hermitian ``a``): See Note [Cholesky reads the Hermitian part]."""
    import torch

    return torch.linalg.cholesky_ex((a + a.mH) / 2, upper=upper, check_errors=check_errors)


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
    torch=_torch_cholesky_ex,
    complex=True,
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
    torch=lambda a, upper=False: _torch_cholesky_ex(a, upper).L,
    complex=True,
)


# --------------------------------------------------------------------------------------------
# Composites: cholesky_solve, cholesky_inverse.


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


def _torch_cholesky_inverse(lo: Any, upper: bool = False) -> Any:
    """PyTorch's cholesky_inverse; for a complex L, (L L^H)^-1 by PyTorch's inv: LAPACK's potri
    reads only the real part of L's diagonal (a Cholesky factor's is real, the table's complex
    samples' is not), where PyTorch's gradient, and ndgrad's value, use all of it.
    tests/test_complex_gaps.py compares torch.cholesky_inverse itself on complex factors."""
    import torch

    if not lo.is_complex():
        return torch.cholesky_inverse(lo, upper)
    return torch.linalg.inv(lo.mH @ lo if upper else lo @ lo.mH)


def_composite(
    "cholesky_inverse",
    cholesky_inverse,
    method=True,
    torch=_torch_cholesky_inverse,
    complex=True,
    samples=lambda rng, dt: [
        Sample((_tri_matrix(rng, (3, 3), dt, False),)),
        Sample((_tri_matrix(rng, (2, 2), dt, True), True)),
    ],
    ref=lambda lo, upper=False: np.linalg.inv(
        (np.swapaxes(lo, -1, -2) @ lo) if upper else (lo @ np.swapaxes(lo, -1, -2))
    ),
)
