"""Errors explain themselves: PyTorch's exception class, and a message that says what to do.

Each test triggers the mistake in ndgrad and (when installed) in PyTorch, checks that both raise the
same class, and that ndgrad's message carries the facts (shapes, op names) and a hint on the fix.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import ndgrad


def _raises_like_torch(fn, *, match: str | None = None, hint: str | None = None) -> str:
    """Run ``fn(lib)`` with PyTorch and ndgrad; both must raise the same class. Return the message.

    ``match`` must be found in ndgrad's message (PyTorch's wording); ``hint`` too (the fix).
    """
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as t_info:  # the class is what we compare
        fn(torch)
    with pytest.raises(t_info.type) as n_info:
        fn(ndgrad)
    msg = str(n_info.value)
    if match is not None:
        assert re.search(match, msg), msg
    if hint is not None:
        assert re.search(hint, msg, flags=re.IGNORECASE), msg
    return msg


# ------------------------------------------------------------------------------- backward


def test_backward_of_a_non_scalar_without_gradient_says_to_pass_one_or_reduce():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).backward()

    msg = _raises_like_torch(
        f, match="grad can be implicitly created only for scalar outputs", hint=r"sum\(\)"
    )
    assert re.search(r"\(2,\)|\[2\]", msg), msg  # the output's shape
    assert "ones_like" in msg


def test_gradient_of_the_wrong_shape_names_both_shapes():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x * 2).backward(lib.ones(3))

    msg = _raises_like_torch(f, match="Mismatch in shape", hint="shape")
    assert "3" in msg
    assert "2" in msg


def test_backward_of_a_tensor_that_never_required_grad_says_to_set_requires_grad():
    def f(lib):
        x = lib.tensor([1.0, 2.0])
        (x * 2).sum().backward()

    _raises_like_torch(f, match="does not require grad", hint="requires_grad=True")


def test_backward_after_no_grad_says_the_chain_was_cut_by_no_grad():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.no_grad():
            loss = (x * 2).sum()
        loss.backward()

    _raises_like_torch(f, match="does not require grad", hint=r"no_grad")


def test_backward_after_detach_says_the_chain_was_cut_by_detach():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x.detach() * 2).sum().backward()

    _raises_like_torch(f, match="does not require grad", hint=r"detach\(\)")


def test_backward_after_an_integer_cast_says_the_chain_was_cut_by_the_cast():
    def f(lib):
        x = lib.tensor([1.5, 2.5], requires_grad=True)
        (x.long() * 2).float().sum().backward()

    _raises_like_torch(f, match="does not require grad", hint=r"integer")


def test_second_backward_through_freed_values_says_to_retain_the_graph():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        y.backward()

    _raises_like_torch(
        f, match="Trying to backward through the graph a second time", hint="retain_graph=True"
    )


# ------------------------------------------------------------------------------- requires_grad


def test_requires_grad_on_an_integer_tensor_says_to_make_it_floating_point():
    def f(lib):
        lib.tensor([1, 2], requires_grad=True)

    _raises_like_torch(f, match="floating point", hint=r"float\(\)|dtype=")


def test_requires_grad_underscore_on_an_integer_tensor_says_to_make_it_floating_point():
    def f(lib):
        lib.tensor([1, 2]).requires_grad_()

    _raises_like_torch(f, match="floating point", hint=r"float\(\)|dtype=")


@pytest.mark.parametrize("value", [True, False])
def test_setting_requires_grad_on_a_non_leaf_says_to_use_detach(value):
    def f(lib):
        y = lib.tensor([1.0, 2.0], requires_grad=True) * 2
        y.requires_grad = value

    _raises_like_torch(f, match="leaf", hint=r"detach\(\)")


def test_reading_grad_of_a_non_leaf_warns_and_says_to_use_retain_grad():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match=r"retain_grad\(\)"):
        assert y.grad is None


def test_reading_grad_of_a_leaf_or_a_retained_non_leaf_does_not_warn():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None
        assert y.grad is None


def test_registering_a_hook_on_a_tensor_that_does_not_require_grad_says_what_to_do():
    def f(lib):
        lib.tensor([1.0]).register_hook(lambda g: g)

    _raises_like_torch(f, match="doesn't require grad", hint=r"requires_grad")


# ------------------------------------------------------------------------------- in-place


def test_in_place_on_a_leaf_that_requires_grad_says_to_use_no_grad():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.add_(1.0)

    _raises_like_torch(
        f,
        match="a leaf Variable that requires grad is being used in an in-place operation",
        hint=r"no_grad",
    )


def test_in_place_operator_on_a_leaf_that_requires_grad_raises_the_same_error():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x *= 2

    _raises_like_torch(f, match="leaf Variable that requires grad", hint=r"no_grad")


def test_in_place_on_a_view_of_a_leaf_that_requires_grad_says_how_to_avoid_it():
    def f(lib):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        x.view(4).mul_(2.0)

    _raises_like_torch(
        f, match="a view of a leaf Variable that requires grad", hint=r"no_grad|clone\(\)"
    )


def test_a_saved_input_modified_in_place_names_the_op_shape_and_versions():
    def f(lib):
        x = lib.tensor(np.ones((2, 3), np.float32).tolist(), requires_grad=True)
        a = x * 1
        y = a * a  # MulBackward0 saves a
        a.add_(1.0)
        y.sum().backward()

    msg = _raises_like_torch(
        f, match="modified by an inplace operation", hint=r"clone\(\)|out-of-place"
    )
    assert "MulBackward0" in msg
    assert "[2, 3]" in msg
    assert "version 1" in msg
    assert "expected version 0" in msg


def test_a_saved_output_modified_in_place_raises_as_in_pytorch():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()  # ExpBackward0 saves its output
        y.add_(1.0)
        y.sum().backward()

    msg = _raises_like_torch(
        f, match="modified by an inplace operation", hint=r"clone\(\)|out-of-place"
    )
    assert "ExpBackward0" in msg
    assert "version 1" in msg
    assert "expected version 0" in msg


# ------------------------------------------------------------------------------- autograd.grad


def test_an_unused_input_to_autograd_grad_says_to_set_allow_unused():
    def f(lib):
        x = lib.tensor(1.0, requires_grad=True)
        v = lib.tensor(1.0, requires_grad=True)
        lib.autograd.grad(x * 2, [x, v])

    _raises_like_torch(f, match="not have been used in the graph", hint="allow_unused=True")


def test_autograd_grad_with_an_input_that_does_not_require_grad():
    def f(lib):
        x = lib.tensor(1.0, requires_grad=True)
        c = lib.tensor(1.0)
        lib.autograd.grad(x * c, [c])

    _raises_like_torch(f, match="does not require grad", hint="requires_grad")


# ------------------------------------------------------------------------------- .grad


def test_assigning_a_grad_of_the_wrong_shape_names_both_shapes():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.grad = lib.zeros(3)

    msg = _raises_like_torch(f, hint="shape|size")
    assert re.search(r"\(3,\)|\[3\]", msg), msg
    assert re.search(r"\(2,\)|\[2\]", msg), msg


def test_assigning_a_grad_of_the_wrong_dtype_raises_as_in_pytorch():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.grad = lib.zeros(2, dtype=lib.float64)

    _raises_like_torch(f, match="float64|double", hint=r"\.to\(|dtype")


# ------------------------------------------------------------------------------- shapes


def test_shapes_that_do_not_broadcast_name_both_shapes():
    def f(lib):
        lib.ones(2, 3) + lib.ones(4)

    msg = _raises_like_torch(f, hint="broadcast")
    assert re.search(r"\(2, 3\)|\[2, 3\]", msg), msg
    assert re.search(r"\(4,\)|\[4\]", msg), msg


def test_item_of_a_tensor_with_many_elements_says_how_many():
    def f(lib):
        lib.tensor([1.0, 2.0]).item()

    _raises_like_torch(f, match="2 elements", hint=r"tolist\(\)|index")


@pytest.mark.parametrize(
    ("cut", "words"),
    [
        (lambda x: x.long() * 2, "integer"),
        (lambda x: x.detach() * 3, "detach()"),
        (lambda x: ndgrad.no_grad()(lambda: x * 2)().exp() + 1, "no_grad()"),
    ],
)
def test_backward_error_says_where_an_earlier_op_cut_the_chain(cut, words):
    x = ndgrad.tensor([1.5, 2.5], requires_grad=True)
    loss = cut(x).sum()  # the cut happened before the last op, not at it
    with pytest.raises(RuntimeError, match="does not require grad") as info:
        loss.backward()
    assert words in str(info.value)
    assert "hint:" in str(info.value)
