"""Custom autograd Functions behave as PyTorch's ``torch.autograd.Function``."""

from __future__ import annotations

import gc
import pathlib
import subprocess
import sys
import weakref

import numpy as np
import pytest

import ndgrad
from ndgrad.autograd import Function, once_differentiable
from ndgrad.autograd import forward_ad as fwAD  # noqa: N812

LEGENDRE = pathlib.Path(__file__).parent / "scripts" / "polynomial_custom_function.py"


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x**2

    @staticmethod
    def jvp(ctx, x_t):
        (x,) = ctx.saved_tensors
        return x_t * 3 * x**2


def _run_script(path: pathlib.Path, module: str) -> str:
    src = path.read_text().replace("import ndgrad as torch", f"import {module} as torch")
    out = subprocess.run(
        [sys.executable, "-c", src], capture_output=True, text=True, check=True, timeout=300
    )
    return out.stdout


def test_the_pytorch_tutorials_legendre_polynomial_runs_unchanged_and_matches_pytorch():
    ours = _run_script(LEGENDRE, "ndgrad").splitlines()
    assert ours[-1].startswith("Result: y = ")
    torch = pytest.importorskip("torch")
    del torch
    theirs = _run_script(LEGENDRE, "torch").splitlines()
    assert len(ours) == len(theirs)
    for a, b in zip(ours[:-1], theirs[:-1]):  # "99 <loss>" lines, float32 on both sides
        ia, la = a.split()
        ib, lb = b.split()
        assert ia == ib
        assert float(la) == pytest.approx(float(lb), rel=1e-4)


def test_backward_gets_the_saved_input_and_gives_the_gradient():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward"
    assert type(y.grad_fn).__name__ == "FunctionNode"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])


def test_next_functions_list_only_the_tensor_arguments():
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = Scale.apply(x, 3.0)
    ((acc, nr),) = y.grad_fn.next_functions
    assert acc.name() == "AccumulateGrad"
    assert acc.variable is x
    assert nr == 0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_setup_context_style_works_like_the_ctx_style():
    class Mul(Function):
        @staticmethod
        def forward(x, y):
            return x * y

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, g * x

    x = ndgrad.tensor([2.0], requires_grad=True)
    y = ndgrad.tensor([5.0], requires_grad=True)
    Mul.apply(x, y).sum().backward()
    assert x.grad.item() == 5.0
    assert y.grad.item() == 2.0


def test_needs_input_grad_says_which_inputs_want_a_gradient():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen["fwd"] = ctx.needs_input_grad
            return a + b

        @staticmethod
        def backward(ctx, g):
            seen["bwd"] = ctx.needs_input_grad
            return g, None, None

    a = ndgrad.tensor([1.0], requires_grad=True)
    b = ndgrad.tensor([1.0])
    Probe.apply(a, b, 2).sum().backward()
    assert seen == {"fwd": (True, False, False), "bwd": (True, False, False)}


def test_a_non_differentiable_output_does_not_require_grad():
    class ArgMax(Function):
        @staticmethod
        def forward(ctx, x):
            idx = x.argmax()
            v = x.max()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(x, idx)
            return v, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            x, idx = ctx.saved_tensors
            out = ndgrad.zeros_like(x)
            out[idx] = g
            return out

    x = ndgrad.tensor([1.0, 3.0, 2.0], requires_grad=True)
    v, idx = ArgMax.apply(x)
    assert v.requires_grad
    assert not idx.requires_grad
    assert idx.grad_fn is None
    assert v.grad_fn is not None
    assert v.output_nr == 0
    v.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0, 0.0])


def test_materialized_grads_are_zeros_and_can_be_turned_off():
    got = []

    class Two(Function):
        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            got.append(g2)
            return g1 * 2 + (0 if g2 is None else g2 * 3), None

    for materialize in (True, False):
        x = ndgrad.tensor([1.0, 1.0], requires_grad=True)
        a, _ = Two.apply(x, materialize)
        a.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    assert got[0] is not None
    assert got[0].tolist() == [0.0, 0.0]
    assert got[1] is None


def test_mark_dirty_moves_the_history_of_an_input_modified_in_place():
    class AddOne_(Function):  # noqa: N801
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    w = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = w * 2
    v0 = y._version
    out = AddOne_.apply(y)
    assert out is y
    assert y._version == v0 + 2
    assert y.grad_fn.name() == "AddOne_Backward"
    (y * y).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2 * 2 * 3.0, 2 * 2 * 5.0])


def test_mark_dirty_on_a_leaf_that_requires_grad_is_refused():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    x = ndgrad.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        Bad.apply(x)


def test_backward_that_uses_ndgrad_ops_is_differentiable_again():
    x = ndgrad.tensor([1.5, -2.0], requires_grad=True)
    (g,) = ndgrad.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * np.array([1.5, -2.0]) ** 2)
    (h,) = ndgrad.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * np.array([1.5, -2.0]))


def test_a_saved_output_gives_double_backward_without_a_reference_cycle():
    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    x = ndgrad.tensor([0.5, 1.0], requires_grad=True)
    y = Exp.apply(x)
    (g,) = ndgrad.autograd.grad(y.sum(), x, create_graph=True)
    (h,) = ndgrad.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), np.exp([0.5, 1.0]))

    gc.disable()
    try:
        y = Exp.apply(x)
        ref = weakref.ref(y.grad_fn)
        del y
        assert ref() is None  # freed by reference counting alone
    finally:
        gc.enable()


def test_once_differentiable_backward_refuses_a_second_derivative():
    class Sq(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x

    x = ndgrad.tensor([3.0], requires_grad=True)
    Sq.apply(x).sum().backward()
    assert x.grad.item() == 6.0
    # d/dx (x^2 * x): the gradient reaching Sq's backward (x) requires grad, so its result is
    # marked, and differentiating it again raises (as PyTorch; with a constant incoming
    # gradient nothing is marked and PyTorch too says the result does not require grad)
    (g,) = ndgrad.autograd.grad((Sq.apply(x) * x).sum(), x, create_graph=True)
    assert g.item() == 27.0
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_backward_returning_the_wrong_number_of_gradients_names_the_function():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    x = ndgrad.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"WrongBackward returned an incorrect number of grad"):
        Wrong.apply(x, x).sum().backward()


@pytest.mark.parametrize(
    ("returned", "error"),
    [
        (lambda g: (ndgrad.ones(2, dtype=ndgrad.float64), None), "invalid gradient at index 0"),
        (lambda g: (g, 1.0), "different than None at position 2"),
        (lambda g: (g, None, ndgrad.ones(3)), "incorrect number of gradients"),
    ],
)
def test_backward_results_are_checked_as_pytorch_checks_them(returned, error):
    class F(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return returned(g)

    x = ndgrad.ones(3, dtype=ndgrad.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match=error):
        F.apply(x, 2.0).sum().backward()


def test_backward_results_are_summed_back_and_cast_to_the_input():
    class F(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return ndgrad.ones(2, 3)  # float32, broadcast shape

    x = ndgrad.ones(3, dtype=ndgrad.float64, requires_grad=True)
    F.apply(x).sum().backward()
    assert x.grad.dtype is ndgrad.float64
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_modifying_a_saved_input_in_place_before_backward_raises():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    y = Cube.apply(a)
    a.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_a_second_backward_through_a_freed_function_says_why():
    x = ndgrad.tensor([1.0], requires_grad=True)
    y = Cube.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_forward_mode_uses_the_functions_jvp():
    x = ndgrad.tensor([1.0, 2.0])
    with fwAD.dual_level():

        class CubeFwd(Cube):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                ctx.save_for_forward(x)
                return x**3

        y = CubeFwd.apply(fwAD.make_dual(x, ndgrad.ones(2)))
        np.testing.assert_allclose(fwAD.unpack_dual(y).tangent.numpy(), [3.0, 12.0])


def test_forward_mode_without_a_jvp_says_how_to_fix_it():
    class NoJvp(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with fwAD.dual_level(), pytest.raises(NotImplementedError, match="jvp"):
        NoJvp.apply(fwAD.make_dual(ndgrad.ones(2), ndgrad.ones(2)))


def test_calling_a_function_instance_is_the_legacy_style_and_refused():
    with pytest.raises(RuntimeError, match="apply"):
        Cube()(ndgrad.ones(2))


def test_under_no_grad_a_function_records_nothing():
    x = ndgrad.tensor([1.0], requires_grad=True)
    with ndgrad.no_grad():
        y = Cube.apply(x)
    assert not y.requires_grad
    assert y.grad_fn is None


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("torch") is None, reason="PyTorch not installed"
)
def test_gradients_and_hooks_through_a_function_equal_pytorch():
    import torch

    def run(lib, fn_base):
        class Sin(fn_base):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return lib.sin(x)

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * lib.cos(x)

        x = lib.tensor([0.3, 1.2, -0.7], dtype=lib.float64, requires_grad=True)
        y = Sin.apply(x * 2)
        calls = []
        y.register_hook(lambda g: calls.append(g.tolist()) or g * 10)
        (y * y).sum().backward()
        return x.grad.tolist(), calls

    ours_grad, ours_calls = run(ndgrad, ndgrad.autograd.Function)
    theirs_grad, theirs_calls = run(torch, torch.autograd.Function)
    np.testing.assert_allclose(ours_grad, theirs_grad, rtol=1e-12)
    np.testing.assert_allclose(ours_calls, theirs_calls, rtol=1e-12)
