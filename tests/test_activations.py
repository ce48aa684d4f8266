"""Hand tests of nn.functional's activations: what the op-table template cannot see (numerical
care at +-1000, in-place semantics, PyTorch's grad_fn names and errors, randomness)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad
import ndgrad.nn.functional as F  # noqa: N812 - PyTorch's habit

torch = pytest.importorskip("torch")
TF = torch.nn.functional

X = np.array([-2.5, -1.0, -0.3, 0.4, 1.2, 3.5])


def both(x=X, requires_grad=True):
    return ndgrad.tensor(x, requires_grad=requires_grad), torch.tensor(x, requires_grad=True)


def check_against_torch(ours, theirs, x=X):
    a, b = both(x)
    out, tout = ours(a), theirs(b)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    v = np.linspace(-1.0, 1.0, out.numel()).reshape(tuple(out.shape))
    out.backward(ndgrad.tensor(v))
    tout.backward(torch.tensor(v))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize(
    "name", ["softplus", "logsigmoid", "silu", "mish", "gelu", "elu", "selu", "celu", "tanhshrink"]
)
def test_activations_are_finite_with_finite_gradients_at_plus_minus_1000(name):
    big = np.array([-1000.0, -50.0, 50.0, 1000.0])
    check_against_torch(getattr(F, name), getattr(TF, name), big)
    a, _ = both(big)
    y = getattr(F, name)(a)
    y.sum().backward()
    assert np.isfinite(y.detach().numpy()).all()
    assert np.isfinite(a.grad.numpy()).all()


def test_softplus_reverts_to_the_identity_above_the_threshold_as_pytorch():
    x = np.array([-3.0, 1.0, 4.0, 25.0])
    check_against_torch(
        lambda t: F.softplus(t, beta=2.0, threshold=5.0),
        lambda t: TF.softplus(t, beta=2.0, threshold=5.0),
        x,
    )


def test_gelu_exact_uses_erf_and_tanh_is_the_approximation():
    check_against_torch(F.gelu, TF.gelu)
    check_against_torch(
        lambda t: F.gelu(t, approximate="tanh"), lambda t: TF.gelu(t, approximate="tanh")
    )
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(ndgrad.ones(2), approximate="fast")


CASES = {
    "relu6": ((), {}),
    "elu": ((0.7,), {}),
    "selu": ((), {}),
    "celu": ((1.5,), {}),
    "hardtanh": ((-0.5, 2.0), {}),
    "hardsigmoid": ((), {}),
    "hardswish": ((), {}),
    "leaky_relu": ((0.2,), {}),
    "silu": ((), {}),
    "mish": ((), {}),
    "threshold": ((0.1, -3.0), {}),
    "rrelu": ((0.1, 0.3), {}),
    "relu": ((), {}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_inplace_writes_into_the_input_bumps_its_version_and_matches_pytorch(name):
    args, kw = CASES[name]
    a, b = both()
    y, ty = a * 1.0, b * 1.0
    v0 = y._version
    out = getattr(F, name)(y, *args, inplace=True, **kw)
    tout = getattr(TF, name)(ty, *args, inplace=True, **kw)
    assert out is y
    assert y._version > v0
    assert out.grad_fn.name() == tout.grad_fn.name()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_out_of_place_form_leaves_the_input_alone_and_names_the_node_as_pytorch(name):
    args, kw = CASES[name]
    a, b = both()
    out = getattr(F, name)(a, *args, **kw)
    tout = getattr(TF, name)(b, *args, **kw)
    assert out is not a
    np.testing.assert_array_equal(a.detach().numpy(), X)
    assert out.grad_fn.name() == tout.grad_fn.name()


@pytest.mark.parametrize(
    "name", ["elu_", "selu_", "celu_", "leaky_relu_", "hardtanh_", "relu_", "rrelu_"]
)
def test_underscore_functions_are_inplace_with_pytorchs_node_names(name):
    a, b = both()
    y, ty = a * 1.0, b * 1.0
    out, tout = getattr(F, name)(y), getattr(TF, name)(ty)
    assert out is y
    assert out.grad_fn.name() == tout.grad_fn.name()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)


def test_threshold_underscore_is_inplace():
    a, b = both()
    y, ty = a * 1.0, b * 1.0
    assert F.threshold_(y, 0.0, 5.0) is y
    TF.threshold_(ty, 0.0, 5.0)
    assert y.grad_fn.name() == ty.grad_fn.name() == "ThresholdBackward1"
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())


def test_inplace_on_a_leaf_that_requires_grad_raises():
    a, _ = both()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.elu(a, inplace=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.relu(a, inplace=True)


def test_inplace_result_saved_by_another_op_is_caught_at_backward():
    a, _ = both()
    y = a * 1.0
    z = y.exp()  # saves its output
    w = y * 2
    F.leaky_relu(w, inplace=True)
    z.sum().backward()  # exp saved its own output, untouched
    u = y.sin()  # saves y
    F.elu(y, inplace=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        u.sum().backward()


def test_integer_inputs_are_refused_as_pytorch_except_where_it_keeps_them():
    i = ndgrad.tensor([0, 1, 2])
    with pytest.raises(NotImplementedError, match="\"elu_cpu\" not implemented for 'Long'"):
        F.elu(i)
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.silu(i)
    assert F.hardtanh(i).dtype is ndgrad.int64
    assert F.hardtanh(i).tolist() == TF.hardtanh(torch.tensor([0, 1, 2])).tolist()


def test_prelu_has_one_weight_per_channel_and_pytorchs_errors():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    w = np.array([0.1, 0.2, 0.3])
    a, b = both(x)
    wa, wb = ndgrad.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    out, tout = F.prelu(a, wa), TF.prelu(b, wb)
    assert out.grad_fn.name() == tout.grad_fn.name()
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(wa.grad.numpy(), wb.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)
    assert a.prelu(wa).shape == out.shape
    with pytest.raises(RuntimeError, match="Found parameter numbers = 2 and channel size = 3"):
        F.prelu(a, ndgrad.tensor([0.1, 0.2]))


def test_rrelu_in_evaluation_uses_the_mean_slope():
    check_against_torch(lambda t: F.rrelu(t, 0.1, 0.3), lambda t: TF.rrelu(t, 0.1, 0.3))


def test_rrelu_in_training_draws_seeded_slopes_between_lower_and_upper():
    x = np.linspace(-2.0, 2.0, 41)
    a = ndgrad.tensor(x, requires_grad=True)
    ndgrad.manual_seed(3)
    y1 = F.rrelu(a, 0.1, 0.3, training=True)
    ndgrad.manual_seed(3)
    y2 = F.rrelu(a, 0.1, 0.3, training=True)
    np.testing.assert_array_equal(y1.detach().numpy(), y2.detach().numpy())
    neg = x < 0
    slopes = y1.detach().numpy()[neg] / x[neg]
    assert ((slopes >= 0.1) & (slopes <= 0.3)).all()
    assert np.unique(slopes).size > 1
    np.testing.assert_array_equal(y1.detach().numpy()[x > 0], x[x > 0])
    y1.sum().backward()
    np.testing.assert_allclose(a.grad.numpy()[neg], slopes)
    np.testing.assert_array_equal(a.grad.numpy()[x > 0], 1.0)
    assert y1.grad_fn.name() == "RreluWithNoiseBackward0"


def test_glu_halves_the_dim_and_refuses_odd_sizes():
    x = np.arange(12.0).reshape(3, 4) / 10
    check_against_torch(
        lambda t: F.glu(t, 0 if t.shape[0] % 2 == 0 else 1), lambda t: TF.glu(t, 1), x
    )
    with pytest.raises(
        RuntimeError, match="Halving dimension must be even, but dimension 0 is size 3"
    ):
        F.glu(ndgrad.tensor(x), 0)


def test_softmin_without_dim_warns_and_picks_pytorchs_dim():
    x = ndgrad.tensor(np.arange(6.0).reshape(2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        y = F.softmin(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ty = TF.softmin(torch.arange(6.0, dtype=torch.float64).reshape(2, 3))
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-12)


def test_gumbel_softmax_is_seeded_sums_to_one_and_hard_is_one_hot_with_soft_gradients():
    logits = ndgrad.tensor(
        np.log(np.array([[0.1, 0.6, 0.3], [0.5, 0.25, 0.25]])), requires_grad=True
    )
    ndgrad.manual_seed(0)
    soft = F.gumbel_softmax(logits, tau=0.5)
    ndgrad.manual_seed(0)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    np.testing.assert_allclose(soft.detach().numpy().sum(-1), 1.0)
    h = hard.detach().numpy()
    assert set(np.unique(h)) <= {0.0, 1.0}
    assert (h.sum(-1) == 1).all()
    assert (h.argmax(-1) == soft.detach().numpy().argmax(-1)).all()
    v = ndgrad.tensor([[1.0, -2.0, 0.5], [0.3, 0.0, 1.0]])
    (g_hard,) = ndgrad.autograd.grad((hard * v).sum(), logits)
    (g_soft,) = ndgrad.autograd.grad((soft * v).sum(), logits)
    np.testing.assert_allclose(g_hard.numpy(), g_soft.numpy(), rtol=1e-6)


def test_shrinks_and_kinks_take_pytorchs_subgradients():
    x = np.array([-0.5, 0.0, 0.5, 1.0, -1.0, 3.0, -3.0, 6.0])
    for name in ("softshrink", "hardshrink", "hardtanh", "relu6", "hardsigmoid", "hardswish",
                 "elu", "leaky_relu", "celu", "selu"):  # fmt: skip
        check_against_torch(getattr(F, name), getattr(TF, name), x)
    check_against_torch(lambda t: F.threshold(t, 0.5, 2.0), lambda t: TF.threshold(t, 0.5, 2.0), x)


def test_top_level_and_method_names_of_pytorch_exist():
    x = ndgrad.tensor(X)
    for name in ("selu", "celu", "rrelu", "hardshrink"):
        np.testing.assert_allclose(
            getattr(ndgrad, name)(x).numpy(), getattr(torch, name)(torch.tensor(X)).numpy()
        )
    np.testing.assert_allclose(
        ndgrad.threshold(x, 0.0, 1.0).numpy(), torch.threshold(torch.tensor(X), 0.0, 1.0).numpy()
    )
    np.testing.assert_allclose(x.hardshrink(1.0).numpy(), torch.tensor(X).hardshrink(1.0).numpy())
    for name in ("selu_", "celu_", "rrelu_", "relu_"):
        y = ndgrad.tensor(X)
        assert getattr(ndgrad, name)(y) is y
    y = ndgrad.tensor(X)
    assert ndgrad.threshold_(y, 0.0, 1.0) is y


def test_second_derivatives_match_pytorch():
    for name in ("gelu", "silu", "mish", "softplus", "logsigmoid", "elu", "celu", "selu"):
        a, b = both()
        (g,) = ndgrad.autograd.grad(getattr(F, name)(a).sum(), a, create_graph=True)
        (tg,) = torch.autograd.grad(getattr(TF, name)(b).sum(), b, create_graph=True)
        (gg,) = ndgrad.autograd.grad(g.sum(), a)
        (tgg,) = torch.autograd.grad(tg.sum(), b)
        np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-10, atol=1e-14, err_msg=name)
