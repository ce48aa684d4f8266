"""Forward mode's dual levels: PyTorch's API and errors, nesting, and privacy per thread and task.

PyTorch refuses nested levels; ndgrad nests them on purpose (``jacfwd(jacfwd(f))``), so the nested
tests compare with ``torch.func`` rather than with ``torch.autograd.forward_ad``.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import threading
import weakref
from pathlib import Path

import numpy as np
import pytest

import ndgrad
from ndgrad._core import forward_ad as core_fw
from ndgrad.autograd import forward_ad as fwAD  # noqa: N812 - PyTorch docs' alias
from ndgrad.ops.registry import TABLE


def f64(v):
    return ndgrad.tensor(v, dtype=ndgrad.float64)


def _torch():
    return pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _no_level_left_open():
    yield
    assert core_fw.open_levels() == ()
    assert core_fw.ACTIVE[0] == 0


# ------------------------------------------------------------------------- PyTorch's API


def test_signatures_are_pytorchs():
    torch = _torch()
    for name in ("make_dual", "unpack_dual", "enter_dual_level", "exit_dual_level"):
        ours = inspect.signature(getattr(fwAD, name))
        theirs = inspect.signature(getattr(torch.autograd.forward_ad, name))
        assert list(ours.parameters) == list(theirs.parameters), name
        for p in theirs.parameters.values():
            assert ours.parameters[p.name].kind == p.kind, (name, p.name)


def test_unpack_dual_returns_the_named_tuple_primal_tangent():
    with fwAD.dual_level():
        x = f64([1.0, 2.0])
        v = f64([3.0, 4.0])
        u = fwAD.unpack_dual(fwAD.make_dual(x, v))
        assert isinstance(u, fwAD.UnpackedDualTensor)
        assert isinstance(u, tuple)
        assert fwAD.UnpackedDualTensor._fields == ("primal", "tangent")
        assert u.tangent is v
        assert u.primal.tolist() == [1.0, 2.0]
        assert fwAD.unpack_dual(u.primal).tangent is None


def test_primal_of_unpack_dual_shares_memory_with_the_input_as_in_pytorch():
    torch = _torch()
    for lib, fw in ((torch, torch.autograd.forward_ad), (ndgrad, fwAD)):
        x = lib.tensor([1.0, 2.0])
        with fw.dual_level():
            fw.unpack_dual(fw.make_dual(x, lib.ones(2))).primal.add_(1)
        assert x.tolist() == [2.0, 3.0]


def test_first_level_is_zero_and_levels_count_up_when_nested():
    assert fwAD.enter_dual_level() == 0
    assert fwAD.enter_dual_level() == 1
    fwAD.exit_dual_level(level=1)
    fwAD.exit_dual_level()
    with fwAD.dual_level() as level:
        assert level == 0


def test_make_dual_outside_a_level_raises_pytorchs_runtime_error():
    torch = _torch()
    with pytest.raises(RuntimeError, match="no level exists") as theirs:
        torch.autograd.forward_ad.make_dual(torch.ones(2), torch.ones(2))
    with pytest.raises(RuntimeError) as ours:
        fwAD.make_dual(ndgrad.ones(2), ndgrad.ones(2))
    assert str(ours.value).startswith(str(theirs.value))
    assert "hint" in str(ours.value)


@pytest.mark.parametrize(
    ("primal", "tangent", "cls"),
    [
        ([1.0, 2.0], [1.0, 1.0, 1.0], RuntimeError),  # sizes differ
        ([1, 2], [1.0, 1.0], ValueError),  # integer primal
        ([1.0, 2.0], [1, 1], ValueError),  # integer tangent
    ],
)
def test_make_dual_refuses_bad_tangents_as_pytorch_does(primal, tangent, cls):
    torch = _torch()
    fw = torch.autograd.forward_ad
    with fw.dual_level(), pytest.raises(cls) as theirs:
        fw.make_dual(torch.tensor(primal), torch.tensor(tangent))
    with fwAD.dual_level(), pytest.raises(cls) as ours:
        fwAD.make_dual(ndgrad.tensor(primal), ndgrad.tensor(tangent))
    assert str(ours.value).startswith(str(theirs.value).replace("torch.", "ndgrad."))


def test_make_dual_keeps_a_tangent_of_another_floating_dtype_as_pytorch_does():
    with fwAD.dual_level():
        d = fwAD.make_dual(ndgrad.ones(2), f64([1.0, 1.0]))
        assert fwAD.unpack_dual(d).tangent.dtype is ndgrad.float64


def test_make_dual_of_a_tensor_already_dual_at_that_level_raises():
    torch = _torch()
    fw = torch.autograd.forward_ad
    with fw.dual_level(), pytest.raises(RuntimeError, match="already has a forward gradient"):
        fw.make_dual(fw.make_dual(torch.ones(2), torch.ones(2)), torch.ones(2))
    with fwAD.dual_level(), pytest.raises(RuntimeError, match="already has a forward gradient"):
        fwAD.make_dual(fwAD.make_dual(ndgrad.ones(2), ndgrad.ones(2)), ndgrad.ones(2))


def test_an_invalid_level_raises_runtime_error():
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="Invalid level given to make_dual"):
            fwAD.make_dual(ndgrad.ones(2), ndgrad.ones(2), level=1)
        d = fwAD.make_dual(ndgrad.ones(2), ndgrad.ones(2))
        with pytest.raises(RuntimeError, match="Invalid level given to unpack_dual"):
            fwAD.unpack_dual(d, level=3)
        assert fwAD.unpack_dual(ndgrad.ones(2), level=3).tangent is None  # as PyTorch


def test_exiting_a_level_that_is_not_the_innermost_raises_pytorchs_error():
    torch = _torch()
    fw = torch.autograd.forward_ad
    with fw.dual_level() as level, pytest.raises(RuntimeError) as theirs:
        fw.exit_dual_level(level=level + 1)
    with fwAD.dual_level(), fwAD.dual_level(), pytest.raises(RuntimeError) as ours:
        fwAD.exit_dual_level(level=0)
    assert str(ours.value).startswith(str(theirs.value))


def test_exiting_when_no_level_is_open_raises_runtime_error():
    with pytest.raises(RuntimeError, match="no level is open"):
        fwAD.exit_dual_level()


def test_tangents_vanish_when_their_level_closes_as_in_pytorch():
    torch = _torch()
    fw = torch.autograd.forward_ad
    with fw.dual_level():
        theirs = fw.make_dual(torch.ones(2), torch.ones(2)) * 2
    with fwAD.dual_level():
        ours = fwAD.make_dual(ndgrad.ones(2), ndgrad.ones(2)) * 2
    assert fw.unpack_dual(theirs).tangent is None
    assert fwAD.unpack_dual(ours).tangent is None
    with fw.dual_level():
        assert fw.unpack_dual(theirs).tangent is None
    with fwAD.dual_level():
        assert fwAD.unpack_dual(ours).tangent is None
        assert (ours * 3).tolist() == [6.0, 6.0]


def test_closing_a_level_frees_its_tangents():
    with fwAD.dual_level():
        tangent = f64([1.0, 2.0])
        y = fwAD.make_dual(f64([3.0, 4.0]), tangent).sin()
        ref = weakref.ref(fwAD.unpack_dual(y).tangent)
        del tangent
    gc.collect()
    assert ref() is None
    assert y._ext.tangent is None


def test_a_long_loop_inside_one_level_does_not_keep_a_reference_per_op():
    with fwAD.dual_level():
        level = core_fw.open_levels()[-1]
        y = fwAD.make_dual(f64([1.0]), f64([1.0]))
        for _ in range(5_000):
            y = y * 1.0
        assert len(level.duals) < 200


def test_dual_level_works_as_a_decorator():
    @fwAD.dual_level()
    def jvp_of_square(x, v):
        return fwAD.unpack_dual(fwAD.make_dual(x, v) ** 2).tangent

    assert jvp_of_square(f64([3.0]), f64([1.0])).tolist() == [6.0]


# ----------------------------------------------------------------------------- nesting


def test_second_derivative_of_sin_from_two_nested_levels_is_minus_sin():
    x0 = np.linspace(-2.0, 2.0, 7)
    with fwAD.dual_level() as outer:
        x = fwAD.make_dual(f64(x0), f64(np.ones(7)))
        with fwAD.dual_level() as inner:
            y = fwAD.make_dual(x, f64(np.ones(7))).sin()
            dy = fwAD.unpack_dual(y, level=inner).tangent
        np.testing.assert_allclose(fwAD.unpack_dual(dy, level=outer).tangent.numpy(), -np.sin(x0))
        np.testing.assert_allclose(fwAD.unpack_dual(dy, level=outer).primal.numpy(), np.cos(x0))


def test_mixed_partial_of_x_squared_times_y_is_two_x():
    x0, y0 = np.array([0.5, -1.5, 3.0]), np.array([2.0, 0.25, -1.0])
    with fwAD.dual_level() as outer:
        x = fwAD.make_dual(f64(x0), f64(np.ones(3)))  # d/dx at the outer level
        with fwAD.dual_level() as inner:
            y = fwAD.make_dual(f64(y0), f64(np.ones(3)))  # d/dy at the inner one
            f = x**2 * y
            df_dy = fwAD.unpack_dual(f, level=inner).tangent
            np.testing.assert_allclose(
                fwAD.unpack_dual(f, level=outer).tangent.numpy(), 2 * x0 * y0
            )
        d2f = fwAD.unpack_dual(df_dy, level=outer).tangent
    np.testing.assert_allclose(df_dy.numpy(), x0**2)
    np.testing.assert_allclose(d2f.numpy(), 2 * x0)


def test_third_derivative_of_exp_from_three_levels():
    x0 = 0.7
    with fwAD.dual_level() as l0:
        x = fwAD.make_dual(f64(x0), f64(1.0))
        with fwAD.dual_level() as l1:
            xx = fwAD.make_dual(x, f64(1.0))
            with fwAD.dual_level() as l2:
                d1 = fwAD.unpack_dual(fwAD.make_dual(xx, f64(1.0)).exp(), level=l2).tangent
            d2 = fwAD.unpack_dual(d1, level=l1).tangent
        d3 = fwAD.unpack_dual(d2, level=l0).tangent
    assert d3.item() == pytest.approx(np.exp(x0), rel=1e-12)


def test_an_inner_level_only_sees_the_tangents_made_at_it():
    with fwAD.dual_level() as outer:
        x = fwAD.make_dual(f64([2.0]), f64([1.0]))
        with fwAD.dual_level():
            y = x * 3  # x has no tangent at the inner level
            assert fwAD.unpack_dual(y).tangent is None
            assert fwAD.unpack_dual(y, level=outer).tangent.tolist() == [3.0]


def test_unpack_dual_keeps_the_tangents_of_the_other_levels_on_the_primal():
    with fwAD.dual_level() as outer:
        x = fwAD.make_dual(f64([2.0]), f64([5.0]))
        with fwAD.dual_level() as inner:
            d = fwAD.make_dual(x, f64([7.0]))
            primal, tangent = fwAD.unpack_dual(d, level=inner)
            assert tangent.tolist() == [7.0]
            assert fwAD.unpack_dual(primal, level=inner).tangent is None
            assert fwAD.unpack_dual(primal, level=outer).tangent.tolist() == [5.0]


def _f(lib, x, w):
    return ((x.sin() * x.exp() + x**2).tanh() / (1 + x * w)).cos() * w


def test_nested_levels_give_torch_funcs_second_order_jvp():
    torch = _torch()
    x0, w0 = np.array([0.3, -0.7, 1.1]), np.array([0.5, 2.0, -0.25])
    u0, v0 = np.array([1.0, -0.5, 0.25]), np.array([0.1, 0.2, 0.3])
    with fwAD.dual_level() as outer:
        x = fwAD.make_dual(f64(x0), f64(u0))
        with fwAD.dual_level() as inner:
            y = _f(ndgrad, fwAD.make_dual(x, f64(v0)), f64(w0))
            t = fwAD.unpack_dual(y, level=inner).tangent
        ours = fwAD.unpack_dual(t, level=outer).tangent.numpy()

    def jvp_v(a):
        return torch.func.jvp(lambda b: _f(torch, b, torch.tensor(w0)), (a,), (torch.tensor(v0),))[
            1
        ]

    theirs = torch.func.jvp(jvp_v, (torch.tensor(x0),), (torch.tensor(u0),))[1]
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_nested_levels_flow_through_in_place_ops_and_writes_through_views():
    x0 = np.array([1.5, -2.0, 0.5])
    with fwAD.dual_level() as outer:
        x = fwAD.make_dual(f64(x0), f64(np.ones(3)))
        with fwAD.dual_level() as inner:
            xx = fwAD.make_dual(x, f64(np.ones(3)))
            y = xx * 1
            y.mul_(xx)  # y = x**2
            z = ndgrad.zeros(4, dtype=ndgrad.float64)
            z[1:] = y * xx  # z[1:] = x**3
            dz = fwAD.unpack_dual(z, level=inner).tangent
            dy = fwAD.unpack_dual(y, level=inner).tangent
        np.testing.assert_allclose(dy.numpy(), 2 * x0)
        np.testing.assert_allclose(fwAD.unpack_dual(dy, level=outer).tangent.numpy(), [2.0] * 3)
        np.testing.assert_allclose(dz.numpy(), [0.0, *(3 * x0**2)])
        d2z = fwAD.unpack_dual(dz, level=outer).tangent
        np.testing.assert_allclose(d2z.numpy(), [0.0, *(6 * x0)])


def test_tangents_can_still_be_differentiated_in_reverse_mode():
    x = f64([0.5, 1.0]).requires_grad_()
    with fwAD.dual_level():
        t = fwAD.unpack_dual(fwAD.make_dual(x, f64([1.0, 1.0])).sin()).tangent  # cos(x)
    t.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -np.sin([0.5, 1.0]))


def test_gradients_through_make_dual_and_unpack_dual_reach_the_leaf_as_in_pytorch():
    torch = _torch()
    grads = []
    for lib, fw in ((torch, torch.autograd.forward_ad), (ndgrad, fwAD)):
        x = lib.tensor([0.5, 1.0], dtype=lib.float64, requires_grad=True)
        with fw.dual_level():
            d = fw.make_dual(x, lib.ones(2, dtype=lib.float64))
            y = d.sin()
            t = fw.unpack_dual(y).tangent
            (t * 3 + fw.unpack_dual(d).primal * 2).sum().backward()
        grads.append(x.grad.numpy().copy())
        assert not d.is_leaf
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_the_primal_of_a_dual_leaf_passes_its_gradient_to_the_leaf_as_in_pytorch():
    with fwAD.dual_level():
        d = fwAD.make_dual(f64([1.0, 2.0]), f64([1.0, 1.0])).requires_grad_()
        p = fwAD.unpack_dual(d).primal
        assert fwAD.unpack_dual(p).tangent is None
        (p * 2).sum().backward()
    assert d.grad.tolist() == [2.0, 2.0]


def test_an_op_with_several_outputs_gets_one_tangent_per_output_at_each_level():
    class TwoOutputs:  # the record of an op with outputs (x * 2, x * 3)
        name = "two_outputs"
        differentiable = True

        @staticmethod
        def jvp(tangents, ans, x):
            return (tangents[0] * 2, tangents[0] * 3)

    with fwAD.dual_level() as outer:
        x = fwAD.make_dual(f64([1.0]), f64([1.0]))
        with fwAD.dual_level() as inner:
            xx = fwAD.make_dual(x, f64([10.0]))
            res = [f64([2.0]), f64([3.0])]
            core_fw.propagate(TwoOutputs, res, (xx,), [xx], {})
            assert [fwAD.unpack_dual(r, level=inner).tangent.item() for r in res] == [20.0, 30.0]
            assert [fwAD.unpack_dual(r, level=outer).tangent.item() for r in res] == [2.0, 3.0]


# --------------------------------------------------------------- per thread, per task


def test_two_threads_compute_different_jvps_in_their_own_levels_at_the_same_time():
    barrier = threading.Barrier(2, timeout=10)
    results: dict = {}
    errors: list = []

    def worker(name, x0, scale):
        try:
            with fwAD.dual_level() as level:
                barrier.wait()  # both threads are inside their level now
                assert level == 0  # each thread's first level, whatever the other does
                x = fwAD.make_dual(f64(x0), f64(np.ones(3)))
                y = x
                for _ in range(200):
                    y = (y * scale).sin()
                barrier.wait()
                results[name] = fwAD.unpack_dual(y).tangent.numpy().copy()
                barrier.wait()  # the other thread is still inside its level
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
            barrier.abort()

    inputs = {"a": (np.array([0.1, 0.2, 0.3]), 1.1), "b": (np.array([-0.4, 0.5, 0.9]), 0.7)}
    threads = [threading.Thread(target=worker, args=(k, *v)) for k, v in inputs.items()]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    for name, (x0, scale) in inputs.items():
        y, dy = x0, np.ones(3)
        for _ in range(200):
            dy = np.cos(y * scale) * scale * dy
            y = np.sin(y * scale)
        np.testing.assert_allclose(results[name], dy, rtol=1e-10)


def test_a_thread_without_a_level_does_not_see_another_threads_level():
    inside = threading.Event()
    done = threading.Event()
    seen: dict = {}

    def other():
        inside.wait(10)
        try:
            fwAD.make_dual(ndgrad.ones(1), ndgrad.ones(1))
        except RuntimeError as e:
            seen["error"] = e
        seen["levels"] = core_fw.open_levels()
        done.set()

    th = threading.Thread(target=other)
    th.start()
    with fwAD.dual_level():
        d = fwAD.make_dual(f64([1.0]), f64([1.0]))
        inside.set()
        done.wait(10)
        assert fwAD.unpack_dual(d * 2).tangent.tolist() == [2.0]
    th.join()
    assert isinstance(seen["error"], RuntimeError)
    assert seen["levels"] == ()


def test_asyncio_tasks_have_their_own_levels():
    async def jvp_of_power(p, started, other_started):
        with fwAD.dual_level() as level:
            started.set()
            await other_started.wait()  # the other task's level is open now too
            assert level == 0
            y = fwAD.make_dual(f64([2.0]), f64([1.0])) ** p
            await asyncio.sleep(0)
            return fwAD.unpack_dual(y).tangent.item()

    async def main():
        a, b = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(jvp_of_power(2, a, b), jvp_of_power(3, b, a))

    assert asyncio.run(main()) == [4.0, 12.0]


def test_the_global_count_of_open_levels_adds_up_over_threads():
    entered = threading.Barrier(3, timeout=10)
    leave = threading.Event()

    def worker():
        with fwAD.dual_level():
            entered.wait()
            leave.wait(10)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for th in threads:
        th.start()
    with fwAD.dual_level():
        entered.wait()
        assert core_fw.ACTIVE[0] == 3
        leave.set()
        for th in threads:
            th.join()
        assert core_fw.ACTIVE[0] == 1
    assert core_fw.ACTIVE[0] == 0


# --------------------------------------------------------------------- the layering


def test_every_records_jvp_is_a_callable_or_none():
    for op in TABLE.values():
        assert op.jvp is None or callable(op.jvp), op.name


def test_the_core_forward_mode_knows_no_op_and_imports_nothing_above_it():
    src = Path(core_fw.__file__).read_text()
    for word in ('"elementwise"', '"linear"', '"bilinear"', ".fn(", ".vjp["):
        assert word not in src, word
    assert "from ..ops" not in src
    assert "ndgrad.ops" not in src


def test_an_unknown_jvp_shortcut_is_refused_when_the_record_is_declared():
    from ndgrad.ops._jvp import jvp_rule

    class Op:
        name = "frob"

    with pytest.raises(ValueError, match="unknown jvp shortcut 'diagonal'"):
        jvp_rule(Op(), "diagonal")
