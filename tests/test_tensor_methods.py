"""The rest of the Tensor's methods (memory facts, type strings, comparisons, counting),
compared with PyTorch: same results, same dtypes, same exception classes."""

from __future__ import annotations

import types

import numpy as np
import pytest

import ndgrad

torch = pytest.importorskip("torch")


def same(a, b):
    """ndgrad result ``a`` equals torch result ``b`` (tensors, tuples of them, or plain values)."""
    if isinstance(b, tuple):
        assert isinstance(a, tuple)
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
        return
    if isinstance(b, torch.Tensor):
        assert isinstance(a, ndgrad.Tensor), type(a)
        assert tuple(a.shape) == tuple(b.shape)
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, equal_nan=True)
        return
    assert a == b


def run(fn, *arrays):
    """``fn(lib, *tensors)`` with each library; the results compared."""
    ours = fn(ndgrad, *(ndgrad.tensor(a) for a in arrays))
    theirs = fn(torch, *(torch.tensor(a) for a in arrays))
    same(ours, theirs)


A = np.arange(12.0, dtype=np.float32).reshape(3, 4)
INTS = np.array([3, 1, 2, 3, 1, 1, 0])


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, a: a.stride(),
        lambda lib, a: a.t().stride(),
        lambda lib, a: a[:, ::2].stride(),
        lambda lib, a: a.expand(2, 3, 4).stride(),
        lambda lib, a: a.stride(1),
        lambda lib, a: a[1:, 1:].storage_offset(),
        lambda lib, a: a.t().is_contiguous(),
        lambda lib, a: a.is_contiguous(),
        lambda lib, a: a.element_size(),
        lambda lib, a: a.double().element_size(),
        lambda lib, a: a.nbytes,
        lambda lib, a: a.itemsize,
        lambda lib, a: a.type(),
        lambda lib, a: a.long().type(),
        lambda lib, a: a.bool().type(),
        lambda lib, a: a.type(lib.float64),
        lambda lib, a: a.type("torch.IntTensor"),
        lambda lib, a: a.t().contiguous().is_contiguous(),
        lambda lib, a: a.t().contiguous(),
    ],
)
def test_memory_facts_and_type_strings_match_pytorch(fn):
    run(fn, A)


def test_memory_facts_of_shared_memory():
    a = ndgrad.arange(12.0).reshape(3, 4)
    assert a[1].data_ptr() == a.data_ptr() + 4 * a.element_size()
    assert a.cpu() is a
    assert a.contiguous() is a


def test_type_returns_pytorchs_string_so_scripts_comparing_it_work():
    assert ndgrad.ones(2).type() == "torch.FloatTensor"
    assert ndgrad.ones(2, dtype=ndgrad.float64).type() == "torch.DoubleTensor"
    with pytest.raises(ValueError, match="invalid type"):
        ndgrad.ones(2).type("torch.NoSuchTensor")


def test_contiguous_records_a_clone_for_a_non_contiguous_tensor():
    x = ndgrad.ones(2, 3, requires_grad=True)
    y = x.t().contiguous()
    assert y.grad_fn.name() == "CloneBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [[1.0] * 3] * 2


F = np.array([[1.0, np.nan, 3.0], [np.inf, -np.inf, 0.0]])


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, a: lib.isnan(a),
        lambda lib, a: a.isinf(),
        lambda lib, a: a.isfinite(),
        lambda lib, a: a.isposinf(),
        lambda lib, a: lib.isneginf(a),
        lambda lib, a: lib.isreal(a),
        lambda lib, a: a.nan_to_num(),
        lambda lib, a: lib.nan_to_num(a, nan=1.0, posinf=2.0),
        lambda lib, a: lib.isclose(a, a),
        lambda lib, a: lib.isclose(a, a, equal_nan=True),
        lambda lib, a: lib.allclose(a[:, 2], a[:, 2] + 1e-9),
        lambda lib, a: lib.equal(a[:, ::2], a[:, ::2]),
        lambda lib, a: lib.equal(a, a[:1]),
        lambda lib, a: a.any(),
        lambda lib, a: a.all(),
        lambda lib, a: (a == 0).any(dim=1),
        lambda lib, a: lib.all(a != 3, dim=0, keepdim=True),
        lambda lib, a: lib.count_nonzero(a),
        lambda lib, a: a.count_nonzero(dim=1),
        lambda lib, a: lib.nonzero(a == 0),
        lambda lib, a: a.nonzero(as_tuple=True),
        lambda lib, a: lib.argwhere(a > 0),
        lambda lib, a: lib.histc(a[0, ::2], bins=4, min=0, max=4),
    ],
)
def test_predicates_comparisons_and_positions_match_pytorch(fn):
    run(fn, F)


def test_nan_to_num_passes_the_gradient_only_where_finite():
    ours = ndgrad.tensor(F, requires_grad=True)
    theirs = torch.tensor(F, requires_grad=True)
    ours.nan_to_num().sum().backward()
    theirs.nan_to_num().sum().backward()
    assert ours.grad.tolist() == theirs.grad.tolist()


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, i: lib.unique(i),
        lambda lib, i: i.unique(return_inverse=True, return_counts=True),
        lambda lib, i: lib.unique(i.reshape(1, 7), return_inverse=True),
        lambda lib, i: lib.unique(lib.stack([i, i * 0, i]), dim=0, return_counts=True),
        lambda lib, i: lib.unique_consecutive(i),
        lambda lib, i: i.unique_consecutive(return_inverse=True, return_counts=True),
        lambda lib, i: lib.unique_consecutive(lib.stack([i, i]).t(), dim=0),
        lambda lib, i: lib.bincount(i),
        lambda lib, i: i.bincount(minlength=6),
        lambda lib, i: lib.bincount(i, weights=i.double() / 2),
        lambda lib, i: lib.bincount(i, weights=i.float()),
        lambda lib, i: lib.searchsorted(lib.tensor([0, 1, 3, 5]), i),
        lambda lib, i: lib.searchsorted(lib.tensor([0, 1, 3, 5]), i, right=True),
        lambda lib, i: lib.searchsorted(lib.tensor([0, 1, 3, 5]), i, side="right", out_int32=True),
        lambda lib, i: lib.searchsorted(lib.tensor([[0, 1, 3], [1, 2, 3]]), i[:6].reshape(2, 3)),
        lambda lib, i: lib.searchsorted(lib.tensor([0, 1, 3, 5]), 2),
        lambda lib, i: lib.bucketize(i, lib.tensor([1, 3])),
        lambda lib, i: lib.bucketize(i, lib.tensor([1, 3]), right=True),
    ],
)
def test_counting_matches_pytorch(fn):
    run(fn, INTS)


@pytest.mark.parametrize(
    ("fn", "error"),
    [
        (lambda lib: lib.bincount(lib.tensor([-1, 2])), RuntimeError),
        (lambda lib: lib.bincount(lib.tensor([[1, 2]])), RuntimeError),
        (lambda lib: lib.bincount(lib.tensor([1.0])), RuntimeError),
        (lambda lib: lib.bucketize(lib.tensor([1]), lib.tensor([[1, 2]])), RuntimeError),
        (
            lambda lib: lib.searchsorted(lib.tensor([1, 2]), lib.tensor([1]), side="middle"),
            RuntimeError,
        ),
        (lambda lib: lib.isclose(lib.ones(2), lib.ones(2).double()), RuntimeError),
    ],
)
def test_errors_have_pytorchs_classes(fn, error):
    with pytest.raises(error):
        fn(torch)
    with pytest.raises(error):
        fn(ndgrad)


def test_every_method_of_the_issue_exists_on_tensor_and_at_top_level_where_torch_has_it():
    methods = [
        "type_as",
        "view_as",
        "expand_as",
        "reshape_as",
        "contiguous",
        "is_contiguous",
        "stride",
        "storage_offset",
        "data_ptr",
        "element_size",
        "nbytes",
        "itemsize",
        "cpu",
        "type",
        "allclose",
        "isclose",
        "equal",
        "isnan",
        "isinf",
        "isfinite",
        "isreal",
        "isneginf",
        "isposinf",
        "nan_to_num",
        "any",
        "all",
        "count_nonzero",
        "nonzero",
        "argwhere",
        "unique",
        "unique_consecutive",
        "bincount",
        "histc",
        "unflatten",
    ]
    assert [m for m in methods if not hasattr(ndgrad.Tensor, m)] == []
    functions = [
        m
        for m in [*methods, "searchsorted", "bucketize"]
        if hasattr(torch, m) and not isinstance(getattr(torch, m), types.ModuleType)  # torch.cpu
    ]
    assert [f for f in functions if not hasattr(ndgrad, f)] == []


def test_add_and_sub_take_alpha_like_torch_and_its_gradient_scales_other():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = ndgrad.tensor([3.0, 4.0], requires_grad=True)
    z = ndgrad.add(x, y, alpha=2) + x.sub(y, alpha=0.5)
    assert z.tolist() == [1 + 6 + 1 - 1.5, 2 + 8 + 2 - 2.0]
    z.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    assert y.grad.tolist() == [1.5, 1.5]
    w = ndgrad.ones(2)
    w.add_(ndgrad.ones(2), alpha=-3).sub_(1, alpha=2)
    assert w.tolist() == [-4.0, -4.0]


def test_layout_and_kind_facts_conjugate_transposes_and_legacy_new_answer_as_torch():
    t = ndgrad.tensor([[1 + 2j, 3j], [1, 2]])
    np.testing.assert_array_equal(t.mH.numpy(), t.numpy().conj().T)
    np.testing.assert_array_equal(t.H.numpy(), t.numpy().conj().T)
    assert not t.is_sparse
    assert not t.is_quantized
    assert t.is_cpu
    assert t.layout is ndgrad.strided
    assert t.get_device() == -1
    assert ndgrad.typename(t) == "torch.ComplexFloatTensor"
    assert tuple(t.new(2, 3).shape) == (2, 3)
    assert t.new([1, 2]).dtype == t.dtype
    x = ndgrad.ones(2, requires_grad=True)
    assert x.clone(memory_format=ndgrad.contiguous_format).grad_fn.name() == "CloneBackward0"
    with pytest.raises(RuntimeError, match="only supported on matrices"):
        _ = ndgrad.ones(3).H


def test_operators_return_not_implemented_for_unknown_operands_so_their_reflection_runs():
    class Units:
        def __rmul__(self, other):
            return "Units.__rmul__"

        def __radd__(self, other):
            return "Units.__radd__"

    t = ndgrad.tensor([1.0, 2.0])
    assert t * Units() == "Units.__rmul__"
    assert t + Units() == "Units.__radd__"
    with pytest.raises(TypeError, match="unsupported operand"):
        _ = t / object()
    with pytest.raises(RuntimeError, match="Could not infer dtype"):
        ndgrad.mul(t, object())  # the function itself still says what it cannot take


def test_div_takes_rounding_mode_like_torch():
    x, y = ndgrad.tensor([5.0, -5.0]), ndgrad.tensor([2.0, 2.0])
    assert ndgrad.div(x, y, rounding_mode="floor").tolist() == [2.0, -3.0]
    assert x.div(y, rounding_mode="trunc").tolist() == [2.0, -2.0]
    assert ndgrad.divide(x, y, rounding_mode=None).tolist() == [2.5, -2.5]
    assert ndgrad.div(ndgrad.tensor([5, -5]), 2, rounding_mode="floor").dtype == ndgrad.int64
    z = x.clone()
    z.div_(y, rounding_mode="floor")
    assert z.tolist() == [2.0, -3.0]
    with pytest.raises(RuntimeError, match="rounding_mode to be one of None, 'trunc', or 'floor'"):
        ndgrad.div(x, y, rounding_mode="round")
