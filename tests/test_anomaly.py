"""Anomaly mode: ``detect_anomaly``, ``set_detect_anomaly`` and what they report."""

from __future__ import annotations

import contextvars
import threading
import warnings

import pytest

import ndgrad
from ndgrad.autograd import Function, detect_anomaly, set_detect_anomaly


def _line_of(text: str) -> int:
    """The line number of this file holding ``text`` (so tests do not hard-code lines)."""
    with open(__file__) as f:
        for k, line in enumerate(f, 1):
            if text in line and "_line_of" not in line:
                return k
    raise AssertionError(text)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_anomaly_mode_is_disabled_by_default():
    assert ndgrad.is_anomaly_enabled() is False
    assert ndgrad.is_anomaly_check_nan_enabled() is True


def test_detect_anomaly_warns_that_it_slows_execution():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        detect_anomaly()


def test_nested_contexts_restore_the_state():
    with detect_anomaly():
        assert ndgrad.is_anomaly_enabled()
        with set_detect_anomaly(False):
            assert not ndgrad.is_anomaly_enabled()
            with detect_anomaly(check_nan=False):
                assert ndgrad.is_anomaly_enabled()
                assert not ndgrad.is_anomaly_check_nan_enabled()
            assert not ndgrad.is_anomaly_enabled()
            assert ndgrad.is_anomaly_check_nan_enabled()
        assert ndgrad.is_anomaly_enabled()
    assert not ndgrad.is_anomaly_enabled()


def test_set_detect_anomaly_works_as_a_function_call():
    set_detect_anomaly(True)
    try:
        assert ndgrad.is_anomaly_enabled()
    finally:
        set_detect_anomaly(False)
    assert not ndgrad.is_anomaly_enabled()


def test_detect_anomaly_works_as_a_decorator():
    @detect_anomaly()
    def f():
        return ndgrad.is_anomaly_enabled()

    assert f() is True
    assert not ndgrad.is_anomaly_enabled()


def test_anomaly_mode_of_one_thread_is_not_seen_by_another():
    seen = []
    ready = threading.Event()
    done = threading.Event()

    def other():
        ready.wait()
        seen.append(ndgrad.is_anomaly_enabled())
        done.set()

    t = threading.Thread(target=other)
    t.start()
    with detect_anomaly():
        ready.set()
        done.wait()
    t.join()
    assert seen == [False]


def test_anomaly_mode_of_a_context_copy_does_not_leak_back():
    def inner():
        set_detect_anomaly(True)
        on = ndgrad.is_anomaly_enabled()
        set_detect_anomaly(False)  # leave the process-wide fast-path flag as it was
        return on

    assert contextvars.copy_context().run(inner) is True
    assert not ndgrad.is_anomaly_enabled()


def test_nan_in_backward_names_the_node_and_the_forward_line():
    x = ndgrad.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        y = x.sqrt()  # forward of the failing node
        loss = (y * 0).sum()
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    assert str(info.value) == "Function 'SqrtBackward0' returned nan values in its 0th output."
    note = "\n".join(info.value.__notes__)
    assert "Error detected in SqrtBackward0" in note
    assert "Traceback of forward call that caused the error" in note
    assert f"line {_line_of('# forward of the failing node')}" in note
    assert "y = x.sqrt()" in note


def test_backward_error_is_also_warned_as_pytorch_prints_it():
    x = ndgrad.tensor([0.0], requires_grad=True)
    with detect_anomaly():
        loss = (x.sqrt() * 0).sum()
        with (
            pytest.warns(UserWarning, match="Error detected in SqrtBackward0"),
            pytest.raises(RuntimeError),
        ):
            loss.backward()


def test_check_nan_false_lets_nan_through():
    x = ndgrad.tensor([0.0], requires_grad=True)
    with detect_anomaly(check_nan=False):
        (x.sqrt() * 0).sum().backward()
    assert ndgrad.isnan(x.grad).all()


def test_without_anomaly_mode_nan_flows_silently():
    x = ndgrad.tensor([0.0], requires_grad=True)
    (x.sqrt() * 0).sum().backward()
    assert ndgrad.isnan(x.grad).all()


class _Boom(Function):
    @staticmethod
    def forward(ctx, a):
        return a * 2

    @staticmethod
    def backward(ctx, g):
        raise ValueError("boom in backward")


def test_an_exception_in_a_custom_function_backward_shows_its_forward_traceback():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        loss = _Boom.apply(x).sum()  # the custom Function's forward
        with pytest.raises(ValueError, match="boom in backward") as info:
            loss.backward()
    note = "\n".join(info.value.__notes__)
    assert "Error detected in _BoomBackward" in note
    assert f"line {_line_of('# the custom Function' + chr(39) + 's forward')}" in note


def test_an_error_outside_anomaly_mode_has_no_note():
    x = ndgrad.tensor([1.0], requires_grad=True)
    loss = _Boom.apply(x).sum()
    with pytest.raises(ValueError) as info:
        loss.backward()
    assert not getattr(info.value, "__notes__", None)


def test_the_first_forward_that_makes_nan_is_reported_with_file_and_line():
    x = ndgrad.tensor([-1.0, 4.0], requires_grad=True)
    with detect_anomaly():
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            y = x.log()  # the op that makes nan
            z = y * 2  # passes the nan on: not reported
        loss = (z.sqrt() * 0 + z).sum()
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    msgs = [str(w.message) for w in rec if "produced" in str(w.message)]
    where = f"test_anomaly.py:{_line_of('# the op that makes nan')}"
    assert len(msgs) == 1
    assert "'log' produced nan in its forward" in msgs[0]
    assert where in msgs[0]
    assert "'log' produced nan in its forward at" in "\n".join(info.value.__notes__)
    assert where in "\n".join(info.value.__notes__)


def test_a_forward_inf_is_reported_too():
    x = ndgrad.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly(), pytest.warns(RuntimeWarning, match="'reciprocal' produced inf"):
        x.reciprocal()


def test_nothing_is_checked_or_kept_without_anomaly_mode():
    from ndgrad._core import anomaly

    before = len(anomaly._INFO)
    x = ndgrad.tensor([-1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        y = x.log() * 2
    assert not [w for w in rec if "produced" in str(w.message)]
    assert len(anomaly._INFO) == before
    assert y.grad_fn is not None


def test_a_node_made_by_a_create_graph_backward_points_to_the_forward_that_induced_it():
    x = ndgrad.tensor([0.0], requires_grad=True)
    with detect_anomaly():
        y = x.sqrt()  # the first-order forward
        (g,) = ndgrad.autograd.grad(y.sum(), x, create_graph=True)  # records DivBackward0
        with pytest.raises(RuntimeError, match="'DivBackward0' returned nan values") as info:
            (g * 0).sum().backward()
    note = "\n".join(info.value.__notes__)
    assert f"line {_line_of('# records DivBackward0')}" in note
    assert "Previous calculation was induced by a node whose forward call was" in note
    assert f"line {_line_of('# the first-order forward')}" in note


try:
    import torch as _torch
except ImportError:  # pragma: no cover
    _torch = None


@pytest.mark.skipif(_torch is None, reason="torch is not installed")
def test_error_classes_and_message_prefix_match_torch():
    def program(lib, backward_error):
        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                raise backward_error("bad")

        out = []
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        with lib.autograd.detect_anomaly():
            for make in (lambda: (x.sqrt() * 0).sum(), lambda: Bad.apply(x).sum()):
                try:
                    make().backward()
                except Exception as e:
                    out.append((type(e), str(e)))
        return out

    for err in (ValueError, RuntimeError, TypeError):
        ours = program(ndgrad, err)
        theirs = program(_torch, err)
        assert [c for c, _ in ours] == [c for c, _ in theirs]
        assert [m for _, m in ours] == [m for _, m in theirs]
