"""Nodes with several outputs, and the engine's contract around them (hooks, capture, threads)."""

from __future__ import annotations

import ast
import importlib.util
import pathlib
import threading

import numpy as np
import pytest

import ndgrad

HAVE_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed")
SRC = pathlib.Path(ndgrad.__file__).parent


def test_max_along_a_dim_is_one_node_whose_values_send_the_gradient_to_the_indices():
    x = ndgrad.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], requires_grad=True)
    values, indices = x.max(1)
    assert values.grad_fn.name() == "MaxBackward0"
    assert indices.grad_fn is None
    assert not indices.requires_grad
    assert indices.dtype is ndgrad.int64
    values.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, 0, 0], [0, 1, 0]])


def test_max_along_a_dim_saves_only_the_indices_so_a_later_in_place_change_is_fine():
    x = ndgrad.tensor([[1.0, 4.0], [3.0, 2.0]], requires_grad=True)
    a = x * 1
    y = a.max(1)[0]
    a.add_(1)
    y.sum().backward()  # PyTorch computes this too
    np.testing.assert_allclose(x.grad.numpy(), [[0, 1], [1, 0]])


def test_outputs_of_a_multi_output_node_share_its_grad_fn_and_know_their_number():
    x = ndgrad.tensor([2.0, 1.0, 3.0], requires_grad=True)
    lo, hi = ndgrad.aminmax(x)
    assert lo.grad_fn is hi.grad_fn
    assert (lo.output_nr, hi.output_nr) == (0, 1)
    z = lo * 1 + hi * 1
    mul = z.grad_fn.next_functions[0][0]
    edges = {e[0].name(): e[1] for e in mul.next_functions if e[0] is not None}
    assert edges == {"AminmaxBackward0": 0}
    (hi * 10 + lo).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 1, 10])


def test_next_functions_report_the_real_output_number():
    x = ndgrad.tensor([2.0, 1.0, 3.0], requires_grad=True)
    lo, hi = ndgrad.aminmax(x)
    y = hi * lo
    assert [nr for _, nr in y.grad_fn.next_functions] == [1, 0]


def test_an_output_that_gets_no_gradient_gives_its_rule_none_and_nothing_breaks():
    x = ndgrad.tensor([2.0, 1.0, 3.0], requires_grad=True)
    var, mean = ndgrad.var_mean(x)
    mean.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 / 3] * 3)


def test_hooks_and_retain_grad_work_per_output():
    x = ndgrad.tensor([2.0, 1.0, 3.0], requires_grad=True)
    lo, hi = ndgrad.aminmax(x)
    seen = []
    hi.register_hook(lambda g: seen.append(("hi", g.item())) or g * 100)
    lo.retain_grad()
    (lo * 2 + hi).backward()
    assert seen == [("hi", 1.0)]
    assert lo.grad.item() == 2.0
    np.testing.assert_allclose(x.grad.numpy(), [0, 2, 100])


def test_autograd_grad_captures_the_gradient_of_one_output():
    x = ndgrad.tensor([3.0, 1.0, 2.0], requires_grad=True)
    s = ndgrad.sort(x)
    w = ndgrad.tensor([1.0, 2.0, 3.0])
    (g_values,) = ndgrad.autograd.grad((s.values * w).sum(), s.values, retain_graph=True)
    np.testing.assert_allclose(g_values.numpy(), [1, 2, 3])
    (g_x,) = ndgrad.autograd.grad((s.values * w).sum(), x)
    np.testing.assert_allclose(g_x.numpy(), [3, 1, 2])


def test_a_multi_output_node_fed_by_another_routes_each_gradient():
    x = ndgrad.tensor([[3.0, 1.0], [0.0, 5.0]], requires_grad=True)
    v, _ = ndgrad.sort(x, dim=1)
    m, _ = v.max(0)
    (m * ndgrad.tensor([1.0, 10.0])).sum().backward()
    # v = [[1, 3], [0, 5]]; max over rows picks v[0, 0] = x[0, 1] and v[1, 1] = x[1, 1]
    np.testing.assert_allclose(x.grad.numpy(), [[0, 1], [0, 10]])


def test_second_order_through_sort_is_the_sorted_second_derivative():
    x = ndgrad.tensor([3.0, -1.0, 2.0], requires_grad=True)
    v = ndgrad.sort(x).values
    loss = (v**3 * ndgrad.tensor([1.0, 2.0, 3.0])).sum()
    (g,) = ndgrad.autograd.grad(loss, x, create_graph=True)
    (h,) = ndgrad.autograd.grad(g.sum(), x)
    # weights by rank: -1 -> 1, 2 -> 2, 3 -> 3; d2/dx2 x^3 = 6x
    np.testing.assert_allclose(h.numpy(), [6 * 3 * 3, 6 * -1 * 1, 6 * 2 * 2])


def test_a_second_backward_through_a_freed_multi_output_node_says_why():
    x = ndgrad.tensor([3.0, 1.0], requires_grad=True)
    v = ndgrad.sort(x).values
    v.sum().backward()
    with pytest.raises(RuntimeError, match="a second time"):
        v.sum().backward()


@needs_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda lib, x: lib.sort(x, dim=1, descending=True).values,
        lambda lib, x: lib.topk(x, 2, dim=0).values,
        lambda lib, x: lib.kthvalue(x, 2, dim=1).values,
        lambda lib, x: lib.median(x, 1).values,
        lambda lib, x: lib.median(x),
        lambda lib, x: lib.max(x, 0).values,
        lambda lib, x: lib.min(x, 1, True).values,
        lambda lib, x: lib.aminmax(x, dim=1).max,
        lambda lib, x: lib.var_mean(x, 1)[0],
        lambda lib, x: lib.std_mean(x, 0)[1],
    ],
)
def test_values_indices_and_gradients_equal_pytorch(call):
    import torch

    data = np.array([[0.3, -1.2, 2.0, 0.7], [1.5, 0.1, -0.4, 2.2], [-2.0, 0.9, 1.1, -0.3]])
    x = ndgrad.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    ours, theirs = call(ndgrad, x), call(torch, t)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    w = np.arange(ours.numel(), dtype=float).reshape(tuple(ours.shape)) + 1
    (ours * ndgrad.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_a_hook_that_changes_the_shape_of_the_gradient_is_refused():
    x = ndgrad.ones(3, requires_grad=True)
    x.register_hook(lambda g: ndgrad.ones(2))
    with pytest.raises(RuntimeError, match="changed the size of value"):
        (x * 2).sum().backward()


def test_a_hook_that_changes_the_dtype_of_the_gradient_is_refused():
    x = ndgrad.ones(3, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError, match="changed the type of value"):
        y.sum().backward()


def test_a_hook_that_returns_something_other_than_a_tensor_is_refused():
    x = ndgrad.ones(3, requires_grad=True)
    x.register_hook(lambda g: 3)
    with pytest.raises(TypeError, match="hook returned 'int'"):
        (x * 2).sum().backward()


def test_backward_in_four_threads_into_one_leaf_loses_no_update():
    w = ndgrad.zeros(1000, dtype=ndgrad.float64, requires_grad=True)

    def work():
        for _ in range(50):
            (w * 1.0).sum().backward()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert w.grad.numpy().min() == w.grad.numpy().max() == 200.0


def test_is_grads_batched_gives_one_vector_jacobian_product_per_row():
    x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x**2
    (jac,) = ndgrad.autograd.grad(y, x, ndgrad.eye(3), is_grads_batched=True)
    np.testing.assert_allclose(jac.numpy(), np.diag([2.0, 4.0, 6.0]))


def test_only_inputs_false_warns_that_it_is_ignored_as_pytorch():
    x = ndgrad.tensor([1.0], requires_grad=True)
    with pytest.warns(FutureWarning, match="only_inputs"):
        ndgrad.autograd.grad((x * 2).sum(), x, only_inputs=False)


def test_the_engine_decides_in_place_sums_without_reference_counts():
    src = (SRC / "_core" / "engine.py").read_text()
    assert "getrefcount" not in src


def test_core_never_imports_ops_not_even_lazily():
    for path in (SRC / "_core").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                mod = ("." * node.level) + (node.module or "")
                assert not mod.startswith(("..ops", "ndgrad.ops")), (path.name, mod)
                assert not (node.level == 2 and node.module is None and
                            any(a.name == "ops" for a in node.names)), path.name  # fmt: skip


def test_fan_in_sums_never_write_into_a_users_gradient_tensor():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    v = ndgrad.tensor([1.0, 1.0])
    y = x + 0
    z = y + y + y  # three contributions into y's buffer
    z.backward(v)
    np.testing.assert_allclose(v.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_grad_stops_at_a_non_leaf_input_as_pytorch_does():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append(g))
    y = x.exp()
    (g,) = ndgrad.autograd.grad((y * 3).sum(), y)
    np.testing.assert_allclose(g.numpy(), [3.0, 3.0])
    assert calls == []  # the exp node did not run: nothing beyond y was needed
    y.sum().backward()  # and it kept its saved values
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]))


def test_a_record_that_asks_for_materialized_grads_gets_zeros_for_unused_outputs():
    from ndgrad.ops import TABLE, def_op

    seen = []

    def vjp(gs, ans, x):
        seen.append([None if g is None else g.tolist() for g in gs])
        return gs[0] * 2 + gs[1] * 3

    if "_test_twice_thrice" not in TABLE:
        def_op(
            "_test_twice_thrice",
            forward=lambda xp, x: (x * 2, x * 3),
            vjp=vjp,
            save=(),
            outputs=("twice", "thrice"),
            materialize_grads=True,
            method=False,
            export=False,
        )
    fn = TABLE["_test_twice_thrice"].fn
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    fn(x).twice.sum().backward()
    assert seen == [[[1.0, 1.0], [0.0, 0.0]]]
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    del TABLE["_test_twice_thrice"]
