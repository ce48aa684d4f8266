"""``gradcheck`` and ``gradgradcheck``: right functions pass, wrong rules are caught."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad
from ndgrad.autograd import GradcheckError, gradcheck, gradgradcheck


def leaf(a, requires_grad=True):
    return ndgrad.tensor(np.asarray(a), requires_grad=requires_grad)


RNG = np.random.default_rng(0)
X = RNG.standard_normal(4)
Z = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)


class Sin(ndgrad.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos()

    @staticmethod
    def jvp(ctx, x_t):
        (x,) = ctx.saved_tensors
        return x_t * x.cos()


class DoubleBackward(Sin):  # backward returns 2x the gradient
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * g * x.cos()


class WrongJvp(Sin):
    @staticmethod
    def jvp(ctx, x_t):
        (x,) = ctx.saved_tensors
        return x_t * x.sin()


class NotDifferentiableBackward(Sin):  # first derivative right, its derivative wrong
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ndgrad.tensor(np.cos(x.detach().numpy()))


def two_outputs(x, w):
    return x.sin() * w, (x @ w.reshape(-1, 1)).exp()


CORRECT = {
    "sin": (ndgrad.sin, lambda: (leaf(X),)),
    "matmul": (ndgrad.matmul, lambda: (leaf(X.reshape(2, 2)), leaf(X[::-1].reshape(2, 2)))),
    "function": (Sin.apply, lambda: (leaf(X),)),
    "complex": (lambda z: z * z.exp(), lambda: (leaf(Z),)),
    "complex_to_real": (lambda z: (z * z).abs(), lambda: (leaf(Z),)),
    "multi": (two_outputs, lambda: (leaf(X), leaf(X[::-1].copy()))),
    "non_tensor_arg": (lambda x, k: x * k, lambda: (leaf(X), 3.0)),
}


@pytest.mark.parametrize("fast_mode", [False, True])
@pytest.mark.parametrize("name", list(CORRECT))
def test_gradcheck_passes_on_correct_functions(name, fast_mode):
    fn, make_inputs = CORRECT[name]
    assert gradcheck(fn, make_inputs(), fast_mode=fast_mode, check_batched_grad=True)


@pytest.mark.parametrize("name", ["sin", "function", "complex", "multi"])
def test_gradcheck_passes_forward_mode_on_correct_functions(name):
    fn, make_inputs = CORRECT[name]
    assert gradcheck(fn, make_inputs(), check_forward_ad=True)


def test_a_single_tensor_input_is_accepted():
    assert gradcheck(ndgrad.sin, leaf(X))


def test_a_wrong_backward_is_caught_with_the_worst_element():
    with pytest.raises(GradcheckError) as info:
        gradcheck(DoubleBackward.apply, (leaf(X),))
    msg = str(info.value)
    assert "Jacobian mismatch for output 0 with respect to input 0" in msg
    assert "numerical:" in msg
    assert "analytical:" in msg
    assert "The worst element" in msg
    k = int(np.argmax(np.abs(np.cos(X))))
    assert f"d input[{k}]" in msg
    assert f"analytical {float(2 * np.cos(X[k]))!r}"[:20] in msg
    assert isinstance(info.value, RuntimeError)


def test_raise_exception_false_returns_false():
    assert gradcheck(DoubleBackward.apply, (leaf(X),), raise_exception=False) is False


def test_fast_mode_catches_a_wrong_backward_and_recomputes_in_slow_mode():
    with pytest.raises(GradcheckError) as info:
        gradcheck(DoubleBackward.apply, (leaf(X),), fast_mode=True)
    msg = str(info.value)
    assert "fast mode" in msg
    assert "The worst element" in msg
    assert (
        gradcheck(DoubleBackward.apply, (leaf(X),), fast_mode=True, raise_exception=False) is False
    )


def test_check_forward_ad_catches_a_wrong_jvp():
    assert gradcheck(WrongJvp.apply, (leaf(X),))  # backward is right
    with pytest.raises(GradcheckError, match="computed with forward mode mismatch"):
        gradcheck(WrongJvp.apply, (leaf(X),), check_forward_ad=True)
    with pytest.raises(GradcheckError, match="forward mode"):
        gradcheck(WrongJvp.apply, (leaf(X),), check_forward_ad=True, fast_mode=True)


def test_a_wrong_complex_backward_names_the_part():
    class Conj(ndgrad.autograd.Function):  # z * z with the gradient of the wrong convention
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return z * z

        @staticmethod
        def backward(ctx, g):
            (z,) = ctx.saved_tensors
            return g * 2 * z

    with pytest.raises(GradcheckError, match="part of complex outputs"):
        gradcheck(Conj.apply, (leaf(Z),))


def test_float32_inputs_get_the_double_precision_hint():
    x = ndgrad.tensor(X.astype(np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="double precision"), pytest.raises(GradcheckError) as e:
        gradcheck(DoubleBackward.apply, (x,))
    assert "float64" in str(e.value)
    assert "float32" in str(e.value)


def test_no_input_requiring_grad_is_a_value_error():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(ndgrad.sin, (leaf(X, requires_grad=False),))


def test_a_backward_that_ignores_grad_output_is_caught():
    class Ones(Sin):
        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return x.cos()  # not multiplied by g

    with pytest.raises(GradcheckError):
        gradcheck(Ones.apply, (leaf(X),))


def test_check_undefined_grad_catches_a_backward_that_cannot_take_none():
    class Two(ndgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            if g1 is None or g2 is None:
                raise RuntimeError("this backward needs both gradients")
            return g1 * 2 + g2 * 3

    from ndgrad.autograd.gradcheck import _undefined_backward

    with pytest.raises(GradcheckError, match="undefined output grads"):
        _undefined_backward(Two.apply, (leaf(X),))
    with pytest.raises(RuntimeError):  # the Jacobian check meets the None first, as in PyTorch
        gradcheck(Two.apply, (leaf(X),), check_undefined_grad=False)


def test_gradgradcheck_passes_for_tanh_and_matmul():
    assert gradgradcheck(ndgrad.tanh, (leaf(X),))
    a, b = leaf(X.reshape(2, 2)), leaf(X[::-1].reshape(2, 2))
    assert gradgradcheck(ndgrad.matmul, (a, b))
    assert gradgradcheck(ndgrad.tanh, (leaf(X),), fast_mode=True)


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    assert gradcheck(NotDifferentiableBackward.apply, (leaf(X),))
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(NotDifferentiableBackward.apply, (leaf(X),))
    assert (
        gradgradcheck(NotDifferentiableBackward.apply, (leaf(X),), raise_exception=False) is False
    )


def test_argument_combinations_are_checked_as_pytorch():
    with pytest.raises(AssertionError):
        gradcheck(ndgrad.sin, (leaf(X),), check_backward_ad=False)
    with pytest.raises(AssertionError):
        gradcheck(ndgrad.sin, (leaf(X),), check_batched_forward_grad=True)


def test_batched_forward_gradients_are_checked_against_a_loop_of_jvps():
    w = leaf(X)
    assert gradcheck(
        lambda x, y: (x.sin() * y, x @ y.T),
        (leaf(X), w),
        check_forward_ad=True,
        check_batched_forward_grad=True,
    )


# ------------------------------------------------------------------ same verdicts as PyTorch
def _torch_pair(name):
    torch = pytest.importorskip("torch")

    class TSin(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            k = 2 if name == "double" else 1
            return k * g * x.cos()

    t = torch.tensor(X, requires_grad=True)
    ours = DoubleBackward if name == "double" else Sin
    return torch, TSin.apply, ours.apply, t


@pytest.mark.parametrize("fast_mode", [False, True])
@pytest.mark.parametrize("name", ["right", "double"])
def test_verdicts_match_torch(name, fast_mode):
    torch, theirs, ours, t = _torch_pair(name)
    a = torch.autograd.gradcheck(theirs, (t,), raise_exception=False, fast_mode=fast_mode)
    b = gradcheck(ours, (leaf(X),), raise_exception=False, fast_mode=fast_mode)
    assert a == b


def test_complex_verdicts_match_torch():
    torch = pytest.importorskip("torch")
    tz = torch.tensor(Z, requires_grad=True)
    for tf, nf in [
        (lambda z: z * z.exp(), lambda z: z * z.exp()),
        (lambda z: (z * z).abs(), lambda z: (z * z).abs()),
    ]:
        assert torch.autograd.gradcheck(tf, (tz,)) == gradcheck(nf, (leaf(Z),))


def test_gradgradcheck_verdicts_match_torch():
    torch = pytest.importorskip("torch")

    class TNotDiff(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.detach().cos()

    t = torch.tensor(X, requires_grad=True)
    assert torch.autograd.gradgradcheck(torch.tanh, (t,)) == gradgradcheck(ndgrad.tanh, (leaf(X),))
    theirs = torch.autograd.gradgradcheck(TNotDiff.apply, (t,), raise_exception=False)
    ours = gradgradcheck(NotDifferentiableBackward.apply, (leaf(X),), raise_exception=False)
    assert theirs == ours


def test_a_wrong_complex_backward_gets_torchs_verdict():
    torch = pytest.importorskip("torch")

    class TConj(torch.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return z * z

        @staticmethod
        def backward(ctx, g):
            (z,) = ctx.saved_tensors
            return g * 2 * z

    tz = torch.tensor(Z, requires_grad=True)
    assert torch.autograd.gradcheck(TConj.apply, (tz,), raise_exception=False) is False
    for fast in (False, True):
        ok = torch.autograd.gradcheck(lambda z: z * z, (tz,), fast_mode=fast)
        assert ok == gradcheck(lambda z: z * z, (leaf(Z),), fast_mode=fast)
