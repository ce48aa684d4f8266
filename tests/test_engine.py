"""The backward engine, by sentences: accumulation, retain_graph, create_graph, hooks, in-place ops,
deep graphs, memory, ``autograd.grad``/``autograd.backward`` and forward-mode duals.

Where a test is about behaviour it runs the same code through PyTorch (when installed) and compares.
"""

from __future__ import annotations

import gc
import math
import time
import warnings
import weakref

import numpy as np
import pytest

import ndgrad
from ndgrad.autograd import forward_ad as fwAD  # noqa: N812 - PyTorch docs name it so


def _torch():
    return pytest.importorskip("torch")


def _np(t) -> np.ndarray:
    if type(t).__module__.startswith("torch"):
        return t.detach().cpu().numpy()
    return t.detach().numpy()


@pytest.fixture
def no_cyclic_gc():
    """Run the test with the cyclic garbage collector off: only reference counting frees memory."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# ----------------------------------------------------------------------- backward basics


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (1, 1, 1)])
def test_backward_without_gradient_works_for_any_one_element_output(shape):
    x = ndgrad.full(shape, 3.0, requires_grad=True)
    (x * x).backward()
    assert x.grad.shape == shape
    assert x.grad.numpy().ravel().tolist() == [6.0]


def test_backward_with_a_gradient_weights_each_component_as_in_pytorch():
    torch = _torch()
    out = []
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * x + x.sin()
        y.backward(lib.tensor([1.0, -2.0, 0.5]))
        out.append(_np(x.grad))
    np.testing.assert_allclose(out[1], out[0], rtol=1e-6)


def test_gradient_may_be_given_as_a_list_or_array():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward([1.0, 2.0])
    assert x.grad.tolist() == [3.0, 6.0]


def test_grad_accumulates_across_backward_calls():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    g = x.grad
    (x * x).sum().backward()
    assert g is x.grad  # accumulated in place, as PyTorch's AccumulateGrad
    assert x.grad.tolist() == [4.0, 8.0]
    (x * 10).sum().backward()
    assert g is x.grad
    assert x.grad.tolist() == [14.0, 18.0]


def test_grad_accumulates_into_the_same_memory():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    mem = x.grad.numpy()
    (x * 3).sum().backward()
    assert np.shares_memory(mem, x.grad.numpy())
    assert mem.tolist() == [6.0, 6.0]


def test_fan_out_gradients_are_summed_as_in_pytorch():
    torch = _torch()
    out = []
    for lib in (torch, ndgrad):
        x = lib.tensor([0.5, 1.5], requires_grad=True)
        a = x * 2
        y = a * a + a.sin() + a + x.exp() * a
        y.sum().backward()
        out.append(_np(x.grad))
    np.testing.assert_allclose(out[1], out[0], rtol=1e-6)


def test_the_same_tensor_on_both_sides_of_an_op_gets_both_contributions():
    x = ndgrad.tensor([3.0], requires_grad=True)
    (x * x).backward()
    assert x.grad.tolist() == [6.0]
    x.grad = None
    (x + x + x).backward()
    assert x.grad.tolist() == [3.0]


def test_grads_of_two_leaves_never_share_memory():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    z = ndgrad.tensor([3.0, 4.0], requires_grad=True)
    (x + z).backward(ndgrad.tensor([1.0, 1.0]))
    assert not np.shares_memory(x.grad.numpy(), z.grad.numpy())
    (x * 2).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert z.grad.tolist() == [1.0, 1.0]


def test_grad_does_not_alias_the_gradient_passed_to_backward():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    v = ndgrad.tensor([1.0, 1.0])
    x.backward(v)
    y = x + 0
    y.backward(v)
    v.mul_(100.0)
    assert x.grad.tolist() == [2.0, 2.0]


def test_gradients_are_summed_back_over_broadcast_dimensions():
    torch = _torch()
    out = []
    for lib in (torch, ndgrad):
        a = lib.tensor([[1.0], [2.0]], requires_grad=True)  # (2, 1)
        b = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)  # (3,)
        c = lib.tensor(2.0, requires_grad=True)  # ()
        (a * b * c + b).sum().backward()
        out.append([_np(t.grad) for t in (a, b, c)])
    for n, t in zip(out[1], out[0], strict=True):
        assert n.shape == t.shape
        np.testing.assert_allclose(n, t, rtol=1e-6)


def test_backward_on_a_leaf_accumulates_the_gradient_itself():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    x.backward(ndgrad.tensor([3.0, 4.0]))
    assert x.grad.tolist() == [3.0, 4.0]


# ------------------------------------------------------------------- deep graphs and memory


def test_million_node_chain_runs_forward_and_backward_and_is_freed_without_recursion(
    no_cyclic_gc,
):
    n = 1_000_000
    start = time.perf_counter()
    x = ndgrad.tensor([1.0], dtype=ndgrad.float64, requires_grad=True)
    y = x * 1.0000001
    first = weakref.ref(y.grad_fn)
    for _ in range(n - 1):
        y = y * 1.0000001
    mid = y
    for _ in range(10):
        y = y * 1.0000001
    middle = weakref.ref(mid.grad_fn)
    del mid
    y.backward()
    # backward multiplies the same factors in the same order as the forward pass
    assert x.grad.item() == pytest.approx(y.item(), rel=1e-12)
    assert x.grad.item() == pytest.approx(math.exp((n + 10) * math.log(1.0000001)), rel=1e-6)
    assert "grad_fn=<MulBackward0>" in repr(y)
    assert first() is not None
    del y
    assert first() is None  # the whole chain went with its last reference, by reference counting
    assert middle() is None
    assert time.perf_counter() - start < 60


def test_graph_is_freed_when_the_output_goes_even_without_backward(no_cyclic_gc):
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(1000):
        y = (y * 1.5).sin()
    node = weakref.ref(y.grad_fn)
    del y
    assert node() is None


def test_a_retained_non_leaf_does_not_keep_itself_alive(no_cyclic_gc):
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.retain_grad()
    y.register_hook(lambda g: g)
    t, node = weakref.ref(y), weakref.ref(y.grad_fn)
    del y
    assert t() is None
    assert node() is None


def test_saved_values_are_freed_after_backward(no_cyclic_gc):
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    a = x.sin()
    b = a * a  # mul saves ``a``
    saved = weakref.ref(a)
    del a
    assert saved() is not None
    b.sum().backward()
    assert saved() is None
    assert b.grad_fn is not None  # the graph is still there, only its saved values went


def test_saved_values_are_kept_with_retain_graph(no_cyclic_gc):
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    a = x.sin()
    b = a * a
    saved = weakref.ref(a)
    del a
    b.sum().backward(retain_graph=True)
    assert saved() is not None
    b.sum().backward()
    assert saved() is None


# -------------------------------------------------------------------- retain_graph


def test_second_backward_through_freed_values_raises_as_in_pytorch():
    torch = _torch()
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="retain_graph=True"):
            y.backward()


def test_retain_graph_allows_a_second_backward():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).exp().sum()
    y.backward(retain_graph=True)
    first = x.grad.tolist()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array(first), rtol=1e-6)


def test_second_backward_through_a_graph_that_saved_nothing_works_as_in_pytorch():
    torch = _torch()
    out = []
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x + 1).sum()
        y.backward()
        y.backward()
        out.append(_np(x.grad))
    np.testing.assert_allclose(out[1], out[0])


# -------------------------------------------------------------------- create_graph


def test_create_graph_makes_the_gradient_differentiable():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    assert g.grad_fn is not None
    np.testing.assert_allclose(g.detach().numpy(), [3.0, 12.0])
    (h,) = ndgrad.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [6.0, 12.0])


def test_retain_graph_defaults_to_create_graph():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).exp().sum()
    y.backward(create_graph=True)
    y.backward()  # the graph was retained


def _f_hessian(lib, x):
    return (x.sin() * x.exp()).sum() + (x * x).sum() ** 2 + (x.sum() * 0.5).tanh()


def test_hessian_of_a_small_function_matches_pytorch():
    torch = _torch()
    x0 = np.array([0.3, -0.7, 1.1])
    n = len(x0)
    x = ndgrad.tensor(x0, requires_grad=True)
    (g,) = ndgrad.autograd.grad(_f_hessian(ndgrad, x), x, create_graph=True)
    rows = []
    for i in range(n):
        e = np.zeros(n)
        e[i] = 1.0
        (col,) = ndgrad.autograd.grad(g, x, grad_outputs=ndgrad.tensor(e), retain_graph=True)
        rows.append(col.numpy())
    h = np.stack(rows)
    expected = torch.autograd.functional.hessian(
        lambda t: _f_hessian(torch, t), torch.tensor(x0)
    ).numpy()
    np.testing.assert_allclose(h, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h, h.T, rtol=1e-12)


def test_mixed_partials_are_equal_and_match_pytorch():
    torch = _torch()
    res = []
    for lib in (torch, ndgrad):
        x = lib.tensor(np.array(0.7), requires_grad=True)  # float64
        y = lib.tensor(np.array(-1.3), requires_grad=True)
        f = x**2 * y**3 + (x * y).sin()
        fx, fy = lib.autograd.grad(f, (x, y), create_graph=True)
        (fxy,) = lib.autograd.grad(fx, y, retain_graph=True)
        (fyx,) = lib.autograd.grad(fy, x)
        res.append((fxy.item(), fyx.item()))
    fxy, fyx = res[1]
    assert fxy == pytest.approx(fyx, rel=1e-12)
    assert fxy == pytest.approx(res[0][0], rel=1e-12)
    xv, yv = 0.7, -1.3
    analytic = 6 * xv * yv**2 + math.cos(xv * yv) - xv * yv * math.sin(xv * yv)
    assert fxy == pytest.approx(analytic, rel=1e-12)


def test_third_derivative_of_x_to_the_fourth_is_24x():
    x = ndgrad.tensor(1.5, dtype=ndgrad.float64, requires_grad=True)
    y = x**4
    (d1,) = ndgrad.autograd.grad(y, x, create_graph=True)
    (d2,) = ndgrad.autograd.grad(d1, x, create_graph=True)
    (d3,) = ndgrad.autograd.grad(d2, x)
    assert d1.item() == pytest.approx(4 * 1.5**3)
    assert d2.item() == pytest.approx(12 * 1.5**2)
    assert d3.item() == pytest.approx(24 * 1.5)


def test_grad_without_create_graph_gives_tensors_that_do_not_require_grad():
    x = ndgrad.tensor(2.0, requires_grad=True)
    (g,) = ndgrad.autograd.grad(x**2, x)
    assert not g.requires_grad
    assert g.grad_fn is None


# -------------------------------------------------------------------- autograd.grad


def test_autograd_grad_returns_a_tuple_and_leaves_grad_alone():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    res = ndgrad.autograd.grad((x * x).sum(), x)
    assert isinstance(res, tuple)
    assert res[0].tolist() == [2.0, 4.0]
    assert x.grad is None


def test_autograd_grad_weights_by_grad_outputs_and_sums_over_outputs_as_in_pytorch():
    torch = _torch()
    out = []
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([0.5, -1.0], requires_grad=True)
        y1 = x * w
        y2 = (x * x).sum()
        gx, gw = lib.autograd.grad(
            [y1, y2], [x, w], grad_outputs=[lib.tensor([1.0, 3.0]), lib.tensor(2.0)]
        )
        out.append((_np(gx), _np(gw)))
    for n, t in zip(out[1], out[0], strict=True):
        np.testing.assert_allclose(n, t, rtol=1e-6)


def test_autograd_grad_with_respect_to_a_non_leaf():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    (gy,) = ndgrad.autograd.grad((y * y).sum(), y)
    assert gy.tolist() == [6.0, 12.0]


def test_allow_unused_gives_none_and_materialize_grads_gives_zeros_as_in_pytorch():
    torch = _torch()
    for lib in (torch, ndgrad):
        x = lib.tensor(2.0, requires_grad=True)
        v = lib.tensor([1.0, 1.0], requires_grad=True)
        y = x**2
        gx, gv = lib.autograd.grad(y, [x, v], allow_unused=True, retain_graph=True)
        assert gx.item() == 4.0
        assert gv is None
        gx, gv = lib.autograd.grad(y, [x, v], materialize_grads=True)
        assert gx.item() == 4.0
        assert gv.tolist() == [0.0, 0.0]


def test_autograd_grad_with_inputs_on_only_some_paths_runs_only_what_is_needed():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    w = ndgrad.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum() + w.exp().sum()
    (gx,) = ndgrad.autograd.grad(y, x)
    assert gx.tolist() == [3.0, 4.0]
    assert x.grad is None
    assert w.grad is None


# -------------------------------------------------------------------- autograd.backward / inputs


def test_autograd_backward_takes_tensors_and_grad_tensors():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y1 = x * 2
    y2 = (x * x).sum()
    ndgrad.autograd.backward([y1, y2], [ndgrad.tensor([1.0, 1.0]), ndgrad.tensor(1.0)])
    assert x.grad.tolist() == [4.0, 6.0]
    z = (x * 5).sum()
    ndgrad.autograd.backward(z)
    assert x.grad.tolist() == [9.0, 11.0]


def test_backward_with_inputs_accumulates_only_into_those_as_in_pytorch():
    torch = _torch()
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        (x * w).sum().backward(inputs=[x])
        assert x.grad.tolist() == [3.0, 4.0]
        assert w.grad is None


def test_backward_with_a_non_leaf_input_fills_its_grad_as_in_pytorch():
    torch = _torch()
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        (y * y).sum().backward(inputs=[y])
        assert y.retains_grad, lib.__name__
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a retained non-leaf's .grad is read silently
            assert y.grad.tolist() == [6.0, 12.0]
        assert x.grad is None


# -------------------------------------------------------------------- hooks


def test_a_hook_may_replace_the_gradient():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert x.grad.tolist() == [20.0, 20.0]


def test_a_hook_returning_none_keeps_the_gradient():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    y = x * 2
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.sum().backward()
    assert seen == [[1.0, 1.0]]
    assert x.grad.tolist() == [2.0, 2.0]


def test_hooks_run_in_registration_order_each_seeing_the_last_result():
    order = []
    x = ndgrad.tensor([1.0], requires_grad=True)
    y = x * 1
    y.register_hook(lambda g: order.append(("a", g.item())) or g + 1)
    y.register_hook(lambda g: order.append(("b", g.item())) or g * 3)
    y.register_hook(lambda g: order.append(("c", g.item())))
    y.backward()
    assert order == [("a", 1.0), ("b", 2.0), ("c", 6.0)]
    assert x.grad.item() == 6.0


def test_a_hook_sees_the_total_gradient_of_its_tensor_once_as_in_pytorch():
    torch = _torch()
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        seen = []
        y.register_hook(lambda g, seen=seen: seen.append(g.tolist()))
        (y * y + y).sum().backward()
        assert seen == [[5.0, 9.0]], lib.__name__


def test_leaf_hooks_run_before_accumulation_and_post_accumulate_hooks_after():
    torch = _torch()
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        x.register_hook(
            lambda g, x=x, seen=seen: seen.append(("pre", None if x.grad is None else 1)) or g * 10
        )
        x.register_post_accumulate_grad_hook(
            lambda p, seen=seen: seen.append(("post", p.grad.tolist()))
        )
        (x * 1).sum().backward()
        assert seen == [("pre", None), ("post", [10.0, 10.0])], lib.__name__
        assert x.grad.tolist() == [10.0, 10.0]


def test_retain_grad_stores_the_gradient_after_all_hooks_as_in_pytorch():
    torch = _torch()
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.register_hook(lambda g: g * 2)
        y.retain_grad()
        y.register_hook(lambda g: g + 1)
        y.sum().backward()
        assert y.grad.tolist() == [3.0, 3.0], lib.__name__
        assert x.grad.tolist() == [9.0, 9.0]


def test_a_removed_hook_no_longer_runs():
    x = ndgrad.tensor([1.0], requires_grad=True)
    y = x * 1
    calls = []
    h1 = y.register_hook(lambda g: calls.append(1))
    y.register_hook(lambda g: calls.append(2))
    h1.remove()
    h1.remove()  # removing twice is harmless
    y.backward()
    assert calls == [2]


def test_hooks_on_a_leaf_apply_to_every_backward():
    x = ndgrad.tensor([1.0], requires_grad=True)
    x.register_hook(lambda g: g * 2)
    (x * 1).backward()
    (x * 1).backward()
    assert x.grad.item() == 4.0


# -------------------------------------------------------------------- in-place ops


def test_in_place_ops_on_non_leaves_are_recorded_as_in_pytorch():
    torch = _torch()
    out = []
    for lib in (torch, ndgrad):
        x = lib.tensor([0.5, 1.5], requires_grad=True)
        y = x * 2
        y.sin_()
        y.mul_(x)
        y.add_(x * x)
        y.sum().backward()
        out.append((_np(y), _np(x.grad), y._version))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-6)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-6)
    assert out[1][2] == out[0][2] == 3


def test_in_place_op_on_a_view_of_a_non_leaf_reaches_the_base_as_in_pytorch():
    torch = _torch()
    out = []
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        v = y.view(2)
        v.mul_(3.0)
        assert y._version == 1
        (y * y).sum().backward()
        out.append((_np(y), _np(x.grad)))
    np.testing.assert_allclose(out[1][0], out[0][0])
    np.testing.assert_allclose(out[1][1], out[0][1])


def test_in_place_update_of_a_leaf_under_no_grad_keeps_it_a_leaf():
    torch = _torch()
    for lib in (torch, ndgrad):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        (w * w).sum().backward()
        with lib.no_grad():
            w -= 0.1 * w.grad
            w.mul_(2.0)
        assert w.is_leaf
        assert w.requires_grad
        assert w.grad_fn is None
        assert w._version == 2
        np.testing.assert_allclose(_np(w), [1.6, 3.2], rtol=1e-6)
        w.grad = None
        (w * w).sum().backward()
        np.testing.assert_allclose(_np(w.grad), [3.2, 6.4], rtol=1e-6)


def test_modifying_a_detached_tensor_in_place_is_caught_through_the_shared_version():
    torch = _torch()
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a = x * 1
        y = a * a  # saves a
        a.detach().add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_in_place_op_on_a_value_not_saved_is_fine():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    y = a + 1  # add saves nothing
    a.add_(5.0)
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


# -------------------------------------------------------------------- forward mode


def _f_jvp(lib, x, w):
    return ((x.sin() * x.exp() + x**2).tanh() / (1 + x * w)).cos() * w


def test_forward_mode_jvp_matches_torch_func_jvp():
    torch = _torch()
    x0 = np.array([0.3, -0.7, 1.1])
    w0 = np.array([0.5, 2.0, -0.25])
    v0 = np.array([1.0, -0.5, 0.25])
    u0 = np.array([0.1, 0.2, 0.3])
    with fwAD.dual_level():
        x = fwAD.make_dual(ndgrad.tensor(x0), ndgrad.tensor(v0))
        w = fwAD.make_dual(ndgrad.tensor(w0), ndgrad.tensor(u0))
        y = _f_jvp(ndgrad, x, w)
        primal, tangent = fwAD.unpack_dual(y)
        primal, tangent = primal.numpy().copy(), tangent.numpy().copy()
    tp, tt = torch.func.jvp(
        lambda a, b: _f_jvp(torch, a, b),
        (torch.tensor(x0), torch.tensor(w0)),
        (torch.tensor(v0), torch.tensor(u0)),
    )
    np.testing.assert_allclose(primal, tp.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tangent, tt.numpy(), rtol=1e-10, atol=1e-12)


def test_forward_mode_with_one_dual_input_treats_the_other_as_constant():
    torch = _torch()
    x0, w0, v0 = np.array([0.3, 1.2]), np.array([2.0, -1.0]), np.array([1.0, 1.0])
    with fwAD.dual_level():
        x = fwAD.make_dual(ndgrad.tensor(x0), ndgrad.tensor(v0))
        t = fwAD.unpack_dual((x * ndgrad.tensor(w0)).sin().sum()).tangent.item()
    _, tt = torch.func.jvp(
        lambda a: (a * torch.tensor(w0)).sin().sum(), (torch.tensor(x0),), (torch.tensor(v0),)
    )
    assert t == pytest.approx(tt.item(), rel=1e-12)


def test_unpack_dual_of_a_plain_tensor_has_no_tangent():
    with fwAD.dual_level():
        p, t = fwAD.unpack_dual(ndgrad.tensor([1.0]))
        assert t is None
        assert p.tolist() == [1.0]


def test_tangents_are_gone_after_the_dual_level_ends():
    with fwAD.dual_level():
        x = fwAD.make_dual(ndgrad.tensor([1.0, 2.0]), ndgrad.tensor([1.0, 1.0]))
        y = x * x
        assert fwAD.unpack_dual(y).tangent.tolist() == [2.0, 4.0]
    assert fwAD.unpack_dual(y).tangent is None
    assert fwAD.unpack_dual(x).tangent is None


def test_make_dual_outside_a_dual_level_raises():
    with pytest.raises(RuntimeError, match="dual_level"):
        fwAD.make_dual(ndgrad.tensor([1.0]), ndgrad.tensor([1.0]))


def test_make_dual_with_a_tangent_of_another_shape_raises():
    with fwAD.dual_level(), pytest.raises(RuntimeError, match="size"):
        fwAD.make_dual(ndgrad.tensor([1.0, 2.0]), ndgrad.tensor([1.0]))


def test_forward_and_reverse_mode_agree():
    x0 = np.array([0.3, -0.7, 1.1])
    v0 = np.array([1.0, -0.5, 0.25])
    with fwAD.dual_level():
        x = fwAD.make_dual(ndgrad.tensor(x0), ndgrad.tensor(v0))
        jv = fwAD.unpack_dual((x.sin() * x.exp()).sum()).tangent.item()
    xr = ndgrad.tensor(x0, requires_grad=True)
    (xr.sin() * xr.exp()).sum().backward()
    assert jv == pytest.approx(float(np.dot(xr.grad.numpy(), v0)), rel=1e-12)


def test_summing_gradients_in_the_engine_never_writes_into_a_users_tensor():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    v = ndgrad.tensor([1.0, 10.0])
    y = x * 1.0
    z = y + y + y  # add passes the cotangent through unchanged, to both inputs
    z.backward(v)
    assert v.tolist() == [1.0, 10.0]
    assert x.grad.tolist() == [3.0, 30.0]
    x.grad = None
    a = x.exp()
    (a + a * 1.0).backward(v)  # two contributions for a: one is the user's v itself
    assert v.tolist() == [1.0, 10.0]
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]) * [1.0, 10.0], rtol=1e-6)
