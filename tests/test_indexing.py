"""Indexing, in-place writes through views, and shape ops: hand-written semantics vs PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad
from ndgrad.autograd import forward_ad


def _torch():
    return pytest.importorskip("torch")


def _run(lib, f, arrays, weight_seed=0):
    """f(lib, *tensors) with float64 tensors that require grad; (output, grads) as NumPy."""
    xs = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
    out = f(lib, *xs)
    w = np.random.default_rng(weight_seed).standard_normal(tuple(out.shape))
    out.backward(lib.tensor(w))
    grads = [None if x.grad is None else x.grad.detach().numpy().copy() for x in xs]
    return out.detach().numpy().copy(), grads


def assert_same_as_torch(f, *arrays):
    torch = _torch()
    ours = _run(ndgrad, f, arrays)
    theirs = _run(torch, f, arrays)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-12, err_msg="forward")
    for a, b in zip(ours[1], theirs[1], strict=True):
        if b is None:
            assert a is None or not a.any()
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg="gradient")
    return ours


def _raises_like_torch(f):
    """f(lib) raises the same exception class in ndgrad and PyTorch; return both messages."""
    torch = _torch()
    errors = []
    for lib in (torch, ndgrad):
        with pytest.raises(Exception) as info:  # the class is compared with PyTorch's below
            f(lib)
        errors.append(info.value)
    assert type(errors[1]) is type(errors[0]), (errors[1], errors[0])
    return str(errors[1]), str(errors[0])


@pytest.fixture
def x34():
    return np.random.default_rng(3).standard_normal((3, 4))


# ------------------------------------------------------------------------------- getitem


def test_repeated_integer_indices_accumulate_their_gradients():
    x = ndgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_repeated_rows_accumulate_like_pytorch(x34):
    assert_same_as_torch(lambda lib, x: x[lib.tensor([2, 0, 2, 2])] * 3, x34)


def test_boolean_mask_selects_elements_and_scatters_the_gradient_back(x34):
    mask = x34 > 0
    out, (g,) = assert_same_as_torch(lambda lib, x: x[lib.tensor(mask)] ** 2, x34)
    assert out.shape == (int(mask.sum()),)
    assert not g[~mask].any()


def test_negative_indices_count_from_the_end(x34):
    x = ndgrad.tensor(x34)
    np.testing.assert_array_equal(x[-1].numpy(), x34[-1])
    np.testing.assert_array_equal(x[-1, -2].numpy(), x34[-1, -2])
    np.testing.assert_array_equal(x[[-1, 0]].numpy(), x34[[-1, 0]])
    assert_same_as_torch(lambda lib, x: x[lib.tensor([-1, -3, -1])], x34)


GETITEM_KEYS = {
    "int": lambda lib: 1,
    "negative int": lambda lib: -2,
    "two ints": lambda lib: (2, -1),
    "slice with step": lambda lib: slice(None, None, 2),
    "slice out of range": lambda lib: slice(1, 10),
    "column": lambda lib: (slice(None), 1),
    "None": lambda lib: (None, 1),
    "None in the middle": lambda lib: (slice(0, 2), None, slice(1, 3)),
    "ellipsis": lambda lib: (Ellipsis, 2),
    "empty tuple": lambda lib: (),
    "int list": lambda lib: [0, 2, 2],
    "int tensor": lambda lib: lib.tensor([[0, 1], [2, 2]]),
    "0-d int tensor": lambda lib: lib.tensor(1),
    "two arrays": lambda lib: (lib.tensor([0, 1, 1]), lib.tensor([3, 3, 0])),
    "array and slice": lambda lib: (slice(1, 3), lib.tensor([1, 1, 0])),
    "row mask": lambda lib: lib.tensor([True, False, True]),
    "mask and slice": lambda lib: (lib.tensor([False, True, True]), slice(0, 2)),
    "full mask": lambda lib: lib.tensor(np.arange(12).reshape(3, 4) % 3 == 0),
    "True": lambda lib: True,
    "empty list": lambda lib: lib.tensor([], dtype=lib.int64),
}


@pytest.mark.parametrize("name", sorted(GETITEM_KEYS))
def test_getitem_values_and_gradients_match_pytorch(name, x34):
    key = GETITEM_KEYS[name]
    assert_same_as_torch(lambda lib, x: x[key(lib)], x34)


def test_separated_integer_arrays_move_their_dims_first_as_in_numpy():
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    out, _ = assert_same_as_torch(lambda lib, x: x[lib.tensor([0, 1]), :, lib.tensor([3, 0])], a)
    assert out.shape == (2, 3)


def test_basic_indexing_gives_a_view_that_shares_memory_and_version(x34):
    x = ndgrad.tensor(x34)
    row = x[1]
    assert row._base is x
    row.mul_(0.0)
    assert not x.numpy()[1].any()
    assert x._version == row._version == 1
    assert x[1:, ::2]._base is x


def test_integer_array_indexing_gives_a_copy(x34):
    x = ndgrad.tensor(x34)
    rows = x[[1, 2]]
    assert rows._base is None
    rows.mul_(0.0)
    np.testing.assert_array_equal(x.numpy(), x34)
    assert x[ndgrad.tensor(1)]._base is None  # a 0-d integer tensor is an index array too


def test_grad_fn_names_match_pytorch(x34):
    torch = _torch()
    keys = [1, slice(1, None), (slice(None), 2), (None, slice(0, 1)), [0, 1]]
    for key in keys:
        names = [
            (lib.tensor(x34, requires_grad=True) * 1)[key].grad_fn.name() for lib in (torch, ndgrad)
        ]
        assert names[1] == names[0], key


def test_a_list_holding_a_slice_is_a_tuple_key_with_pytorchs_warning(x34):
    x = ndgrad.tensor(x34)
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        y = x[[slice(0, 2), 1]]
    np.testing.assert_array_equal(y.numpy(), x34[0:2, 1])


GETITEM_ERRORS = {
    "out of bounds": lambda lib, x: x[5],
    "negative out of bounds": lambda lib, x: x[:, -5],
    "array out of bounds": lambda lib, x: x[lib.tensor([0, 3])],
    "too many indices": lambda lib, x: x[0, 0, 0],
    "float": lambda lib, x: x[1.0],
    "float tensor": lambda lib, x: x[lib.tensor([1.0])],
    "negative step": lambda lib, x: x[::-1],
    "mask shape": lambda lib, x: x[lib.tensor([True, False])],
    "0-d tensor": lambda lib, x: x[0, 0][0],
}


@pytest.mark.parametrize("name", sorted(GETITEM_ERRORS))
def test_indexing_errors_match_pytorch(name, x34):
    ours, theirs = _raises_like_torch(lambda lib: GETITEM_ERRORS[name](lib, lib.tensor(x34)))
    assert ours.split(";")[0].split(" (")[0] in theirs


# ------------------------------------------------------------------------------- setitem

SETITEM_CASES = {
    "row from a tensor": lambda lib, x, v: _set(x * 1, 1, v[0]),
    "broadcast value": lambda lib, x, v: _set(x * 1, (slice(0, 2), slice(1, 3)), v[0, :1]),
    "python scalar": lambda lib, x, v: _set(x * 1, (Ellipsis, 2), 7.0) * v,
    "integer arrays": lambda lib, x, v: _set(x * 1, (lib.tensor([2, 0]),), v[1:]),
    "mask": lambda lib, x, v: _set(x * 1, x > 0, v[0, 0] * 3),
    "column of a zeros buffer": lambda lib, x, v: _set(
        lib.zeros(3, 4, dtype=lib.float64), (slice(None), 0), v[:, 1] + x[0, :3]
    ),
    "twice into one region": lambda lib, x, v: _set(_set(x * 2, 0, v[0]), (0, slice(1, 3)), 0.0),
}


def _set(t, key, value):
    t[key] = value
    return t


@pytest.mark.parametrize("name", sorted(SETITEM_CASES))
def test_setitem_records_history_and_gradients_match_pytorch(name, x34):
    v = np.random.default_rng(5).standard_normal((3, 4))
    assert_same_as_torch(SETITEM_CASES[name], x34, v)


def test_setitem_gives_copy_slices_and_index_put_nodes_as_in_pytorch(x34):
    torch = _torch()
    for key, value in ((0, 5.0), ([0, 1], 5.0)):
        names = []
        for lib in (torch, ndgrad):
            y = lib.tensor(x34, requires_grad=True) * 1
            y[key] = value
            names.append(y.grad_fn.name())
        assert names[1] in (names[0], "CopySlices"), key


def test_setitem_makes_a_plain_buffer_part_of_the_graph():
    w = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    buf = ndgrad.zeros(2, 3, dtype=ndgrad.float64)
    buf[:, 1] = w * w
    assert buf.requires_grad
    assert not buf.is_leaf
    buf.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0])


def test_setitem_on_a_leaf_that_requires_grad_raises_as_in_pytorch():
    def f(lib):
        x = lib.zeros(3, requires_grad=True)
        x[0] = 1.0

    ours, _ = _raises_like_torch(f)
    assert "leaf Variable that requires grad" in ours


def test_setitem_under_no_grad_writes_into_a_leaf_without_history():
    x = ndgrad.zeros(3, requires_grad=True)
    with ndgrad.no_grad():
        x[1] = 4.0
    assert x.is_leaf
    assert x.grad_fn is None
    np.testing.assert_array_equal(x.detach().numpy(), [0.0, 4.0, 0.0])


def test_setitem_bumps_the_version_so_saved_values_are_checked():
    def f(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        z = y * y  # saves y
        y[0] = 0.0
        z.sum().backward()

    ours, _ = _raises_like_torch(f)
    assert "modified by an inplace operation" in ours


def test_setitem_with_a_value_that_does_not_broadcast_raises(x34):
    ours, _ = _raises_like_torch(lambda lib: _set(lib.tensor(x34), [0, 1], lib.ones(3)))
    assert ours.startswith("shape mismatch: value tensor of shape [3] cannot be broadcast")
    ours, theirs = _raises_like_torch(lambda lib: _set(lib.tensor(x34), slice(0, 2), lib.ones(3)))
    assert ours == theirs


def test_setitem_with_an_index_array_needs_equal_dtypes_as_in_pytorch():
    ours, theirs = _raises_like_torch(
        lambda lib: _set(lib.zeros(3), [0], lib.tensor([1.5], dtype=lib.float64))
    )
    assert ours.startswith(theirs)


def test_setitem_with_basic_indexing_casts_like_copy():
    x = ndgrad.zeros(3, dtype=ndgrad.int64)
    x[0] = 1.7
    x[1:] = ndgrad.tensor([2.9, 3.2])
    np.testing.assert_array_equal(x.numpy(), [1, 2, 3])
    f = ndgrad.zeros(2)
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        f[0] = ndgrad.tensor(1 + 2j)
    assert f[0].item() == 1.0


def test_setitem_refuses_a_list_value_as_pytorch_does():
    _raises_like_torch(lambda lib: _set(lib.zeros(3), slice(0, 2), [1.0, 2.0]))


def test_setitem_into_an_expanded_tensor_asks_for_a_clone():
    x = ndgrad.zeros(3, 1).expand(3, 4)
    with pytest.raises(RuntimeError, match="clone"):
        x[0] = 1.0  # its 4 elements are one memory location (x[0, 0] is allowed, as in PyTorch)


def test_setitem_carries_tangents_in_forward_mode():
    with forward_ad.dual_level():
        x = forward_ad.make_dual(ndgrad.tensor([1.0, 2.0, 3.0]), ndgrad.tensor([1.0, 1.0, 1.0]))
        v = forward_ad.make_dual(ndgrad.tensor(5.0), ndgrad.tensor(10.0))
        y = x * 2
        y[1] = v
        t = forward_ad.unpack_dual(y).tangent
    np.testing.assert_array_equal(t.numpy(), [2.0, 10.0, 2.0])


def test_setitem_through_a_view_carries_tangents_to_the_base():
    with forward_ad.dual_level():
        x = forward_ad.make_dual(ndgrad.tensor([1.0, 2.0, 3.0]), ndgrad.tensor([1.0, 1.0, 1.0]))
        v = forward_ad.make_dual(ndgrad.tensor(5.0), ndgrad.tensor(10.0))
        y = x * 2
        tail = y[1:]
        tail[0] = v
        assert forward_ad.unpack_dual(y).tangent.tolist() == [2.0, 10.0, 2.0]
        assert forward_ad.unpack_dual(tail).tangent.tolist() == [10.0, 2.0]


# ------------------------------------------------------------------------------- in place


def test_augmented_assignment_on_an_index_of_a_non_leaf_matches_pytorch(x34):
    def f(lib, x):
        y = x * 2
        y[0] += 1
        y[1, 2:] *= x[2, 2:]
        return y * y

    assert_same_as_torch(f, x34)


def test_inplace_method_on_a_getitem_view_rebases_the_base(x34):
    def f(lib, x):
        y = x.sin()
        y[1].mul_(3)
        return y.sin()

    assert_same_as_torch(f, x34)
    y = ndgrad.tensor(x34, requires_grad=True).sin()
    y[1].mul_(3)
    assert y.grad_fn.name() == "CopySlices"


def test_inplace_on_a_view_of_a_view_reaches_the_root(x34):
    def f(lib, x):
        y = x * 2
        a = y[1]
        b = a[1:3]
        b.mul_(x[0, :2])
        return y * a.sum()

    assert_same_as_torch(f, x34)


def test_inplace_through_transpose_and_unsqueeze_views(x34):
    def f(lib, x):
        y = x * 1
        y.t()[1].add_(x[0, :3])
        z = y.unsqueeze(0).permute(0, 2, 1)
        z[0, 1:3] *= 2
        return y**2

    assert_same_as_torch(f, x34)


def test_other_views_of_a_base_see_its_new_history(x34):
    def f(lib, x):
        y = x.sin()
        rows = y[0:2]
        y[1] = x[2] ** 2  # rows shares that memory
        return rows * 3 + y.sum()

    assert_same_as_torch(f, x34)


def test_inplace_on_a_view_of_a_leaf_that_requires_grad_raises_as_in_pytorch():
    def f(lib):
        x = lib.zeros(3, requires_grad=True)
        x[0] += 1

    ours, _ = _raises_like_torch(f)
    assert "view of a leaf Variable" in ours


def test_inplace_on_a_view_of_a_plain_buffer_with_a_value_that_requires_grad():
    def f(lib, w):
        buf = lib.zeros(2, 3, dtype=lib.float64)
        buf[1].add_(w[0])
        return buf * 2

    assert_same_as_torch(f, np.array([[1.0, 2.0, 3.0]]))


# ------------------------------------------------------------------------------- gather & co


def test_gather_scatter_adds_its_gradient_like_pytorch(x34):
    idx = np.array([[0, 2, 2, 1], [2, 2, 2, 2]])
    assert_same_as_torch(lambda lib, x: lib.gather(x, 0, lib.tensor(idx)) ** 2, x34)
    assert_same_as_torch(lambda lib, x: x.gather(1, lib.tensor([[3, 3], [0, 0], [1, 3]])), x34)


@pytest.mark.parametrize("case", ["ndim", "size", "bounds", "dtype"])
def test_gather_errors_match_pytorch(case, x34):
    bad = {
        "ndim": lambda lib: lib.tensor([0, 1]),
        "size": lambda lib: lib.tensor([[0] * 5]),
        "bounds": lambda lib: lib.tensor([[0, 3]]),
        "dtype": lambda lib: lib.tensor([[0.0]]),
    }[case]
    ours, theirs = _raises_like_torch(lambda lib: lib.tensor(x34).gather(0, bad(lib)))
    assert ours.split(";")[0] == theirs.split(";")[0]


def test_scatter_add_adds_repeats_and_its_inplace_form_matches(x34):
    idx = np.array([[0, 0, 2, 0]])

    def f(lib, x, src):
        out = lib.scatter_add(x, 0, lib.tensor(idx), src)
        y = x * 1
        y.scatter_add_(0, lib.tensor(idx), src * 2)
        return out + y

    assert_same_as_torch(f, x34, np.ones((1, 4)) * 0.5)


def test_index_select_adds_repeated_indices(x34):
    assert_same_as_torch(lambda lib, x: lib.index_select(x, 1, lib.tensor([3, 0, 3])), x34)
    ours, _ = _raises_like_torch(lambda lib: lib.tensor(x34).index_select(0, lib.tensor([3])))
    assert ours.startswith("index out of range in self")


def test_masked_fill_and_its_inplace_form_match_pytorch(x34):
    mask = x34 > 0.3

    def f(lib, x, v):
        a = x.masked_fill(lib.tensor(mask), v[0] * 2)
        b = x * 1
        b.masked_fill_(lib.tensor(mask[0]), -1.0)
        return a * b

    assert_same_as_torch(f, x34, np.array([0.7]))
    _raises_like_torch(lambda lib: lib.tensor(x34).masked_fill(lib.tensor(x34), 0.0))


def test_take_along_dim_broadcasts_and_flattens_like_pytorch(x34):
    idx = np.array([[0], [3], [1]])
    assert_same_as_torch(lambda lib, x: lib.take_along_dim(x, lib.tensor(idx), dim=1), x34)
    assert_same_as_torch(lambda lib, x: lib.take_along_dim(x, lib.tensor([11, 0, 0])), x34)


# ------------------------------------------------------------------------------- shape ops


def test_split_chunk_and_unbind_give_one_node_per_piece_and_correct_gradients(x34):
    def f(lib, x):
        a, b = x.split([1, 3], dim=1)
        c = x.chunk(2)
        d = x.unbind(1)
        return a.sum() * b + c[1].sum() + d[2].sum()

    assert_same_as_torch(f, x34)
    pieces = ndgrad.tensor(x34, requires_grad=True).split(2)
    assert [p.shape[0] for p in pieces] == [2, 1]
    assert pieces[0].grad_fn is not pieces[1].grad_fn
    assert [p.shape[0] for p in ndgrad.zeros(6).chunk(4)] == [2, 2, 2]


def test_split_and_chunk_errors_match_pytorch():
    _raises_like_torch(lambda lib: lib.zeros(4).split([1, 2]))
    _raises_like_torch(lambda lib: lib.zeros(4).chunk(0))
    _raises_like_torch(lambda lib: lib.zeros(4).split(0))


def test_cat_promotes_dtypes_and_sends_each_input_its_slice():
    torch = _torch()
    for lib in (ndgrad, torch):
        out = lib.cat([lib.zeros(2, dtype=lib.float64), lib.zeros(3, dtype=lib.int64)])
        assert str(out.dtype).split(".")[-1] == "float64"
    a, b = np.ones((2, 3)), np.arange(3.0).reshape(1, 3)
    assert_same_as_torch(lambda lib, a, b: lib.concat([a * b, b, a], dim=0) ** 2, a, b)
    assert_same_as_torch(lambda lib, a, b: lib.concatenate((b, a), axis=-2), a, b)


def test_cat_of_many_tensors_keeps_one_rule_per_position():
    xs = [ndgrad.tensor([float(i)], requires_grad=True) for i in range(40)]
    (ndgrad.cat(xs) * ndgrad.arange(40.0)).sum().backward()
    assert [x.grad.item() for x in xs] == [float(i) for i in range(40)]


@pytest.mark.parametrize("case", ["sizes", "ndim", "empty", "zero-dim", "stack"])
def test_cat_and_stack_errors_match_pytorch(case):
    f = {
        "sizes": lambda lib: lib.cat([lib.zeros(2, 3), lib.zeros(3, 2)]),
        "ndim": lambda lib: lib.cat([lib.zeros(2, 3), lib.zeros(3)]),
        "empty": lambda lib: lib.cat([]),
        "zero-dim": lambda lib: lib.cat([lib.zeros(()), lib.zeros(())]),
        "stack": lambda lib: lib.stack([lib.zeros(2, 3), lib.zeros(3, 2)]),
    }[case]
    ours, theirs = _raises_like_torch(f)
    assert ours.split(";")[0][:30] == theirs[:30] or case == "empty"


def test_stack_and_cat_skip_legacy_empty_tensors_like_pytorch():
    a = np.ones((2, 3))
    assert_same_as_torch(lambda lib, a: lib.cat([a, lib.zeros(0, dtype=lib.float64)], dim=1) * 2, a)
    assert_same_as_torch(lambda lib, a: lib.stack([a, a * 2], dim=-1), a)


def test_transposes_match_pytorch_with_its_deprecation_warnings():
    torch = _torch()
    a = np.random.default_rng(1).standard_normal((2, 3, 4))
    assert_same_as_torch(lambda lib, x: x.mT * 1, a)
    assert_same_as_torch(lambda lib, x: x.swapaxes(0, 2).movedim(0, -1), a)
    assert_same_as_torch(lambda lib, x: x[0].t() + x[1].T, a)
    for lib in (torch, ndgrad):
        with pytest.warns(UserWarning, match="deprecated"):
            assert tuple(lib.zeros(2, 3, 4).T.shape) == (4, 3, 2)
    _raises_like_torch(lambda lib: lib.zeros(3).mT)
    _raises_like_torch(lambda lib: lib.zeros(2, 3, 4).t())
    _raises_like_torch(lambda lib: lib.zeros(2, 3).transpose(0, 3))
    _raises_like_torch(lambda lib: lib.zeros(2, 3).permute(0, 0))
    _raises_like_torch(lambda lib: lib.zeros(2, 3).permute(0))


def test_squeeze_unsqueeze_flatten_and_unflatten_match_pytorch():
    a = np.random.default_rng(2).standard_normal((1, 3, 1, 2))
    assert_same_as_torch(lambda lib, x: x.squeeze((0, 2)).unsqueeze(-1) * 2, a)
    assert_same_as_torch(lambda lib, x: x.squeeze(1).flatten(1) * 1, a)
    assert_same_as_torch(lambda lib, x: x.flatten().unflatten(0, (3, -1)), a)
    x = ndgrad.tensor(a)
    assert x.flatten(1, 1) is x
    assert x.flatten()._base is x
    assert tuple(ndgrad.tensor(2.0).flatten().shape) == (1,)
    _raises_like_torch(lambda lib: lib.zeros(2, 3).flatten(1, 0))
    _raises_like_torch(lambda lib: lib.zeros(2, 3).unsqueeze(3))


def test_reshape_copies_when_the_layout_needs_it_and_view_refuses():
    x = ndgrad.arange(6.0).reshape(2, 3)
    flat = x.t().reshape(-1)
    assert flat._base is None  # a copy: writing to it leaves x alone
    flat.mul_(0.0)
    assert x.sum().item() == 15.0
    _raises_like_torch(lambda lib: lib.arange(6.0).reshape(2, 3).t().view(-1))


def test_repeat_and_flip_match_pytorch_and_flip_copies():
    a = np.random.default_rng(4).standard_normal((2, 3))
    assert_same_as_torch(lambda lib, x: x.repeat(2, 1, 3) ** 2, a)
    assert_same_as_torch(lambda lib, x: x.flip(0, 1) * lib.flip(x, (1,)), a)
    x = ndgrad.tensor(a)
    f = x.flip(0)
    f.mul_(0.0)
    np.testing.assert_array_equal(x.numpy(), a)
    _raises_like_torch(lambda lib: lib.zeros(2, 3).repeat(2))
    _raises_like_torch(lambda lib: lib.zeros(2, 3).flip(0, 0))


def test_narrow_and_select_match_pytorch():
    a = np.random.default_rng(6).standard_normal((4, 5))
    assert_same_as_torch(lambda lib, x: x.narrow(1, -3, 2) + x.select(0, -1)[:2], a)
    _raises_like_torch(lambda lib: lib.zeros(4).narrow(0, 2, 3))
    _raises_like_torch(lambda lib: lib.zeros(4).narrow(0, 5, 0))
    _raises_like_torch(lambda lib: lib.zeros(4).select(0, 4))


# ------------------------------------------------------------------------------- backends


def test_indexing_and_setitem_run_on_array_api_strict():
    xps = pytest.importorskip("array_api_strict")
    a = np.random.default_rng(8).standard_normal((3, 4))
    x = ndgrad.as_tensor(xps.asarray(a)).requires_grad_()
    y = x * 1
    y[ndgrad.tensor([0, 0])] = x[2, :] * 2
    y[1] = 0.0
    out = (y[y.detach() > 0] ** 2).sum() + y[:, 1:3].sum()
    out.backward()
    assert type(x.grad._data).__module__.startswith("array_api_strict")
    xn = ndgrad.tensor(a, requires_grad=True)
    yn = xn * 1
    yn[ndgrad.tensor([0, 0])] = xn[2, :] * 2
    yn[1] = 0.0
    ((yn[yn.detach() > 0] ** 2).sum() + yn[:, 1:3].sum()).backward()
    np.testing.assert_allclose(np.asarray(x.grad), xn.grad.numpy(), rtol=1e-12)


def test_no_warnings_for_plain_indexing(x34):
    x = ndgrad.tensor(x34, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x[0, 1:3].sum().backward()
        x[[0, 1]].sum().backward()


def test_where_with_the_condition_alone_gives_the_indices_and_a_non_bool_condition_is_refused():
    c = ndgrad.tensor([[True, False], [False, True]])
    rows, cols = ndgrad.where(c)
    assert rows.tolist() == [0, 1]
    assert cols.tolist() == [0, 1]
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor"):
        ndgrad.where(ndgrad.tensor([1.0, 0.0]), ndgrad.ones(2), ndgrad.zeros(2))
    with pytest.raises(TypeError, match="invalid combination of arguments"):
        ndgrad.where(c, ndgrad.ones(2, 2))
