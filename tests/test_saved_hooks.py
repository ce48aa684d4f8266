"""Saved-tensor hooks (``ndgrad.autograd.graph``) behave as PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad
from ndgrad.autograd.graph import (
    disable_saved_tensors_hooks,
    save_on_cpu,
    saved_tensors_hooks,
)


def x64(values):
    return ndgrad.tensor(values, dtype=ndgrad.float64, requires_grad=True)


def test_pack_runs_once_per_saved_tensor_without_grad_and_unpack_on_every_read():
    log = []

    def pack(t):
        log.append(("pack", ndgrad.is_grad_enabled(), tuple(t.shape)))
        return t.clone()

    def unpack(t):
        log.append(("unpack", ndgrad.is_grad_enabled()))
        return t

    x = x64([1.0, 2.0, 3.0])
    with saved_tensors_hooks(pack, unpack):
        y = (x.exp() * x).sum()  # exp saves its output; mul saves both inputs
    assert [e[0] for e in log] == ["pack"] * 3
    assert all(e[1] is False for e in log)
    log.clear()
    (g,) = ndgrad.autograd.grad(y, x, create_graph=True)
    assert log == [("unpack", True)] * 3
    np.testing.assert_allclose(g.detach().numpy(), np.exp([1, 2, 3]) * (1 + np.arange(1, 4)))


def test_second_order_gradients_flow_through_hooked_values():
    x = x64([0.5, -1.0, 2.0])
    with saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):
        y = (x.sin() * x * x).sum()
    (g,) = ndgrad.autograd.grad(y, x, create_graph=True)
    g.sum().backward()
    a = x.detach().numpy()
    want = -np.sin(a) * a**2 + 4 * np.cos(a) * a + 2 * np.sin(a)  # d/dx of the gradient
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)


def test_the_innermost_hooks_apply_and_leaving_the_block_restores_the_outer_ones():
    seen = []
    x = x64([1.0, 2.0])
    with saved_tensors_hooks(lambda t: seen.append("outer") or t, lambda t: t):
        with saved_tensors_hooks(lambda t: seen.append("inner") or t, lambda t: t):
            _ = x.exp()
        _ = x.sin()
    _ = x.cos()
    assert seen == ["inner", "outer"]


def test_an_unpack_hook_that_returns_no_tensor_raises_torchs_type_error():
    x = x64([1.0, 2.0])
    with saved_tensors_hooks(lambda t: 3, lambda p: p):
        y = (x * x).sum()
    with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor but got result of"):
        y.backward()


def test_a_pack_hook_that_modifies_its_input_in_place_is_refused():
    x = x64([1.0, 2.0])
    y = x * 2
    with (
        pytest.raises(RuntimeError, match="pack hook is modifying its input in place"),
        saved_tensors_hooks(lambda t: t.add_(1), lambda t: t),
    ):
        _ = y.exp()


def test_hooks_own_the_value_so_a_later_in_place_change_is_not_checked_as_in_torch():
    x = x64([1.0, 2.0])
    y = x * 1
    with saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):
        z = (y * y).sum()
    with ndgrad.no_grad():
        y.add_(1)
    z.backward()  # the copies the pack made are the values the forward used
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_custom_functions_and_multi_output_ops_go_through_the_hooks():
    class Square(ndgrad.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * t

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return 2 * t * g

    packs = []
    x = x64([3.0, 1.0, 2.0])
    with saved_tensors_hooks(lambda t: packs.append(tuple(t.shape)) or t.clone(), lambda t: t):
        s = Square.apply(x).sum() + ndgrad.sort(x).values.pow(2).sum()
    assert len(packs) >= 2
    s.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * x.detach().numpy())


def test_save_on_cpu_gives_the_same_gradients():
    x = x64([0.1, 0.2, 0.3])
    with save_on_cpu(pin_memory=False):
        y = (x.tanh() * x.exp()).sum()
    y.backward()
    a = x.detach().numpy()
    want = (1 - np.tanh(a) ** 2) * np.exp(a) + np.tanh(a) * np.exp(a)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)


def test_disable_saved_tensors_hooks_raises_the_given_message_both_ways():
    with (
        disable_saved_tensors_hooks("no hooks here"),
        pytest.raises(RuntimeError, match="no hooks here"),
    ):
        saved_tensors_hooks(lambda t: t, lambda t: t).__enter__()
    with (
        saved_tensors_hooks(lambda t: t, lambda t: t),
        pytest.raises(RuntimeError, match="not inside hooks"),
    ):
        disable_saved_tensors_hooks("not inside hooks").__enter__()


def test_hooks_match_torchs_gradients_on_a_small_network():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w, b, a = rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal((5, 3))
    outs = []
    for lib, gm in ((ndgrad, ndgrad.autograd.graph), (torch, torch.autograd.graph)):
        tw = lib.tensor(w, requires_grad=True)
        with gm.saved_tensors_hooks(lambda t: t * 1, lambda t: t):
            loss = lib.tanh(lib.tensor(a) @ tw.T + lib.tensor(b)).pow(2).mean()
        loss.backward()
        outs.append(tw.grad.numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12)
