"""Hand-written tests of the linear-algebra ops: PyTorch's rank cases, errors and operators.

The op table (test_op_table.py) already checks every op's gradients on its samples; these tests
pin down the cases by name and compare with PyTorch where it is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad
from ndgrad.autograd import forward_ad

try:
    import torch
except ImportError:  # pragma: no cover - torch is an optional test dependency
    torch = None

needs_torch = pytest.mark.skipif(
    torch is None, reason="PyTorch is not installed (pip install '.[torch]')"
)


def _arrays(rng, *shapes):
    return [rng.standard_normal(s) for s in shapes]


def _both(fn_nd, fn_torch, arrays, *extra):
    """Run the op in ndgrad and PyTorch on float64 copies; compare values and gradients."""
    ours = [ndgrad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn_nd(*ours, *extra)
    tout = fn_torch(*theirs, *extra)
    assert tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    v = np.random.default_rng(0).standard_normal(tuple(out.shape))
    out.backward(ndgrad.tensor(v))
    tout.backward(torch.tensor(v))
    for a, b in zip(ours, theirs, strict=True):
        assert a.grad.shape == tuple(b.grad.shape)
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)


def _same_error(fn_nd, fn_torch):
    """ndgrad raises PyTorch's exception class with PyTorch's message, then a hint."""
    with pytest.raises(Exception) as theirs:  # whatever PyTorch raises
        fn_torch()
    with pytest.raises(type(theirs.value)) as ours:
        fn_nd()
    expected = str(theirs.value).splitlines()[0]
    assert str(ours.value).startswith(expected), (str(ours.value), expected)
    assert "hint:" in str(ours.value)


MATMUL_CASES = [
    ((3,), (3,)),  # dot product -> 0-d
    ((2, 3), (3, 4)),  # matrix product
    ((3,), (3, 4)),  # 1-D on the left: a row, removed again
    ((2, 3), (3,)),  # 1-D on the right: a column, removed again
    ((5, 2, 3), (3, 4)),  # batch times matrix
    ((5, 2, 3), (3,)),  # batch times vector
    ((3,), (5, 3, 4)),  # vector times batch
    ((2, 3), (5, 3, 4)),  # matrix times batch
    ((5, 2, 3), (5, 3, 4)),  # batch times batch
    ((2, 1, 2, 3), (5, 3, 4)),  # batch dimensions broadcast
    ((1, 2, 3), (5, 1, 3, 4)),
]


@needs_torch
@pytest.mark.parametrize(("sa", "sb"), MATMUL_CASES, ids=str)
def test_matmul_values_and_gradients_equal_pytorch(sa, sb):
    rng = np.random.default_rng(1)
    _both(ndgrad.matmul, torch.matmul, _arrays(rng, sa, sb))


@pytest.mark.parametrize(("sa", "sb"), MATMUL_CASES, ids=str)
def test_matmul_operator_and_method_agree_with_function(sa, sb):
    a, b = (ndgrad.tensor(x) for x in _arrays(np.random.default_rng(2), sa, sb))
    expected = ndgrad.matmul(a, b).numpy()
    np.testing.assert_array_equal((a @ b).numpy(), expected)
    np.testing.assert_array_equal(a.matmul(b).numpy(), expected)


def test_matmul_of_two_vectors_is_zero_dimensional():
    out = ndgrad.tensor([1.0, 2.0]) @ ndgrad.tensor([3.0, 4.0])
    assert out.shape == ()
    assert out.item() == 11.0


def test_ndarray_on_the_left_of_at_gives_a_tensor_through_rmatmul():
    a = ndgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = np.eye(2, dtype=np.float32) @ a
    assert isinstance(out, ndgrad.Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.ones((2, 2)))


def test_at_with_a_python_number_is_a_type_error_as_in_pytorch():
    with pytest.raises(TypeError, match="unsupported operand"):
        ndgrad.ones(2, 2) @ 2.0
    with pytest.raises(TypeError, match="unsupported operand"):
        2.0 @ ndgrad.ones(2, 2)


@needs_torch
def test_matmul_second_order_equals_pytorch():
    rng = np.random.default_rng(3)
    a, b = _arrays(rng, (4, 2, 3), (3, 2))
    x, y = ndgrad.tensor(a, requires_grad=True), ndgrad.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (gx,) = ndgrad.autograd.grad((x @ y).sin().sum(), [x], create_graph=True)
    (tgx,) = torch.autograd.grad((tx @ ty).sin().sum(), [tx], create_graph=True)
    (gy,) = ndgrad.autograd.grad((gx * gx).sum(), [y])
    (tgy,) = torch.autograd.grad((tgx * tgx).sum(), [ty])
    np.testing.assert_allclose(gy.numpy(), tgy.numpy(), rtol=1e-10)


def test_matmul_forward_mode_is_the_product_rule():
    rng = np.random.default_rng(4)
    a, b, da, db = _arrays(rng, (2, 3), (3,), (2, 3), (3,))
    with forward_ad.dual_level():
        out = forward_ad.make_dual(ndgrad.tensor(a), ndgrad.tensor(da)) @ forward_ad.make_dual(
            ndgrad.tensor(b), ndgrad.tensor(db)
        )
        tangent = forward_ad.unpack_dual(out).tangent
    np.testing.assert_allclose(tangent.numpy(), da @ b + a @ db, rtol=1e-12)


@needs_torch
@pytest.mark.parametrize(
    ("name", "shapes"),
    [
        ("mm", ((2, 3), (3, 4))),
        ("bmm", ((5, 2, 3), (5, 3, 4))),
        ("dot", ((3,), (3,))),
        ("mv", ((2, 3), (3,))),
        ("outer", ((3,), (4,))),
    ],
)
def test_fixed_rank_products_equal_pytorch(name, shapes):
    rng = np.random.default_rng(5)
    _both(getattr(ndgrad, name), getattr(torch, name), _arrays(rng, *shapes))
    x, y = (ndgrad.tensor(a) for a in _arrays(rng, *shapes))
    np.testing.assert_array_equal(getattr(x, name)(y).numpy(), getattr(ndgrad, name)(x, y).numpy())


def test_outer_promotes_dtypes_and_casts_gradients_back():
    a = ndgrad.tensor([1.0, 2.0], dtype=ndgrad.float32, requires_grad=True)
    b = ndgrad.tensor([1.0, 2.0, 3.0], dtype=ndgrad.float64, requires_grad=True)
    out = ndgrad.outer(a, b)
    assert out.dtype is ndgrad.float64
    out.sum().backward()
    assert a.grad.dtype is ndgrad.float32
    assert b.grad.dtype is ndgrad.float64
    np.testing.assert_allclose(a.grad.numpy(), [6.0, 6.0])
    np.testing.assert_allclose(b.grad.numpy(), [3.0, 3.0, 3.0])


def _z(*shape, dtype=np.float64):
    return np.zeros(shape, dtype=dtype)


ERROR_CASES = {
    "matmul 0-d": ("matmul", _z(), _z(3)),
    "matmul vector lengths": ("matmul", _z(3), _z(4)),
    "matmul matrices": ("matmul", _z(2, 3), _z(4, 5)),
    "matmul vector matrix": ("matmul", _z(3), _z(4, 5)),
    "matmul matrix vector": ("matmul", _z(2, 3), _z(4)),
    "matmul folded batch": ("matmul", _z(2, 2, 3), _z(4, 5)),
    "matmul folded batch vector": ("matmul", _z(2, 2, 4, 5), _z(3)),
    "matmul batch inner": ("matmul", _z(2, 2, 3), _z(2, 4, 5)),
    "matmul vector batch": ("matmul", _z(3), _z(2, 4, 5)),
    "matmul batch broadcast": ("matmul", _z(2, 2, 3), _z(3, 3, 5)),
    "matmul dtypes": ("matmul", _z(2, 3), _z(3, 2, dtype=np.float32)),
    "matmul dtypes vectors": ("matmul", _z(3), _z(3, dtype=np.float32)),
    "matmul dtypes batched": ("matmul", _z(2, 2, 3), _z(2, 3, 2, dtype=np.float32)),
    "matmul int and float": ("matmul", _z(2, 3), _z(3, 2, dtype=np.int64)),
    "mm vector": ("mm", _z(3), _z(3, 2)),
    "mm batch": ("mm", _z(2, 3), _z(2, 3, 2)),
    "mm shapes": ("mm", _z(2, 3), _z(4, 5)),
    "bmm 2-d": ("bmm", _z(2, 3), _z(3, 2)),
    "bmm batch sizes": ("bmm", _z(2, 2, 3), _z(3, 3, 2)),
    "bmm dtypes": ("bmm", _z(2, 2, 3), _z(2, 3, 2, dtype=np.float32)),
    "dot 2-d": ("dot", _z(2, 3), _z(2, 3)),
    "dot lengths": ("dot", _z(3), _z(4)),
    "mv vector": ("mv", _z(3), _z(3)),
    "mv lengths": ("mv", _z(2, 3), _z(4)),
    "mv dtypes": ("mv", _z(2, 3), _z(3, dtype=np.float32)),
    "outer matrix": ("outer", _z(2, 3), _z(3)),
    "outer vec2 matrix": ("outer", _z(3), _z(2, 3)),
    "tril vector": ("tril", _z(3)),
    "triu vector": ("triu", _z(3)),
    "diag 3-d": ("diag", _z(2, 2, 2)),
    "diag 0-d": ("diag", _z()),
    "trace vector": ("trace", _z(3)),
    "trace batch": ("trace", _z(2, 3, 3)),
}


@needs_torch
@pytest.mark.parametrize("case", list(ERROR_CASES), ids=str)
def test_shape_and_dtype_errors_are_pytorchs_with_a_hint(case):
    name, *arrays = ERROR_CASES[case]
    _same_error(
        lambda: getattr(ndgrad, name)(*[ndgrad.tensor(a) for a in arrays]),
        lambda: getattr(torch, name)(*[torch.from_numpy(a) for a in arrays]),
    )


@needs_torch
@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("matmul", (3,)),
        ("mm", (2, 3)),
        ("bmm", (2, 2, 3)),
        ("dot", (3,)),
        ("mv", (2, 3)),
        ("outer", (3,)),
    ],
)
def test_a_python_number_as_second_operand_is_a_type_error(name, shape):
    _same_error(
        lambda: getattr(ndgrad, name)(ndgrad.zeros(*shape), 2.0),
        lambda: getattr(torch, name)(torch.zeros(*shape), 2.0),
    )


# ---------------------------------------------------------------- einsum

EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output
    ("ba", [(2, 3)]),  # implicit output is sorted: a transpose
    ("aB", [(2, 3)]),  # upper case sorts first
    ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij->", [(2, 3)]),
    ("i j , j k -> i k", [(2, 3), (3, 4)]),  # spaces are ignored
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]),
    ("...ij,jk", [(5, 2, 3), (3, 4)]),  # implicit output keeps the ellipsis first
    ("i...->...", [(3, 4, 5)]),
    ("...i->i", [(3, 4, 5)]),  # ellipsis dimensions not in the output are summed
    ("...i,...i->...", [(2, 3), (4, 1, 3)]),
    ("ij,jk->ik", [(2, 1), (3, 4)]),  # a subscript of size 1 broadcasts
    ("bij,bjk->bik", [(1, 2, 3), (5, 3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("iji->j", [(3, 2, 3)]),
    ("bii->bi", [(2, 3, 3)]),
    ("ii,i->i", [(1, 1), (3,)]),  # a diagonal of size 1 broadcasts too
    ("ij,k->ik", [(2, 3), (4,)]),  # j is summed in its operand alone
    ("ij,ij,ij->i", [(2, 3), (2, 3), (2, 3)]),
    ("a,b,c,d->abcd", [(2,), (3,), (1,), (2,)]),
    (",i->i", [(), (3,)]),
]


@needs_torch
@pytest.mark.parametrize(("equation", "shapes"), EINSUM_CASES, ids=lambda c: str(c))
def test_einsum_values_and_gradients_equal_pytorch(equation, shapes):
    rng = np.random.default_rng(6)
    _both(
        lambda *ops: ndgrad.einsum(equation, *ops),
        lambda *ops: torch.einsum(equation, *ops),
        _arrays(rng, *shapes),
    )


def test_einsum_takes_operands_as_one_list_and_the_sublist_form():
    rng = np.random.default_rng(7)
    a, b = _arrays(rng, (2, 3), (3, 4))
    x, y = ndgrad.tensor(a), ndgrad.tensor(b)
    expected = a @ b
    np.testing.assert_allclose(ndgrad.einsum("ij,jk->ik", [x, y]).numpy(), expected)
    np.testing.assert_allclose(ndgrad.einsum(x, [0, 1], y, [1, 2], [0, 2]).numpy(), expected)
    np.testing.assert_allclose(ndgrad.einsum(x, [0, 1], y, [1, 2]).numpy(), expected)
    np.testing.assert_allclose(ndgrad.einsum(x, [Ellipsis, 1], [1, Ellipsis]).numpy(), a.T)


@needs_torch
def test_einsum_second_order_through_a_diagonal_equals_pytorch():
    rng = np.random.default_rng(8)
    a, b = _arrays(rng, (3, 3), (3,))
    x, y = ndgrad.tensor(a, requires_grad=True), ndgrad.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (gy,) = ndgrad.autograd.grad(ndgrad.einsum("ii,i->", x, y * y), [y], create_graph=True)
    (tgy,) = torch.autograd.grad(torch.einsum("ii,i->", tx, ty * ty), [ty], create_graph=True)
    (gx,) = ndgrad.autograd.grad(gy.sum(), [x])
    (tgx,) = torch.autograd.grad(tgy.sum(), [tx])
    np.testing.assert_allclose(gx.numpy(), tgx.numpy(), rtol=1e-12)


def test_einsum_forward_mode_is_multilinear():
    rng = np.random.default_rng(9)
    a, b, c, da, dc = _arrays(rng, (2, 3), (3,), (2,), (2, 3), (2,))
    with forward_ad.dual_level():
        x = forward_ad.make_dual(ndgrad.tensor(a), ndgrad.tensor(da))
        z = forward_ad.make_dual(ndgrad.tensor(c), ndgrad.tensor(dc))
        out = ndgrad.einsum("ij,j,i->", x, ndgrad.tensor(b), z)
        tangent = forward_ad.unpack_dual(out).tangent
    expected = np.einsum("ij,j,i->", da, b, c) + np.einsum("ij,j,i->", a, b, dc)
    np.testing.assert_allclose(tangent.numpy(), expected, rtol=1e-12)


def test_einsum_result_never_shares_memory_with_its_operand():
    x = ndgrad.zeros(3, 3)
    d = ndgrad.einsum("ii->i", x)
    d.add_(1.0)
    assert x.numpy().sum() == 0.0


EINSUM_ERRORS = {
    "sizes": ("ij,jk->ik", [(2, 3), (4, 5)]),
    "fewer operands": ("ij,jk->ik", [(2, 3)]),
    "more operands": ("i->i", [(3,), (3,)]),
    "dimensions": ("ij,jk->ik", [(2, 3, 1), (3, 5)]),
    "ellipsis dimensions": ("ijk...->i", [(3, 3)]),
    "repeated sizes": ("ii->i", [(3, 4)]),
    "bad character": ("i1->i", [(3, 3)]),
    "two arrows": ("i->i->i", [(3,)]),
    "two dots": ("i..->i", [(3, 4, 5)]),
    "two ellipses": ("...i...->i", [(3, 4, 5)]),
    "output repeated": ("ij->ii", [(3, 3)]),
    "output unknown": ("i->j", [(3,)]),
    "output two ellipses": ("...i->......", [(3, 3)]),
    "output two dots": ("...i->..i", [(3, 3)]),
    "dtypes": ("ij,jk->ik", [(2, 3), (3, 5, "f4")]),
}


@needs_torch
@pytest.mark.parametrize("case", list(EINSUM_ERRORS), ids=str)
def test_einsum_errors_are_pytorchs_with_a_hint(case):
    equation, shapes = EINSUM_ERRORS[case]
    arrays = [np.zeros(s[:-1], np.float32) if s and s[-1] == "f4" else np.zeros(s) for s in shapes]
    _same_error(
        lambda: ndgrad.einsum(equation, *[ndgrad.tensor(a) for a in arrays]),
        lambda: torch.einsum(equation, *[torch.from_numpy(a) for a in arrays]),
    )


def test_einsum_ellipsis_that_does_not_broadcast_is_an_error():
    with pytest.raises(RuntimeError, match="covered by ellipsis in operand 1"):
        ndgrad.einsum("...i,...i->...", ndgrad.zeros(2, 3), ndgrad.zeros(4, 3))


def test_einsum_without_operands_or_with_a_number_fails_as_in_pytorch():
    with pytest.raises(ValueError, match="must specify the equation string"):
        ndgrad.einsum("i")
    with pytest.raises(TypeError, match="expected Tensor as element 1 in argument 1"):
        ndgrad.einsum("i,i->i", ndgrad.zeros(3), 2.0)
    with pytest.raises(ValueError, match=r"within the valid range \[0, 52\)"):
        ndgrad.einsum(ndgrad.zeros(3), [60])


# ---------------------------------------------------------------- triangles, diagonals, trace


@needs_torch
@pytest.mark.parametrize(
    ("shape", "k"), [((3, 4), 0), ((4, 3), 1), ((2, 3, 3), -1), ((3, 3), 5), ((3, 3), -5)]
)
@pytest.mark.parametrize("name", ["tril", "triu"])
def test_triangles_equal_pytorch(name, shape, k):
    rng = np.random.default_rng(10)
    _both(
        lambda x: getattr(ndgrad, name)(x, k),
        lambda x: getattr(torch, name)(x, k),
        _arrays(rng, shape),
    )


def test_tril_in_place_records_history():
    x = ndgrad.tensor(np.arange(1.0, 10.0).reshape(3, 3), requires_grad=True)
    y = x * 1.0
    assert y.tril_() is y
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.tril(np.ones((3, 3))))


@needs_torch
@pytest.mark.parametrize(
    ("shape", "k"),
    [
        ((4,), 0),
        ((3,), 2),
        ((3,), -1),
        ((3, 4), 0),
        ((4, 3), 1),
        ((3, 4), -2),
        ((2, 3), 3),
        ((0,), 0),
    ],
)
def test_diag_equals_pytorch(shape, k):
    rng = np.random.default_rng(11)
    _both(lambda x: ndgrad.diag(x, k), lambda x: torch.diag(x, k), _arrays(rng, shape))


def test_diag_of_a_matrix_is_a_copy():
    x = ndgrad.ones(2, 2)
    d = x.diag()
    d.add_(1.0)
    np.testing.assert_array_equal(x.numpy(), np.ones((2, 2)))


@needs_torch
@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2)])
def test_trace_equals_pytorch(shape):
    _both(ndgrad.trace, torch.trace, _arrays(np.random.default_rng(12), shape))


def test_trace_of_integers_is_int64():
    assert ndgrad.trace(ndgrad.ones(2, 3, dtype=ndgrad.int32)).dtype is ndgrad.int64


@needs_torch
def test_trace_of_bools_is_not_implemented_as_in_pytorch():
    _same_error(
        lambda: ndgrad.trace(ndgrad.ones(2, 2, dtype=ndgrad.bool)),
        lambda: torch.trace(torch.ones(2, 2, dtype=torch.bool)),
    )


def test_integer_products_keep_their_dtype():
    a = ndgrad.tensor([[1, 2], [3, 4]])
    assert (a @ a).dtype is ndgrad.int64
    assert ndgrad.dot(ndgrad.tensor([1, 2]), ndgrad.tensor([3, 4])).item() == 11
    np.testing.assert_array_equal((a @ a).numpy(), np.array([[7, 10], [15, 22]]))
