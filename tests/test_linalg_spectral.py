"""Hand tests of ndgrad/ops/linalg_spectral.py: what the op-table template cannot see.

PyTorch's error classes and messages, the gauge of eigen- and singular vectors (See Note [Gauge of
eigenvectors and singular vectors]), subgradients at zero distance and zero norm, the
non-differentiable rank, torch.svd / torch.qr / torch.cross forms, batched shapes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(2024)


def _sym(n, batch=(), vals=None, complex_=False):
    out = np.empty((*batch, n, n), dtype=np.complex128 if complex_ else np.float64)
    for idx in np.ndindex(*batch):
        a = RNG.standard_normal((n, n)) + (1j * RNG.standard_normal((n, n)) if complex_ else 0)
        q, _ = np.linalg.qr(a)
        d = np.asarray(vals if vals is not None else np.arange(n) * 1.3 - 1.0)
        out[idx] = (q * d) @ np.conj(q.T)
    return out


def _pair(a, requires_grad=True):
    return (
        ndgrad.tensor(a.copy(), requires_grad=requires_grad),
        torch.tensor(a.copy(), requires_grad=requires_grad),
    )


def _same_error(fn_nd, fn_t, cls=RuntimeError):
    with pytest.raises(cls) as theirs:
        fn_t()
    with pytest.raises(cls) as ours:
        fn_nd()
    assert str(ours.value).startswith(str(theirs.value).split("\n")[0]), (ours.value, theirs.value)


def _close(ours, theirs, rtol=1e-9, atol=1e-12):
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().resolve_conj().numpy(), rtol=rtol, atol=atol
    )


# --------------------------------------------------------------------------------------------
# Errors: PyTorch's classes and messages first


@pytest.mark.parametrize(
    "call",
    [
        lambda la, x: la.eigh(x.zeros(3, 2)),
        lambda la, x: la.eigh(x.zeros(3)),
        lambda la, x: la.eigh(x.zeros(3, 3), UPLO="X"),
        lambda la, x: la.svd(x.zeros(3)),
        lambda la, x: la.eig(x.zeros(2, 3)),
        lambda la, x: la.qr(x.zeros(3, 2), mode="x"),
        lambda la, x: la.cross(x.zeros(2, 3), x.zeros(2, 4)),
        lambda la, x: la.multi_dot([x.zeros(2, 3)]),
        lambda la, x: la.multi_dot([x.zeros(2, 3), x.zeros(2, 3, 3), x.zeros(3)]),
        lambda la, x: la.multi_dot([x.zeros(2, 3, 3), x.zeros(3)]),
        lambda la, x: la.matrix_norm(x.zeros(3)),
        lambda la, x: la.matrix_norm(x.zeros(3, 3), 3),
        lambda la, x: la.norm(x.zeros(2, 2, 2), 2),
        lambda la, x: la.vander(x.zeros(3), N=1),
        lambda la, x: x.cdist(x.zeros(2, 3), x.zeros(2, 4)),
        lambda la, x: x.cdist(x.zeros(2, 3), x.zeros(2, 3), p=-1),
    ],
)
def test_errors_match_pytorch(call):
    _same_error(lambda: call(ndgrad.linalg, ndgrad), lambda: call(torch.linalg, torch))


def test_vector_norm_refuses_a_string_order_with_a_type_error():
    _same_error(
        lambda: ndgrad.linalg.vector_norm(ndgrad.ones(3), "fro"),
        lambda: torch.linalg.vector_norm(torch.ones(3), "fro"),
        TypeError,
    )


def test_cdist_refuses_an_unknown_compute_mode_with_a_value_error():
    _same_error(
        lambda: ndgrad.cdist(ndgrad.ones(2, 3), ndgrad.ones(2, 3), compute_mode="x"),
        lambda: torch.cdist(torch.ones(2, 3), torch.ones(2, 3), compute_mode="x"),
        ValueError,
    )


@pytest.mark.parametrize(("mode", "shape"), [("r", (3, 2)), ("complete", (3, 2))])
def test_qr_backward_refuses_the_modes_pytorch_refuses(mode, shape):
    a = RNG.standard_normal(shape)
    x, t = _pair(a)

    def ours():
        ndgrad.linalg.qr(x, mode=mode).R.sum().backward()

    def theirs():
        torch.linalg.qr(t, mode=mode).R.sum().backward()

    _same_error(ours, theirs)


# --------------------------------------------------------------------------------------------
# Gauge: losses that depend on the phase raise (complex); gauge-invariant ones match PyTorch


def test_complex_eigh_loss_depending_on_the_phase_raises_as_pytorch():
    x, t = _pair(_sym(3, complex_=True))

    def ours():
        (ndgrad.linalg.eigh(x).eigenvectors.imag.sum() * 10).backward()

    def theirs():
        (torch.linalg.eigh(t).eigenvectors.imag.sum() * 10).backward()

    _same_error(ours, theirs)


def test_complex_svd_loss_depending_on_the_phase_raises_as_pytorch():
    a = RNG.standard_normal((3, 2)) + 1j * RNG.standard_normal((3, 2))
    x, t = _pair(a)

    def ours():
        (ndgrad.linalg.svd(x, full_matrices=False).U.imag.sum() * 10).backward()

    def theirs():
        (torch.linalg.svd(t, full_matrices=False).U.imag.sum() * 10).backward()

    _same_error(ours, theirs)


@pytest.mark.parametrize("complex_", [False, True])
def test_eigh_projector_loss_is_gauge_invariant_and_matches_pytorch(complex_):
    a = _sym(3, batch=(2,), complex_=complex_)
    x, t = _pair(a)
    w = RNG.standard_normal((3, 3))
    outs = []
    for lib, m in ((ndgrad, x), (torch, t)):
        L, V = lib.linalg.eigh(m)  # noqa: N806
        proj = (V * lib.exp(L).unsqueeze(-2)) @ V.mT.conj()  # V diag(exp L) V^H: a matrix function
        (proj.real * lib.tensor(w)).sum().backward()
        outs.append(m.grad)
    _close(*outs)


def test_eigh_gradient_is_hermitian_as_pytorch():
    x, t = _pair(_sym(3))
    ndgrad.linalg.eigh(x).eigenvalues.pow(3).sum().backward()
    torch.linalg.eigh(t).eigenvalues.pow(3).sum().backward()
    _close(x.grad, t.grad)
    np.testing.assert_allclose(x.grad.numpy(), x.grad.numpy().T, atol=1e-12)


def test_eigvalsh_gradient_is_finite_at_repeated_eigenvalues():
    x, t = _pair(np.eye(3))
    ndgrad.linalg.eigvalsh(x).pow(2).sum().backward()
    torch.linalg.eigvalsh(t).pow(2).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    _close(x.grad, t.grad)


@pytest.mark.parametrize("shape", [(3, 2), (2, 3), (2, 4, 2)])
def test_svd_full_matrices_gradient_uses_the_first_min_m_n_vectors_as_pytorch(shape):
    x, t = _pair(RNG.standard_normal(shape))
    k = min(shape[-2:])
    outs = []
    for lib, m in ((ndgrad, x), (torch, t)):
        U, S, Vh = lib.linalg.svd(m, full_matrices=True)  # noqa: N806
        assert U.shape[-1] == shape[-2]
        assert Vh.shape[-2] == shape[-1]
        polar = U[..., :k] @ Vh[..., :k, :]  # gauge invariant
        (polar.sum() + S.sum()).backward()
        outs.append(m.grad)
    _close(*outs)


def test_complex_svd_gauge_invariant_loss_matches_pytorch():
    a = RNG.standard_normal((2, 3, 2)) + 1j * RNG.standard_normal((2, 3, 2))
    x, t = _pair(a)
    outs = []
    for lib, m in ((ndgrad, x), (torch, t)):
        U, S, Vh = lib.linalg.svd(m, full_matrices=False)  # noqa: N806
        ((U * S.unsqueeze(-2).sqrt()) @ Vh).abs().sum().backward()
        outs.append(m.grad)
    _close(*outs)


def test_pinv_hermitian_gradient_matches_pytorch():
    x, t = _pair(_sym(3, vals=(-2.0, 0.7, 1.5)))
    w = RNG.standard_normal((3, 3))
    ndgrad.linalg.pinv(x, hermitian=True).mul(ndgrad.tensor(w)).sum().backward()
    torch.linalg.pinv(t, hermitian=True).mul(torch.tensor(w)).sum().backward()
    _close(x.grad, t.grad)


def test_pinv_with_a_cut_singular_value_has_pytorchs_constant_rank_gradient():
    u, _ = np.linalg.qr(RNG.standard_normal((3, 3)))
    a = (u * np.array([2.0, 1.0, 0.05])) @ u.T
    x, t = _pair(a)
    w = RNG.standard_normal((3, 3))
    y, ty = ndgrad.linalg.pinv(x, atol=0.1), torch.linalg.pinv(t, atol=0.1)
    _close(y, ty)
    (y * ndgrad.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    _close(x.grad, t.grad)


# --------------------------------------------------------------------------------------------
# Subgradients: cdist at coincident points, vector_norm at zero (PyTorch's 0, never NaN)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf"), 0.5])
def test_cdist_gradient_is_zero_at_coincident_points_never_nan(p):
    a = RNG.standard_normal((3, 2))
    b = np.concatenate([a[:1], RNG.standard_normal((1, 2))])  # row 0 of both coincide
    x1, t1 = _pair(a)
    x2, t2 = _pair(b)
    y = ndgrad.cdist(x1, x2, p=p)
    ty = torch.cdist(t1, t2, p=p)
    _close(y, ty, rtol=1e-7)
    assert float(y[0, 0]) == 0.0
    y.sum().backward()
    ty.sum().backward()
    assert np.isfinite(x1.grad.numpy()).all()
    assert np.isfinite(x2.grad.numpy()).all()
    _close(x1.grad, t1.grad, rtol=1e-7)
    _close(x2.grad, t2.grad, rtol=1e-7)


def test_cdist_second_derivative_at_coincident_points_is_finite():
    a = RNG.standard_normal((2, 3))
    x1 = ndgrad.tensor(a, requires_grad=True)
    x2 = ndgrad.tensor(a.copy())
    (g,) = ndgrad.autograd.grad(ndgrad.cdist(x1, x2).sum(), [x1], create_graph=True)
    (h,) = ndgrad.autograd.grad(g.sum(), [x1])
    assert np.isfinite(h.numpy()).all()


@pytest.mark.parametrize("ord", [2, 1, 3, float("inf"), 0.5])
def test_vector_norm_gradient_at_zero_is_zero_as_pytorch(ord):
    x, t = _pair(np.zeros((2, 3)))
    ndgrad.linalg.vector_norm(x, ord, dim=1).sum().backward()
    torch.linalg.vector_norm(t, ord, dim=1).sum().backward()
    _close(x.grad, t.grad)
    assert not x.grad.numpy().any()


# --------------------------------------------------------------------------------------------
# Values against PyTorch: rank, cond, the top-level forms, batched shapes


@pytest.mark.parametrize(
    "kwargs", [{}, {"atol": 0.5}, {"rtol": 0.3}, {"hermitian": True}, {"atol": 0.1, "rtol": 0.2}]
)
def test_matrix_rank_equals_pytorch(kwargs):
    a = _sym(4, batch=(2,), vals=(0.0, 0.2, 1.0, -2.0))
    r = ndgrad.linalg.matrix_rank(ndgrad.tensor(a), **kwargs)
    tr = torch.linalg.matrix_rank(torch.tensor(a), **kwargs)
    assert r.dtype is ndgrad.int64
    np.testing.assert_array_equal(r.numpy(), tr.numpy())
    assert not r.requires_grad


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, float("inf"), float("-inf")])
def test_cond_equals_pytorch(p):
    a = RNG.standard_normal((2, 3, 3))
    _close(ndgrad.linalg.cond(ndgrad.tensor(a), p), torch.linalg.cond(torch.tensor(a), p), 1e-9)


def test_cond_of_a_rectangular_matrix_uses_singular_values():
    a = RNG.standard_normal((3, 2))
    _close(ndgrad.linalg.cond(ndgrad.tensor(a)), torch.linalg.cond(torch.tensor(a)))


@pytest.mark.parametrize("some", [True, False])
@pytest.mark.parametrize("shape", [(3, 2), (2, 2, 3)])
def test_torch_svd_returns_u_s_v_shapes_as_pytorch(some, shape):
    a = RNG.standard_normal(shape)
    ours = ndgrad.svd(ndgrad.tensor(a), some=some)
    theirs = torch.svd(torch.tensor(a), some=some)
    for o, t in zip(ours, theirs):
        assert tuple(o.shape) == tuple(t.shape)
    k = min(shape[-2:])
    recon = (ours.U[..., :k] * ours.S.unsqueeze(-2)) @ ours.V[..., :k].mT
    np.testing.assert_allclose(recon.numpy(), a, atol=1e-12)
    _close(ours.S, theirs.S)
    none = ndgrad.svd(ndgrad.tensor(a), some=some, compute_uv=False)
    tnone = torch.svd(torch.tensor(a), some=some, compute_uv=False)
    assert tuple(none.U.shape) == tuple(tnone.U.shape)
    assert not none.U.numpy().any()


@pytest.mark.parametrize("some", [True, False])
def test_torch_qr_some_picks_the_mode_as_pytorch(some):
    a = RNG.standard_normal((4, 2))
    with pytest.warns(UserWarning, match="torch.qr is deprecated"):
        ours = ndgrad.qr(ndgrad.tensor(a), some=some)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.qr(torch.tensor(a), some=some)
    for o, t in zip(ours, theirs):
        _close(o, t)


def test_qr_mode_r_returns_an_empty_q_as_pytorch():
    q, r = ndgrad.linalg.qr(ndgrad.tensor(RNG.standard_normal((3, 2))), mode="r")
    assert tuple(q.shape) == (0,)
    assert tuple(r.shape) == (2, 2)


def test_batched_decompositions_have_pytorchs_shapes():
    a = RNG.standard_normal((2, 3, 4, 2))
    for fm in (True, False):
        ours = ndgrad.linalg.svd(ndgrad.tensor(a), full_matrices=fm)
        theirs = torch.linalg.svd(torch.tensor(a), full_matrices=fm)
        assert [tuple(o.shape) for o in ours] == [tuple(t.shape) for t in theirs]
    s = _sym(3, batch=(2, 2))
    L, V = ndgrad.linalg.eigh(ndgrad.tensor(s))  # noqa: N806
    assert tuple(L.shape) == (2, 2, 3)
    assert tuple(V.shape) == (2, 2, 3, 3)
    q, r = ndgrad.linalg.qr(ndgrad.tensor(a), mode="complete")
    assert tuple(q.shape) == (2, 3, 4, 4)
    assert tuple(r.shape) == (2, 3, 4, 2)


def test_eig_of_a_real_matrix_is_complex_and_its_gradient_real_as_pytorch():
    a = RNG.standard_normal((3, 3))
    x, t = _pair(a)
    w, tw = ndgrad.linalg.eigvals(x), torch.linalg.eigvals(t)
    assert w.dtype is ndgrad.complex128
    _close(w, tw)
    w.abs().sum().backward()
    tw.abs().sum().backward()
    assert x.grad.dtype is ndgrad.float64
    _close(x.grad, t.grad)


def test_torch_cross_without_dim_warns_and_takes_the_first_dimension_of_size_3():
    a, b = RNG.standard_normal((3, 3)), RNG.standard_normal((3, 3))
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        ours = ndgrad.cross(ndgrad.tensor(a), ndgrad.tensor(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.cross(torch.tensor(a), torch.tensor(b))
    _close(ours, theirs)


def test_chain_matmul_and_pinverse_equal_pytorch():
    ms = [RNG.standard_normal(s) for s in ((2, 3), (3, 4), (4, 2))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.chain_matmul(*[torch.tensor(m) for m in ms])
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        ours = ndgrad.chain_matmul(*[ndgrad.tensor(m) for m in ms])
    _close(ours, theirs)
    a = RNG.standard_normal((3, 2))
    _close(ndgrad.pinverse(ndgrad.tensor(a)), torch.pinverse(torch.tensor(a)))
    _close(ndgrad.tensor(a).pinverse(), torch.tensor(a).pinverse())


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda la, a: la.eigh(a).eigenvalues, "LinalgEighBackward0"),
        (lambda la, a: la.eigvalsh(a), "LinalgEighBackward0"),
        (lambda la, a: la.svd(a).S, "LinalgSvdBackward0"),
        (lambda la, a: la.svdvals(a), "LinalgSvdBackward0"),
        (lambda la, a: la.qr(a).Q, "LinalgQrBackward0"),
        (lambda la, a: la.eig(a).eigenvalues, "LinalgEigBackward0"),
        (lambda la, a: la.pinv(a), "LinalgPinvBackward0"),
        (lambda la, a: la.vector_norm(a), "LinalgVectorNormBackward0"),
        (lambda la, a: la.matrix_norm(a), "LinalgVectorNormBackward0"),
        (lambda la, a: la.cross(a, a), "LinalgCrossBackward0"),
    ],
)
def test_nodes_have_pytorchs_names(make, name):
    a = ndgrad.tensor(_sym(3), requires_grad=True)
    assert make(ndgrad.linalg, a).grad_fn.name() == name
    t = torch.tensor(_sym(3), requires_grad=True)
    assert make(torch.linalg, t).grad_fn.name() == name


def test_return_types_name_their_fields():
    res = ndgrad.linalg.eigh(ndgrad.tensor(_sym(2)))
    assert type(res).__name__ == "linalg_eigh"
    assert res.eigenvalues is res[0]
    assert type(ndgrad.linalg.svd(ndgrad.ones(2, 2))).__name__ == "linalg_svd"
    assert type(ndgrad.linalg.qr(ndgrad.ones(2, 2))).__name__ == "linalg_qr"
