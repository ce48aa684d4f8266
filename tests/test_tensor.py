"""The Tensor, by the sentences a PyTorch user relies on: attributes, factories, dtypes, methods.

Where a test is about behaviour it runs the same code through PyTorch (when installed) and compares.
"""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad


def _torch():
    return pytest.importorskip("torch")


def _dtype_name(d) -> str:
    """``float32`` for ``ndgrad.float32`` and ``torch.float32`` alike."""
    return str(d).split(".")[-1]


def _np(t) -> np.ndarray:
    """The values of an ndgrad or torch tensor as a NumPy array."""
    if type(t).__module__.startswith("torch"):
        return t.detach().cpu().numpy()
    return t.detach().numpy()


# ------------------------------------------------------------------------------------- .data


def test_data_is_a_tensor_that_does_not_require_grad_and_shares_memory():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert isinstance(d, ndgrad.Tensor)
    assert not d.requires_grad
    assert d.is_leaf
    d.numpy()[0] = 5.0
    assert x.tolist() == [5.0, 2.0]


def test_setting_data_keeps_the_leaf_its_requires_grad_and_its_grad():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    x.data = x.data - 0.5 * x.grad
    assert x.is_leaf
    assert x.requires_grad
    assert x.grad_fn is None
    assert x.grad.tolist() == [3.0, 3.0]
    np.testing.assert_allclose(x.tolist(), [-0.5, 0.5])


def test_setting_data_may_change_the_shape_as_in_pytorch():
    torch = _torch()
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.data = lib.ones(3)
        assert tuple(x.shape) == (3,)
        assert x.is_leaf
        assert x.requires_grad


def test_data_has_its_own_version_counter():
    torch = _torch()
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        d = x.data
        d.add_(1.0)
        assert d._version == 1
        assert x._version == 0, lib.__name__


def test_in_place_change_through_data_is_not_seen_by_backward_as_in_pytorch():
    torch = _torch()
    grads = []
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        x.data.mul_(2.0)  # no version bump: PyTorch does not complain, the gradient uses new x
        y.sum().backward()
        grads.append(_np(x.grad))
    np.testing.assert_allclose(grads[1], grads[0])


def test_setting_data_does_not_bump_the_version():
    torch = _torch()
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x.data = lib.tensor([3.0, 4.0])
        assert x._version == 0


# ------------------------------------------------------------------------------------- .grad


def test_grad_is_none_until_backward():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    assert x.grad is None


def test_grad_can_be_assigned_a_tensor_of_the_same_shape_or_none():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    x.grad = ndgrad.tensor([0.5, 0.5])
    assert x.grad.tolist() == [0.5, 0.5]
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.5, 2.5]
    x.grad = None
    assert x.grad is None


def test_grad_can_be_deleted():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    del x.grad
    assert x.grad is None


# ----------------------------------------------------------------------------- requires_grad


def test_requires_grad_can_be_set_on_a_leaf():
    x = ndgrad.tensor([1.0, 2.0])
    assert not x.requires_grad
    x.requires_grad = True
    assert x.requires_grad
    assert x.is_leaf
    x.requires_grad = False
    assert not x.requires_grad


def test_requires_grad_underscore_returns_the_tensor_itself():
    x = ndgrad.tensor([1.0, 2.0])
    assert x.requires_grad_() is x
    assert x.requires_grad
    assert x.requires_grad_(False) is x
    assert not x.requires_grad


def test_requires_grad_true_on_a_non_leaf_that_requires_grad_is_a_no_op_as_in_pytorch():
    torch = _torch()
    for lib in (torch, ndgrad):
        y = lib.tensor([1.0, 2.0], requires_grad=True) * 2
        assert y.requires_grad_() is y
        assert y.requires_grad
        assert not y.is_leaf


def test_the_result_of_an_op_requires_grad_when_an_input_does():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    c = ndgrad.tensor([3.0, 4.0])
    assert (x * c).requires_grad
    assert not (c * c).requires_grad


# ----------------------------------------------------------------------------- grad_fn, is_leaf


def test_leaves_have_no_grad_fn():
    x = ndgrad.tensor([1.0], requires_grad=True)
    assert x.grad_fn is None
    assert x.is_leaf


def test_grad_fn_has_pytorchs_name_and_repr():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.grad_fn.name() == "MulBackward0"
    assert repr(y.grad_fn).startswith("<MulBackward0")
    assert "grad_fn=<MulBackward0>" in repr(y)


def test_next_functions_point_to_accumulate_grad_of_leaves_and_none_for_constants():
    torch = _torch()
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        (acc, i), (none, j) = y.grad_fn.next_functions
        assert acc.name().endswith("AccumulateGrad")  # torch: "torch::autograd::AccumulateGrad"
        assert acc.variable is x
        assert (i, none, j) == (0, None, 0)
        z = y.exp()
        assert z.grad_fn.next_functions[0][0] is y.grad_fn


def test_next_functions_show_one_accumulate_grad_per_leaf():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    a = (x * 2).grad_fn.next_functions[0][0]
    b = (x * 3).grad_fn.next_functions[0][0]
    assert a is b


_GRAD_FN_CASES = {
    "mul": lambda lib, x, z, c: x * z,
    "add": lambda lib, x, z, c: x + z,
    "add_scalar": lambda lib, x, z, c: x + 1,
    "sub": lambda lib, x, z, c: x - z,
    "div": lambda lib, x, z, c: x / z,
    "neg": lambda lib, x, z, c: -x,
    "pow_scalar": lambda lib, x, z, c: x**2,
    "exp": lambda lib, x, z, c: x.exp(),
    "log": lambda lib, x, z, c: x.log(),
    "sin": lambda lib, x, z, c: x.sin(),
    "cos": lambda lib, x, z, c: x.cos(),
    "tanh": lambda lib, x, z, c: x.tanh(),
    "sum": lambda lib, x, z, c: x.sum(),
    "view": lambda lib, x, z, c: x.view(6),
    "reshape": lambda lib, x, z, c: x.reshape(3, 2),
    "expand": lambda lib, x, z, c: x.reshape(1, 2, 3).expand(2, 2, 3),
    "clone": lambda lib, x, z, c: x.clone(),
    "to": lambda lib, x, z, c: x.to(lib.float64),
    "where": lambda lib, x, z, c: lib.where(c, x, z),
}


@pytest.mark.parametrize("case", sorted(_GRAD_FN_CASES))
def test_grad_fn_names_match_pytorch(case):
    torch = _torch()
    f = _GRAD_FN_CASES[case]
    names = []
    for lib in (torch, ndgrad):
        x = lib.tensor(np.linspace(0.5, 2.0, 6).reshape(2, 3).tolist(), requires_grad=True)
        z = lib.tensor(np.linspace(1.0, 3.0, 6).reshape(2, 3).tolist(), requires_grad=True)
        c = lib.tensor([[True, False, True], [False, True, False]])
        names.append(f(lib, x, z, c).grad_fn.name())
    assert names[1] == names[0]


def test_results_of_ops_on_tensors_that_do_not_require_grad_are_leaves():
    x = ndgrad.tensor([1.0, 2.0])
    y = x * 2
    assert y.is_leaf
    assert y.grad_fn is None


def test_results_under_no_grad_are_leaves_that_do_not_require_grad():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    with ndgrad.no_grad():
        y = x * 2
    assert y.is_leaf
    assert not y.requires_grad


def test_is_leaf_is_false_for_results_of_recorded_ops():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    assert not (x * 2).is_leaf


# ------------------------------------------------------------------------------------ facts


def test_shape_dtype_device_ndim_size_dim_numel():
    x = ndgrad.zeros(2, 3)
    assert x.shape == (2, 3)
    assert isinstance(x.shape, ndgrad.Size)
    assert repr(x.shape) == "ndgrad.Size([2, 3])"
    assert x.size() == (2, 3)
    assert x.size(1) == 3
    assert x.size(-1) == 3
    assert x.dtype is ndgrad.float32
    assert x.device == ndgrad.device("cpu")
    assert x.device.type == "cpu"
    assert x.ndim == 2
    assert x.dim() == 2
    assert x.numel() == 6


def test_transpose_attributes_T_and_mT_match_pytorch():
    torch = _torch()
    a = np.arange(24.0).reshape(2, 3, 4)
    m = ndgrad.tensor(a[0])
    np.testing.assert_array_equal(m.T.numpy(), torch.tensor(a[0]).T.numpy())
    np.testing.assert_array_equal(ndgrad.tensor(a).mT.numpy(), torch.tensor(a).mT.numpy())


def test_version_starts_at_zero_and_counts_in_place_ops():
    x = ndgrad.tensor([1.0, 2.0])
    assert x._version == 0
    x.add_(1.0)
    x.mul_(2.0)
    assert x._version == 2
    x += 1
    assert x._version == 3


def test_views_share_the_version_counter_of_their_base():
    torch = _torch()
    for lib in (torch, ndgrad):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        v = x.view(4)
        v.add_(1.0)
        assert (x._version, v._version) == (1, 1), lib.__name__
        x.mul_(2.0)
        assert v._version == 2
        np.testing.assert_array_equal(_np(v), [4.0, 6.0, 8.0, 10.0])


# --------------------------------------------------------------------------------- factories


def test_tensor_copies_its_data():
    a = np.arange(3.0)
    t = ndgrad.tensor(a)
    a[0] = 5.0
    assert t.tolist() == [0.0, 1.0, 2.0]
    assert t.dtype is ndgrad.float64  # NumPy arrays keep their dtype


def test_from_numpy_shares_memory_both_ways():
    a = np.arange(3.0)
    t = ndgrad.from_numpy(a)
    a[0] = 5.0
    assert t.tolist() == [5.0, 1.0, 2.0]
    t.add_(1.0)
    assert a.tolist() == [6.0, 2.0, 3.0]
    assert t.dtype is ndgrad.float64


def test_as_tensor_shares_memory_with_numpy_and_returns_tensors_as_they_are():
    a = np.arange(3.0)
    t = ndgrad.as_tensor(a)
    a[1] = 7.0
    assert t.tolist() == [0.0, 7.0, 2.0]
    assert ndgrad.as_tensor(t) is t
    assert ndgrad.as_tensor([1, 2]).dtype is ndgrad.int64
    assert ndgrad.as_tensor(a, dtype=ndgrad.float32).dtype is ndgrad.float32


_FACTORY_CASES = {
    "tensor_float_list": lambda lib: lib.tensor([1.0, 2.0]),
    "tensor_int_list": lambda lib: lib.tensor([1, 2]),
    "tensor_mixed_list": lambda lib: lib.tensor([1, 2.5]),
    "tensor_bool": lambda lib: lib.tensor(True),
    "tensor_int_scalar": lambda lib: lib.tensor(3),
    "tensor_float_scalar": lambda lib: lib.tensor(3.5),
    "tensor_empty": lambda lib: lib.tensor([]),
    "tensor_nested": lambda lib: lib.tensor([[1.0, 2.0], [3.0, 4.0]]),
    "tensor_dtype": lambda lib: lib.tensor([1, 2], dtype=lib.float64),
    "tensor_python_type_float": lambda lib: lib.tensor([1, 2], dtype=float),
    "tensor_python_type_int": lambda lib: lib.tensor([1.0, 2.0], dtype=int),
    "legacy_data": lambda lib: lib.Tensor([1, 2]),
    "legacy_empty_tuple": lambda lib: lib.Tensor(()),
    "zeros_ints": lambda lib: lib.zeros(2, 3),
    "zeros_tuple": lambda lib: lib.zeros((2, 3)),
    "zeros_list": lambda lib: lib.zeros([2, 3]),
    "zeros_0d": lambda lib: lib.zeros(()),
    "zeros_dtype": lambda lib: lib.zeros(2, dtype=lib.int64),
    "ones": lambda lib: lib.ones(2, 3),
    "ones_0d": lambda lib: lib.ones(()),
    "full_float": lambda lib: lib.full((2,), 3.0),
    "full_int": lambda lib: lib.full((2,), 3),
    "full_bool": lambda lib: lib.full((2,), True),
    "full_dtype": lambda lib: lib.full((2, 2), 1, dtype=lib.float64),
    "zeros_like": lambda lib: lib.zeros_like(lib.tensor([1, 2])),
    "ones_like_dtype": lambda lib: lib.ones_like(lib.tensor([1, 2]), dtype=lib.float64),
    "full_like": lambda lib: lib.full_like(lib.tensor([1.0, 2.0]), 7),
    "arange_int": lambda lib: lib.arange(5),
    "arange_float": lambda lib: lib.arange(5.0),
    "arange_start_end_step": lambda lib: lib.arange(0, 1, 0.25),
    "arange_int_step": lambda lib: lib.arange(1, 10, 3),
    "linspace": lambda lib: lib.linspace(0, 1, 5),
    "eye_square": lambda lib: lib.eye(3),
    "eye_rect": lambda lib: lib.eye(2, 3),
}


@pytest.mark.parametrize("case", sorted(_FACTORY_CASES))
def test_factories_give_pytorchs_values_shapes_and_dtypes(case):
    torch = _torch()
    f = _FACTORY_CASES[case]
    t, n = f(torch), f(ndgrad)
    assert isinstance(n, ndgrad.Tensor)
    assert tuple(n.shape) == tuple(t.shape)
    assert _dtype_name(n.dtype) == _dtype_name(t.dtype)
    np.testing.assert_array_equal(n.numpy(), t.numpy())


def test_tensor_with_dtype_float64_keeps_the_full_precision_of_python_floats():
    torch = _torch()
    for data in (0.1, [0.7, -1.3], [[1 / 3]]):
        n = ndgrad.tensor(data, dtype=ndgrad.float64)
        t = torch.tensor(data, dtype=torch.float64)
        assert n.dtype is ndgrad.float64
        assert n.tolist() == t.tolist()


def test_legacy_tensor_constructor_with_sizes_makes_that_shape():
    t = ndgrad.Tensor(2, 3)
    assert t.shape == (2, 3)
    assert t.dtype is ndgrad.float32


@pytest.mark.parametrize(
    "make",
    [
        lambda: ndgrad.empty(2, 3),
        lambda: ndgrad.empty((2, 3)),
        lambda: ndgrad.empty_like(ndgrad.zeros(2, 3)),
        lambda: ndgrad.rand(2, 3),
        lambda: ndgrad.rand((2, 3)),
        lambda: ndgrad.randn(2, 3),
        lambda: ndgrad.randn((2, 3)),
    ],
)
def test_uninitialised_and_random_factories_take_shapes_as_ints_or_a_tuple(make):
    t = make()
    assert t.shape == (2, 3)
    assert t.dtype is ndgrad.float32


def test_random_factories_accept_an_empty_shape():
    assert ndgrad.rand(()).shape == ()
    assert ndgrad.randn(()).shape == ()
    assert ndgrad.empty(()).shape == ()


def test_rand_is_in_the_unit_interval_and_randint_in_its_range():
    u = ndgrad.rand(1000).numpy()
    assert u.min() >= 0.0
    assert u.max() < 1.0
    r = ndgrad.randint(3, 7, (1000,))
    assert r.dtype is ndgrad.int64
    assert set(r.tolist()) == {3, 4, 5, 6}
    r = ndgrad.randint(5, (4, 2))
    assert r.shape == (4, 2)
    assert r.numpy().min() >= 0
    assert r.numpy().max() < 5


def test_random_factories_take_a_dtype():
    assert ndgrad.rand(2, dtype=ndgrad.float64).dtype is ndgrad.float64
    assert ndgrad.randn(2, dtype=ndgrad.float64).dtype is ndgrad.float64
    assert ndgrad.randint(0, 3, (2,), dtype=ndgrad.int32).dtype is ndgrad.int32


def test_manual_seed_makes_random_numbers_reproducible():
    ndgrad.manual_seed(42)
    a = (ndgrad.rand(5).tolist(), ndgrad.randn(5).tolist(), ndgrad.randint(0, 100, (5,)).tolist())
    ndgrad.manual_seed(42)
    b = (ndgrad.rand(5).tolist(), ndgrad.randn(5).tolist(), ndgrad.randint(0, 100, (5,)).tolist())
    assert a == b
    ndgrad.manual_seed(43)
    assert ndgrad.rand(5).tolist() != a[0]


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: ndgrad.tensor([1.0, 2.0], **kw),
        lambda **kw: ndgrad.zeros(2, **kw),
        lambda **kw: ndgrad.ones((2,), **kw),
        lambda **kw: ndgrad.full((2,), 1.5, **kw),
        lambda **kw: ndgrad.empty(2, **kw),
        lambda **kw: ndgrad.zeros_like(ndgrad.ones(2), **kw),
        lambda **kw: ndgrad.ones_like(ndgrad.ones(2), **kw),
        lambda **kw: ndgrad.arange(2.0, **kw),
        lambda **kw: ndgrad.linspace(0, 1, 2, **kw),
        lambda **kw: ndgrad.eye(2, **kw),
        lambda **kw: ndgrad.rand(2, **kw),
        lambda **kw: ndgrad.randn(2, **kw),
    ],
)
def test_factories_take_dtype_device_and_requires_grad(make):
    t = make(dtype=ndgrad.float64, device="cpu", requires_grad=True)
    assert t.dtype is ndgrad.float64
    assert t.device == ndgrad.device("cpu")
    assert t.requires_grad
    assert t.is_leaf
    t2 = make(device=ndgrad.device("cpu"))
    assert not t2.requires_grad
    assert t2.dtype is ndgrad.float32


# ------------------------------------------------------------------------------------ dtypes


def test_dtype_aliases_are_pytorchs():
    assert ndgrad.float is ndgrad.float32
    assert ndgrad.double is ndgrad.float64
    assert ndgrad.long is ndgrad.int64
    assert ndgrad.half is ndgrad.float16
    assert ndgrad.int is ndgrad.int32
    assert repr(ndgrad.float32) == "ndgrad.float32"
    assert ndgrad.float32.is_floating_point
    assert not ndgrad.int64.is_floating_point


def test_python_numbers_and_lists_become_the_default_dtype():
    assert ndgrad.get_default_dtype() is ndgrad.float32
    assert ndgrad.tensor([1.5]).dtype is ndgrad.float32
    assert ndgrad.tensor(1.5).dtype is ndgrad.float32
    ndgrad.set_default_dtype(ndgrad.float64)
    assert ndgrad.get_default_dtype() is ndgrad.float64
    assert ndgrad.tensor([1.5]).dtype is ndgrad.float64
    assert ndgrad.zeros(2).dtype is ndgrad.float64
    assert ndgrad.tensor([1, 2]).dtype is ndgrad.int64
    assert (ndgrad.tensor([1, 2]) * 0.5).dtype is ndgrad.float64


def test_numpy_arrays_keep_their_dtype():
    assert ndgrad.tensor(np.zeros(2, np.float64)).dtype is ndgrad.float64
    assert ndgrad.tensor(np.zeros(2, np.int32)).dtype is ndgrad.int32
    assert ndgrad.tensor(np.zeros(2, np.float16)).dtype is ndgrad.float16


def test_set_default_dtype_refuses_integer_types():
    with pytest.raises(TypeError, match="float"):
        ndgrad.set_default_dtype(ndgrad.int64)


_PROMOTION_CASES = {
    "int64_times_python_float": lambda lib: lib.tensor([1, 2]) * 2.5,
    "int64_plus_python_int": lambda lib: lib.tensor([1, 2]) + 3,
    "int32_plus_python_int": lambda lib: lib.tensor([1, 2], dtype=lib.int32) + 3,
    "float32_plus_float64": lambda lib: lib.ones(2) + lib.ones(2, dtype=lib.float64),
    "float32_plus_float64_0d": lambda lib: lib.ones(2) + lib.tensor(1.0, dtype=lib.float64),
    "int32_plus_int64": lambda lib: lib.ones(2, dtype=lib.int32) + lib.ones(2, dtype=lib.int64),
    "int32_times_float64_0d": lambda lib: (
        lib.ones(2, dtype=lib.int32) * lib.tensor(2.5, dtype=lib.float64)
    ),
    "float64_0d_plus_int64_0d": lambda lib: lib.tensor(1.0, dtype=lib.float64) + lib.tensor(1),
    "int_divided_by_int": lambda lib: lib.tensor([1, 2]) / 2,
    "bool_plus_int": lambda lib: lib.tensor([True]) + 1,
    "bool_plus_float": lambda lib: lib.tensor([True]) + 1.5,
    "float16_plus_python_float": lambda lib: lib.ones(2, dtype=lib.float16) + 1.5,
    "float64_times_python_float": lambda lib: lib.ones(2, dtype=lib.float64) * 2.5,
    "python_float_minus_int64": lambda lib: 2.5 - lib.tensor([1, 2]),
    "int64_pow_python_float": lambda lib: lib.tensor([1, 2]) ** 0.5,
    "exp_of_int64": lambda lib: lib.tensor([1, 2]).exp(),
    "where_int_and_float": lambda lib: lib.where(
        lib.tensor([True, False]), lib.tensor([1, 2]), 0.5
    ),
}


@pytest.mark.parametrize("case", sorted(_PROMOTION_CASES))
def test_type_promotion_follows_pytorch(case):
    torch = _torch()
    f = _PROMOTION_CASES[case]
    t, n = f(torch), f(ndgrad)
    assert _dtype_name(n.dtype) == _dtype_name(t.dtype)
    np.testing.assert_allclose(n.numpy(), t.numpy(), rtol=1e-6)


# ------------------------------------------------------------------------------------ devices


def test_device_cpu_and_cuda_availability():
    d = ndgrad.device("cpu")
    assert d.type == "cpu"
    assert str(d) == "cpu"
    assert repr(d) == "device(type='cpu')"
    assert ndgrad.device("cuda:1").index == 1
    assert ndgrad.cuda.is_available() is False
    assert ndgrad.tensor([1.0]).device == d
    assert not ndgrad.tensor([1.0]).is_cuda


def test_set_default_device_is_used_by_factories():
    try:
        ndgrad.set_default_device("cpu")
        assert ndgrad.get_default_device() == ndgrad.device("cpu")
        assert ndgrad.zeros(2).device == ndgrad.device("cpu")
    finally:
        ndgrad.set_default_device(None)


def test_asking_for_cuda_without_a_gpu_says_so():
    with pytest.raises(RuntimeError, match="CUDA"):
        ndgrad.zeros(2, device="cuda")


# ------------------------------------------------------------------------------------ methods


def test_detach_shares_memory_and_the_version_counter_but_not_the_graph():
    torch = _torch()
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        d = x.detach()
        assert not d.requires_grad
        assert d.is_leaf
        d.add_(1.0)
        assert x._version == 1, lib.__name__
        np.testing.assert_array_equal(_np(x), [2.0, 3.0])


def test_detach_underscore_makes_a_non_leaf_a_leaf_in_place():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert y.is_leaf
    assert not y.requires_grad
    assert y.grad_fn is None


def test_retain_grad_keeps_the_grad_of_a_non_leaf():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    assert not y.retains_grad
    y.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    assert y.grad.tolist() == [6.0, 12.0]
    assert x.grad.tolist() == [18.0, 36.0]


def test_retains_grad_is_false_on_leaves_as_in_pytorch():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    x.retain_grad()
    assert not x.retains_grad


def test_register_hook_returns_a_removable_handle():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    h = x.register_hook(lambda g: g * 2)
    (x * 1).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    h.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_item_and_tolist():
    assert ndgrad.tensor([[1.5]]).item() == 1.5
    assert isinstance(ndgrad.tensor(3).item(), int)
    assert ndgrad.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert ndgrad.tensor(2.5).tolist() == 2.5
    x = ndgrad.tensor([2.0], requires_grad=True)
    assert x.item() == 2.0  # item works on tensors that require grad


def test_numpy_shares_memory_and_refuses_tensors_that_require_grad():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        x.numpy()
    a = x.detach().numpy()
    assert isinstance(a, np.ndarray)
    a[0] = 9.0
    assert x.tolist() == [9.0, 2.0]


def test_clone_copies_memory_and_stays_in_the_graph():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0"
    assert not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    (c * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_casting_methods_give_pytorchs_dtypes():
    x = ndgrad.tensor([1.5, 2.5])
    assert x.float() is x or x.float().dtype is ndgrad.float32
    assert x.double().dtype is ndgrad.float64
    assert x.long().dtype is ndgrad.int64
    assert x.long().tolist() == [1, 2]
    assert x.to(ndgrad.float64).dtype is ndgrad.float64
    assert x.to("cpu").dtype is ndgrad.float32
    assert x.to(ndgrad.zeros(1, dtype=ndgrad.float64)).dtype is ndgrad.float64
    assert ndgrad.tensor([1, 2]).float().dtype is ndgrad.float32


def test_cast_to_float64_is_differentiable_and_grad_keeps_the_leaf_dtype():
    torch = _torch()
    grads = []
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.double() * x.to(lib.float64)
        assert _dtype_name(y.dtype) == "float64"
        y.sum().backward()
        assert _dtype_name(x.grad.dtype) == "float32"
        grads.append(_np(x.grad))
    np.testing.assert_allclose(grads[1], grads[0])


def test_cast_to_an_integer_dtype_cuts_the_graph():
    x = ndgrad.tensor([1.5, 2.5], requires_grad=True)
    y = x.long()
    assert not y.requires_grad
    assert y.is_leaf


_REPR_CASES = {
    "float_integral": lambda lib: lib.tensor([1.0, 2.0, 3.0]),
    "float_fraction": lambda lib: lib.tensor([1.5, 2.25]),
    "float_negative": lambda lib: lib.tensor([-1.5, 2.0]),
    "float_scalar": lambda lib: lib.tensor(3.0),
    "float_scalar_fraction": lambda lib: lib.tensor(0.5),
    "float_small_and_large": lambda lib: lib.tensor([1e-5, 1.0]),
    "float_wide_range": lambda lib: lib.tensor([0.1, 20000.0]),
    "int": lambda lib: lib.tensor([1, 2, 3]),
    "int_negative": lambda lib: lib.tensor([-1, 20, 3]),
    "int32": lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    "bool": lambda lib: lib.tensor([True, False]),
    "bool_all_true": lambda lib: lib.tensor([True, True]),
    "requires_grad": lambda lib: lib.tensor([1.0, 2.0], requires_grad=True),
    "grad_fn": lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) * 2,
    "float64": lambda lib: lib.tensor([1.5, 2.25], dtype=lib.float64),
    "float64_requires_grad": lambda lib: lib.tensor(
        [1.5, 2.25], dtype=lib.float64, requires_grad=True
    ),
    "two_d": lambda lib: lib.tensor([[1.0, 2.0], [3.0, 4.0]]),
    "two_d_fraction": lambda lib: lib.tensor([[1.5, -2.0], [3.25, 4.0]]),
    "two_d_grad_fn": lambda lib: lib.tensor([[1.5] * 3] * 2, requires_grad=True) * 2,
    "empty": lambda lib: lib.tensor([]),
}


@pytest.mark.parametrize("case", sorted(_REPR_CASES))
def test_repr_looks_like_pytorchs(case):
    torch = _torch()
    f = _REPR_CASES[case]
    assert repr(f(ndgrad)) == repr(f(torch)).replace("torch.", "ndgrad.")


def test_array_protocol_gives_numpy_the_values():
    x = ndgrad.tensor([1.0, 2.0])
    a = np.asarray(x)
    assert a.dtype == np.float32
    assert a.tolist() == [1.0, 2.0]
    assert np.asarray(x, dtype=np.float64).dtype == np.float64


def test_len_is_the_first_dimension():
    assert len(ndgrad.zeros(4, 2)) == 4
    with pytest.raises(TypeError):
        len(ndgrad.tensor(1.0))


def test_iteration_goes_over_the_first_dimension():
    x = ndgrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    rows = list(x)
    assert len(rows) == 2
    assert all(isinstance(r, ndgrad.Tensor) for r in rows)
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(TypeError):
        iter(ndgrad.tensor(1.0))


def test_one_element_tensors_convert_to_python_numbers():
    assert bool(ndgrad.tensor([0.0])) is False
    assert bool(ndgrad.tensor(2.0)) is True
    assert float(ndgrad.tensor([2.5])) == 2.5
    assert int(ndgrad.tensor(3.7)) == 3
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ndgrad.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError):
        float(ndgrad.tensor([1.0, 2.0]))


_REFLECTED = {
    "rsub": lambda x: 2 - x,
    "rtruediv": lambda x: 2 / x,
    "rpow": lambda x: 2**x,
    "rmul": lambda x: 2 * x,
    "radd": lambda x: 2 + x,
    "neg": lambda x: -x,
    "pos": lambda x: +x * 1,
}


@pytest.mark.parametrize("case", sorted(_REFLECTED))
def test_reflected_operators_match_pytorch_values_and_gradients(case):
    torch = _torch()
    f = _REFLECTED[case]
    out = []
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = f(x)
        y.sum().backward()
        out.append((_np(y), _np(x.grad), _dtype_name(y.dtype)))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-6)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-6)
    assert out[1][2] == out[0][2]


def test_numpy_array_on_the_left_gives_a_tensor():
    x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    y = np.ones(2, np.float32) + x
    assert isinstance(y, ndgrad.Tensor)
    assert y.requires_grad
    assert (np.full(2, 3.0, np.float32) * x).tolist() == [3.0, 6.0]


def test_in_place_operators_bump_the_version_and_match_pytorch_gradients():
    torch = _torch()
    out = []
    for lib in (torch, ndgrad):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        y += 1
        y *= 2
        y -= 1
        y /= 2
        y **= 2
        assert y._version == 5
        y.sum().backward()
        out.append((_np(y), _np(x.grad)))
    np.testing.assert_allclose(out[1][0], out[0][0])
    np.testing.assert_allclose(out[1][1], out[0][1])


def test_in_place_operator_keeps_the_same_tensor_object():
    x = ndgrad.tensor([1.0, 2.0])
    y = x
    y += 1
    assert y is x
    assert x.tolist() == [2.0, 3.0]


def test_in_place_on_a_tensor_that_does_not_require_grad_can_start_tracking():
    torch = _torch()
    out = []
    for lib in (torch, ndgrad):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        a = lib.zeros(2)
        a.add_(w * 3)
        assert a.requires_grad
        assert not a.is_leaf
        a.sum().backward()
        out.append(_np(w.grad))
    np.testing.assert_allclose(out[1], out[0])


def test_device_strings_are_checked_as_torch_checks_them():
    assert str(ndgrad.device("cuda:0")) == "cuda:0"
    for bad in ("cuda:-1", "cuda:x", "cuda:01", "cuda: 1"):
        with pytest.raises(RuntimeError, match="Invalid device string"):
            ndgrad.device(bad)
    with pytest.raises(RuntimeError, match="must not be negative"):
        ndgrad.device("cuda", -1)
