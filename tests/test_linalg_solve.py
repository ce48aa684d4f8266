"""Hand-written tests of linear algebra part one (ops/linalg_solve.py): errors, broadcasting,
singular matrices, and agreement with PyTorch where the op table's template cannot look."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad
from ndgrad import linalg as LA  # noqa: N812

RNG = np.random.default_rng(0)


def _wellcond(*shape):
    n = shape[-1]
    return RNG.uniform(-1, 1, shape) + (n + 1.0) * np.eye(n)


def _spd(*shape):
    x = RNG.uniform(-1, 1, shape)
    s = x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])
    return 0.5 * (s + np.swapaxes(s, -1, -2))


SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])


# ---------------------------------------------------------------------------------------------
# Errors


def test_linalg_error_is_a_runtime_error_in_the_linalg_namespace():
    assert issubclass(LA.LinAlgError, RuntimeError)
    assert LA.LinAlgError.__module__ == "ndgrad.linalg"


def test_inv_of_a_singular_matrix_raises_linalg_error_with_pytorch_message():
    with pytest.raises(LA.LinAlgError, match=r"^linalg.inv: The diagonal element 2 is zero, the "):
        LA.inv(ndgrad.tensor(SINGULAR))
    with pytest.raises(LA.LinAlgError, match=r"linalg.inv: \(Batch element 1\): The diagonal"):
        LA.inv(ndgrad.tensor(np.stack([np.eye(2), SINGULAR])))
    with pytest.raises(LA.LinAlgError, match=r"^linalg.inv_ex: The diagonal element 2"):
        LA.inv_ex(ndgrad.tensor(SINGULAR), check_errors=True)


def test_inv_ex_reports_info_and_infinite_values_for_a_singular_matrix():
    res = LA.inv_ex(ndgrad.tensor(SINGULAR))
    assert res.info.item() == 2
    assert res.info.dtype is ndgrad.int32
    assert not np.isfinite(res.inverse.numpy()).all()
    assert LA.inv_ex(ndgrad.eye(2, dtype=ndgrad.float64)).info.item() == 0


def test_solve_of_a_singular_matrix_raises_and_solve_ex_reports_info():
    with pytest.raises(LA.LinAlgError, match=r"^torch.linalg.solve: The solver failed because"):
        LA.solve(ndgrad.tensor(SINGULAR), ndgrad.ones(2, dtype=ndgrad.float64))
    res = LA.solve_ex(ndgrad.tensor(SINGULAR), ndgrad.ones(2, dtype=ndgrad.float64))
    assert res.info.item() == 2


def test_cholesky_of_a_matrix_that_is_not_positive_definite_names_the_leading_minor():
    a = np.array([[1.0, 2.0], [2.0, 1.0]])
    msg = (
        r"^linalg.cholesky: The factorization could not be completed because the input is not "
        r"positive-definite \(the leading minor of order 2 is not positive-definite\)."
    )
    with pytest.raises(LA.LinAlgError, match=msg):
        LA.cholesky(ndgrad.tensor(a))
    with pytest.raises(LA.LinAlgError, match=r"\(Batch element 1\): .* order 1 is not"):
        LA.cholesky(ndgrad.tensor(np.stack([np.eye(2), -np.eye(2)])))


def test_cholesky_ex_returns_lapacks_partial_factor_and_info_as_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 2.0], [2.0, 1.0]])
    ours = LA.cholesky_ex(ndgrad.tensor(a))
    theirs = torch.linalg.cholesky_ex(torch.from_numpy(a))
    assert ours.info.item() == theirs.info.item() == 2
    np.testing.assert_array_equal(ours.L.numpy(), theirs.L.numpy())


@pytest.mark.parametrize(
    ("fn", "name"),
    [
        (LA.inv, "linalg.inv"),
        (LA.det, "linalg.det"),
        (LA.slogdet, "linalg.slogdet"),
        (LA.cholesky, "linalg.cholesky"),
        (LA.matrix_exp, "linalg.matrix_exp"),
        (lambda a: LA.matrix_power(a, 2), "linalg.matrix_power"),
    ],
)
def test_non_square_inputs_raise_pytorchs_message(fn, name):
    with pytest.raises(
        RuntimeError, match=f"^{name}: A must be batches of square matrices, but they are 2 by 3"
    ):
        fn(ndgrad.ones(2, 3))


def test_vectors_integers_and_half_precision_are_refused_as_in_pytorch():
    with pytest.raises(RuntimeError, match=r"^linalg.det: The input tensor A must have at least 2"):
        LA.det(ndgrad.ones(3))
    with pytest.raises(RuntimeError, match=r"Expected a floating point or complex tensor as input"):
        LA.inv(ndgrad.ones(2, 2, dtype=ndgrad.int64))
    with pytest.raises(RuntimeError, match=r"Low precision dtypes not supported. Got Half"):
        LA.inv(ndgrad.ones(2, 2, dtype=ndgrad.float16))


def test_solve_checks_shapes_and_dtypes_as_pytorch():
    with pytest.raises(RuntimeError, match=r"for the equation AX = B \(2x2 and 3x1\)"):
        LA.solve(ndgrad.eye(2), ndgrad.ones(3))
    with pytest.raises(RuntimeError, match=r"for the equation XA = B \(2x2 and 2x1\)"):
        LA.solve(ndgrad.eye(2), ndgrad.ones(2), left=False)
    with pytest.raises(RuntimeError, match=r"found A of type Float and B of type Double"):
        LA.solve(ndgrad.eye(2), ndgrad.ones(2, dtype=ndgrad.float64))


def test_solve_triangular_needs_upper_and_a_matrix_right_hand_side():
    a = ndgrad.eye(2, dtype=ndgrad.float64)
    with pytest.raises(TypeError, match="upper"):
        LA.solve_triangular(a, a)
    with pytest.raises(RuntimeError, match=r"The input tensor B must have at least 2 dimensions"):
        LA.solve_triangular(a, ndgrad.ones(2, dtype=ndgrad.float64), upper=True)


def test_lu_factor_of_a_singular_matrix_raises_but_lu_factor_ex_reports():
    a = ndgrad.tensor(np.triu(np.ones((2, 2)), 1))
    with pytest.raises(RuntimeError, match=r"^torch.linalg.lu_factor: U\[1,1\] is zero"):
        LA.lu_factor(a)
    assert LA.lu_factor_ex(a).info.item() == 1
    with pytest.raises(RuntimeError, match="LU without pivoting is not implemented on the CPU"):
        LA.lu(a, pivot=False)


def test_lstsq_of_a_rank_deficient_matrix_raises_naming_the_alternative():
    with pytest.raises(NotImplementedError, match="pinv"):
        LA.lstsq(ndgrad.ones(3, 2, dtype=ndgrad.float64), ndgrad.ones(3, 1, dtype=ndgrad.float64))


# ---------------------------------------------------------------------------------------------
# Agreement with PyTorch


def test_solve_broadcasts_batches_and_reads_vectors_by_pytorchs_rule():
    torch = pytest.importorskip("torch")
    cases = [
        (_wellcond(2, 1, 3, 3), RNG.standard_normal((4, 3, 2))),  # batch (2, 1) x (4,)
        (_wellcond(2, 3, 3), RNG.standard_normal((2, 3))),  # a batch of vectors
        (_wellcond(2, 3, 3), RNG.standard_normal(3)),  # one vector for every matrix
        (_wellcond(3, 3), RNG.standard_normal((2, 3, 3))),  # matrices, A broadcast
    ]
    for a, b in cases:
        ta = torch.from_numpy(a).requires_grad_(True)
        tb = torch.from_numpy(b).requires_grad_(True)
        na = ndgrad.tensor(a, requires_grad=True)
        nb = ndgrad.tensor(b, requires_grad=True)
        tx, nx = torch.linalg.solve(ta, tb), LA.solve(na, nb)
        assert tuple(nx.shape) == tuple(tx.shape)
        np.testing.assert_allclose(nx.detach().numpy(), tx.detach().numpy(), rtol=1e-12)
        v = RNG.standard_normal(tuple(tx.shape))
        tx.backward(torch.from_numpy(v))
        nx.backward(ndgrad.tensor(v))
        np.testing.assert_allclose(na.grad.numpy(), ta.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(nb.grad.numpy(), tb.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_grad_fn_names_are_pytorchs():
    torch = pytest.importorskip("torch")
    a, s = _wellcond(3, 3), _spd(3, 3)
    b = RNG.standard_normal((3, 2))
    cases = [
        lambda m: m.linalg.inv(m.tensor(a, requires_grad=True)),
        lambda m: m.inverse(m.tensor(a, requires_grad=True)),
        lambda m: m.det(m.tensor(a, requires_grad=True)),
        lambda m: m.linalg.slogdet(m.tensor(a, requires_grad=True)).logabsdet,
        lambda m: m.linalg.solve(m.tensor(a, requires_grad=True), m.tensor(b)),
        lambda m: m.linalg.cholesky(m.tensor(s, requires_grad=True)),
        lambda m: m.linalg.lu_factor(m.tensor(a, requires_grad=True)).LU,
        lambda m: m.linalg.lu(m.tensor(a, requires_grad=True)).U,
        lambda m: m.matrix_exp(m.tensor(a, requires_grad=True)),
        lambda m: m.linalg.solve_triangular(
            m.tensor(np.triu(a), requires_grad=True), m.tensor(b), upper=True
        ),
    ]
    for make in cases:
        assert make(ndgrad).grad_fn.name() == make(torch).grad_fn.name()


def test_det_of_a_singular_matrix_has_the_cofactors_as_gradient():
    # PyTorch's first-order backward gives zeros here (its LU shortcut multiplies by det = 0);
    # with create_graph=True it takes an SVD path and gives the cofactors, the true gradient.
    # ndgrad gives the cofactors in both cases.
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    x = ndgrad.tensor(a, requires_grad=True)
    (g,) = ndgrad.autograd.grad(LA.det(x), x)
    cof = np.array([[-3.0, 6.0, -3.0], [6.0, -12.0, 6.0], [-3.0, 6.0, -3.0]])
    np.testing.assert_allclose(g.numpy(), cof, atol=1e-12)
    t = torch.from_numpy(a).requires_grad_(True)
    (tg,) = torch.autograd.grad(torch.linalg.det(t), t, create_graph=True)
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), atol=1e-10)
    (t0,) = torch.autograd.grad(torch.linalg.det(t), t)
    assert not t0.abs().sum().item()  # the PyTorch behaviour documented above


def test_det_gradient_mixes_singular_and_regular_batch_elements():
    a = np.stack([SINGULAR, _wellcond(2, 2)])
    x = ndgrad.tensor(a, requires_grad=True)
    (g,) = ndgrad.autograd.grad(LA.det(x).sum(), x)
    cof0 = np.array([[4.0, -2.0], [-2.0, 1.0]])
    np.testing.assert_allclose(g.numpy()[0], cof0, atol=1e-12)
    np.testing.assert_allclose(
        g.numpy()[1], np.linalg.det(a[1]) * np.linalg.inv(a[1]).T, rtol=1e-12
    )


def test_det_second_order_equals_pytorch():
    torch = pytest.importorskip("torch")
    a, w = _wellcond(3, 3), RNG.standard_normal((3, 3))
    x = ndgrad.tensor(a, requires_grad=True)
    (g,) = ndgrad.autograd.grad(LA.det(x), x, create_graph=True)
    (h,) = ndgrad.autograd.grad((g * ndgrad.tensor(w)).sum(), x)
    t = torch.from_numpy(a).requires_grad_(True)
    (tg,) = torch.autograd.grad(torch.linalg.det(t), t, create_graph=True)
    (th,) = torch.autograd.grad((tg * torch.from_numpy(w)).sum(), t)
    np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-9, atol=1e-12)


def test_cholesky_gradient_is_pytorchs_symmetric_one():
    torch = pytest.importorskip("torch")
    s, v = _spd(3, 3), RNG.standard_normal((3, 3))
    x = ndgrad.tensor(s, requires_grad=True)
    LA.cholesky(x).backward(ndgrad.tensor(v))
    t = torch.from_numpy(s).requires_grad_(True)
    torch.linalg.cholesky(t).backward(torch.from_numpy(v))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), x.grad.numpy().T, rtol=1e-12)


def test_lu_reconstructs_the_input_and_unpack_matches_pytorch_for_rectangles():
    torch = pytest.importorskip("torch")
    for shape in ((3, 3), (2, 4, 3), (3, 5)):
        a = RNG.standard_normal(shape)
        p, lo, up = LA.lu(ndgrad.tensor(a))
        np.testing.assert_allclose((p @ lo @ up).numpy(), a, rtol=1e-12, atol=1e-12)
        f = LA.lu_factor(ndgrad.tensor(a))
        tf = torch.linalg.lu_factor(torch.from_numpy(a))
        np.testing.assert_array_equal(f.pivots.numpy(), tf.pivots.numpy())
        assert f.pivots.dtype is ndgrad.int32
        for o, t in zip(ndgrad.lu_unpack(*f), torch.lu_unpack(*tf)):
            np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-12, atol=1e-14)


def test_lstsq_returns_what_pytorchs_gelsy_driver_returns():
    torch = pytest.importorskip("torch")
    a, b = RNG.standard_normal((4, 2)), RNG.standard_normal((4, 3))
    ours = LA.lstsq(ndgrad.tensor(a), ndgrad.tensor(b))
    theirs = torch.linalg.lstsq(torch.from_numpy(a), torch.from_numpy(b))
    np.testing.assert_allclose(ours.solution.numpy(), theirs.solution.numpy(), rtol=1e-10)
    assert tuple(ours.residuals.shape) == tuple(theirs.residuals.shape) == (0,)
    assert tuple(ours.singular_values.shape) == (0,)
    assert ours.rank.item() == theirs.rank.item() == 2
    assert ours.rank.dtype is ndgrad.int64


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_top_level_functions_and_methods_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    a, s, b = _wellcond(3, 3), _spd(3, 3), RNG.standard_normal((3, 2))
    lo = np.linalg.cholesky(s)
    f = torch.linalg.lu_factor(torch.from_numpy(a))
    # torch.triangular_solve and torch.lu_solve warn that they are deprecated (filtered)
    tri = torch.triangular_solve(torch.from_numpy(b), torch.from_numpy(np.triu(a)))
    pairs = [
        (ndgrad.tensor(a).det(), torch.from_numpy(a).det()),
        (ndgrad.tensor(s).logdet(), torch.from_numpy(s).logdet()),
        (ndgrad.tensor(a).inverse(), torch.from_numpy(a).inverse()),
        (ndgrad.tensor(a).matrix_power(-2), torch.from_numpy(a).matrix_power(-2)),
        (ndgrad.tensor(a / 4).matrix_exp(), torch.from_numpy(a / 4).matrix_exp()),
        (
            ndgrad.tensor(b).cholesky_solve(ndgrad.tensor(lo)),
            torch.from_numpy(b).cholesky_solve(torch.from_numpy(lo)),
        ),
        (ndgrad.tensor(lo).cholesky_inverse(), torch.from_numpy(lo).cholesky_inverse()),
        (
            ndgrad.tensor(b).lu_solve(ndgrad.tensor(f.LU.numpy()), ndgrad.tensor(f.pivots.numpy())),
            torch.from_numpy(b).lu_solve(*f),
        ),
        (ndgrad.triangular_solve(ndgrad.tensor(b), ndgrad.tensor(np.triu(a)))[0], tri[0]),
        (ndgrad.tensor(a).slogdet()[1], torch.from_numpy(a).slogdet()[1]),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_logdet_is_nan_for_a_negative_determinant_and_minus_inf_when_singular():
    assert np.isnan(ndgrad.logdet(ndgrad.tensor(-np.eye(3))).item())
    assert ndgrad.logdet(ndgrad.tensor(SINGULAR)).item() == -np.inf


def test_matrix_power_zero_is_the_identity_with_a_zero_gradient():
    x = ndgrad.tensor(_wellcond(2, 3, 3), requires_grad=True)
    y = LA.matrix_power(x, 0)
    np.testing.assert_array_equal(y.detach().numpy(), np.broadcast_to(np.eye(3), (2, 3, 3)))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3, 3)))


def test_inv_writes_into_out_as_pytorch():
    out = ndgrad.empty(2, 2, dtype=ndgrad.float64)
    a = _wellcond(2, 2)
    LA.inv(ndgrad.tensor(a), out=out)
    np.testing.assert_allclose(out.numpy(), np.linalg.inv(a), rtol=1e-12)
