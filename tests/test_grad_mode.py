"""Grad modes: no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode.

As context managers and decorators (generator functions included), nested, and per thread.
"""

from __future__ import annotations

import threading

import pytest

import ndgrad


@pytest.fixture(autouse=True)
def _grad_mode_back_on():
    """A failing test must not leave recording off for the tests after it."""
    yield
    ndgrad.set_grad_enabled(True)


def _x():
    return ndgrad.tensor([1.0, 2.0], requires_grad=True)


def test_grad_is_enabled_by_default():
    assert ndgrad.is_grad_enabled()
    assert ndgrad.autograd.is_grad_enabled()


def test_no_grad_stops_recording_and_restores_the_mode():
    x = _x()
    with ndgrad.no_grad():
        assert not ndgrad.is_grad_enabled()
        y = x * 2
    assert ndgrad.is_grad_enabled()
    assert not y.requires_grad
    assert y.grad_fn is None
    assert (x * 2).requires_grad


def test_no_grad_restores_the_mode_when_the_block_raises():
    with pytest.raises(ValueError, match="boom"), ndgrad.no_grad():
        raise ValueError("boom")
    assert ndgrad.is_grad_enabled()


def test_enable_grad_inside_no_grad_records_again():
    x = _x()
    with ndgrad.no_grad():
        with ndgrad.enable_grad():
            assert ndgrad.is_grad_enabled()
            y = x * 2
        assert not ndgrad.is_grad_enabled()
        z = x * 2
    assert y.requires_grad
    assert not z.requires_grad


def test_nested_modes_restore_each_level():
    seen = []
    with ndgrad.no_grad():
        seen.append(ndgrad.is_grad_enabled())
        with ndgrad.enable_grad():
            seen.append(ndgrad.is_grad_enabled())
            with ndgrad.set_grad_enabled(False):
                seen.append(ndgrad.is_grad_enabled())
                with ndgrad.no_grad():
                    seen.append(ndgrad.is_grad_enabled())
                seen.append(ndgrad.is_grad_enabled())
            seen.append(ndgrad.is_grad_enabled())
        seen.append(ndgrad.is_grad_enabled())
    seen.append(ndgrad.is_grad_enabled())
    assert seen == [False, True, False, False, False, True, False, True]


@pytest.mark.parametrize("mode", [True, False])
def test_set_grad_enabled_as_a_context_manager(mode):
    x = _x()
    with ndgrad.no_grad() if mode else ndgrad.enable_grad():
        with ndgrad.set_grad_enabled(mode):
            assert ndgrad.is_grad_enabled() is mode
            assert (x * 2).requires_grad is mode
        assert ndgrad.is_grad_enabled() is not mode


def test_set_grad_enabled_as_a_function_call_switches_the_mode():
    try:
        ndgrad.set_grad_enabled(False)
        assert not ndgrad.is_grad_enabled()
        assert not (_x() * 2).requires_grad
        ndgrad.set_grad_enabled(True)
        assert ndgrad.is_grad_enabled()
    finally:
        ndgrad.set_grad_enabled(True)


def test_set_grad_enabled_as_a_decorator_matches_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (torch, ndgrad):

        @lib.set_grad_enabled(False)
        def f(lib=lib):
            return lib.is_grad_enabled()

        assert lib.is_grad_enabled()  # decorating does not change the mode
        assert f() is False
        assert lib.is_grad_enabled()


def test_no_grad_as_a_decorator():
    x = _x()

    @ndgrad.no_grad()
    def f(t):
        return t * 2, ndgrad.is_grad_enabled()

    y, mode = f(x)
    assert not mode
    assert not y.requires_grad
    assert ndgrad.is_grad_enabled()
    assert f.__name__ == "f"


def test_enable_grad_as_a_decorator_inside_no_grad():
    x = _x()

    @ndgrad.enable_grad()
    def f(t):
        return t * 2

    with ndgrad.no_grad():
        y = f(x)
        assert not ndgrad.is_grad_enabled()
    assert y.requires_grad


def test_no_grad_decorating_a_generator_applies_only_while_it_runs_as_in_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (torch, ndgrad):

        @lib.no_grad()
        def gen(lib=lib):
            for _ in range(3):
                got = yield lib.is_grad_enabled()
                assert got is None or got == "sent"

        g = gen()
        try:
            assert next(g) is False
            assert lib.is_grad_enabled(), lib.__name__  # the caller's mode between steps
            assert g.send("sent") is False
            assert lib.is_grad_enabled()
            assert list(g) == [False]
            assert lib.is_grad_enabled()
        finally:
            g.close()


def test_enable_grad_decorating_a_generator_inside_no_grad():
    x = _x()

    @ndgrad.enable_grad()
    def gen():
        yield x * 2
        yield x * 3

    with ndgrad.no_grad():
        out = list(gen())
        assert not ndgrad.is_grad_enabled()
    assert all(t.requires_grad for t in out)


def test_inference_mode_stops_recording_as_a_context_manager_and_decorator():
    x = _x()
    with ndgrad.inference_mode():
        assert not ndgrad.is_grad_enabled()
        assert ndgrad.is_inference_mode_enabled()
        y = x * 2
    assert not y.requires_grad
    assert ndgrad.is_grad_enabled()
    assert not ndgrad.is_inference_mode_enabled()

    @ndgrad.inference_mode()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert ndgrad.is_grad_enabled()


def test_inference_mode_false_leaves_recording_on():
    with ndgrad.no_grad(), ndgrad.inference_mode(False):
        assert not ndgrad.is_inference_mode_enabled()


def test_tensors_made_in_inference_mode_are_inference_tensors_as_in_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.inference_mode():
            y = x * 2
        assert y.is_inference()
        assert not x.is_inference()


def test_backward_works_after_a_no_grad_block():
    x = _x()
    with ndgrad.no_grad():
        c = x * 10
    (x * c).sum().backward()
    assert x.grad.tolist() == [10.0, 20.0]


def test_the_engine_does_not_leave_grad_mode_changed():
    x = _x()
    (x * x).sum().backward()
    assert ndgrad.is_grad_enabled()
    (x * x).sum().backward(create_graph=True)
    assert ndgrad.is_grad_enabled()
    with ndgrad.enable_grad():
        y = (x * x).sum()
    with ndgrad.no_grad():
        y.backward()
        assert not ndgrad.is_grad_enabled()


# ------------------------------------------------------------------------------- threads


def test_no_grad_in_one_thread_does_not_switch_recording_off_in_another():
    x = _x()
    inside = threading.Barrier(2, timeout=10)
    done = threading.Barrier(2, timeout=10)
    results: dict = {}
    errors: list = []

    def silent():
        try:
            with ndgrad.no_grad():
                inside.wait()  # the other thread runs while this one is inside no_grad
                results["silent_mode"] = ndgrad.is_grad_enabled()
                results["silent_rg"] = (x * 2).requires_grad
                done.wait()
        except Exception as e:  # reported to the main thread
            errors.append(e)

    def recording():
        try:
            inside.wait()
            results["recording_mode"] = ndgrad.is_grad_enabled()
            results["recording_rg"] = (x * 2).requires_grad
            done.wait()
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=silent), threading.Thread(target=recording)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not errors
    assert results == {
        "silent_mode": False,
        "silent_rg": False,
        "recording_mode": True,
        "recording_rg": True,
    }
    assert ndgrad.is_grad_enabled()


def test_set_grad_enabled_false_in_a_thread_does_not_leak_into_the_main_thread():
    seen = []

    def worker():
        ndgrad.set_grad_enabled(False)
        seen.append(ndgrad.is_grad_enabled())

    t = threading.Thread(target=worker)
    t.start()
    t.join(timeout=10)
    assert seen == [False]
    assert ndgrad.is_grad_enabled()


def test_backward_in_two_threads_at_once():
    barrier = threading.Barrier(2, timeout=10)
    grads: dict = {}
    errors: list = []

    def work(name, scale):
        try:
            x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
            barrier.wait()
            for _ in range(200):
                with ndgrad.no_grad() if name == "a" else ndgrad.enable_grad():
                    pass
                (x * scale).sum().backward()
            grads[name] = x.grad.tolist()
        except Exception as e:
            errors.append(e)

    threads = [
        threading.Thread(target=work, args=("a", 1.0)),
        threading.Thread(target=work, args=("b", 2.0)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert grads == {"a": [200.0, 200.0], "b": [400.0, 400.0]}
