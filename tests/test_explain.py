"""``ndgrad.explain``: why a gradient is None (or zero, or NaN), one test per cause."""

from __future__ import annotations

import inspect
import warnings

import pytest

import ndgrad
from ndgrad import explain

HERE = __file__


def line_before() -> str:
    """``FILE:LINE`` of the line before the caller's, as explain() names it."""
    return f"{HERE}:{inspect.currentframe().f_back.f_lineno - 1}"


@pytest.fixture
def debug():
    ndgrad.set_debug(True)
    try:
        yield
    finally:
        ndgrad.set_debug(False)


def leaf() -> ndgrad.Tensor:
    return ndgrad.tensor([1.0, -2.0, 3.0], requires_grad=True)


def test_explain_says_a_tensor_made_under_no_grad_is_cut_and_where(debug):
    x = leaf()
    with ndgrad.no_grad():
        y = x * 2
        where = line_before()
    z = y + 1  # the cut travels on, with its line
    for t in (y, z):
        e = explain(t, lang="en")
        assert e.reason == "no_grad"
        assert e.where == where
        assert f"it was computed under no_grad() at {where}, which records nothing" in e
        assert "outside the no_grad() block" in e


def test_explain_says_a_tensor_cut_by_detach_and_where(debug):
    x = leaf()
    d = x.detach()
    where = line_before()
    e = explain(d * 3, lang="en", name="d")
    assert e.reason == "detach"
    assert e.where == where
    assert e.startswith("d does not require grad: the chain from the leaves was cut by detach()")


def test_explain_says_a_tensor_taken_from_data_has_no_history():
    x = leaf()
    e = explain(x.data * 3, lang="en")
    assert e.reason == "data"
    assert ".data" in e
    assert "values without their history" in e
    assert e.where is None
    assert "ndgrad.set_debug(True)" in e  # how to get the line


def test_explain_says_an_integer_cast_cannot_require_grad():
    x = leaf()
    e = explain(x.long().float() * 2, lang="en")
    assert e.reason == "integer_cast"
    assert "cast to the integer dtype ndgrad.int64" in e
    assert "integer tensors cannot require grad" in e


def test_explain_says_an_integer_leaf_cannot_require_grad():
    e = explain(ndgrad.tensor([1, 2]), lang="en")
    assert e.reason == "integer"
    assert "integer dtype ndgrad.int64" in e


def test_explain_says_values_round_tripped_through_python_lost_their_history():
    x = leaf()
    y = ndgrad.tensor(x.tolist()) * 2
    e = explain(y, lang="en")
    assert e.reason == "requires_grad_not_set"
    assert "requires_grad was never set" in e
    assert ".item(), .tolist() or .numpy()" in e
    assert "requires_grad=True" in e


def test_explain_names_the_line_of_a_python_round_trip_when_the_core_recorded_it():
    # the reason ndgrad.tensor(...) records in debug mode (See Note [Where a cut happened])
    y = ndgrad.tensor([1.0, 2.0])
    y._x().cut = "made by ndgrad.tensor(...) from Python data at my_script.py:7"
    e = explain(y * 2, lang="en")
    assert e.reason == "python_data"
    assert e.where == "my_script.py:7"
    assert "compute with the tensor itself rather than with its values" in e
    assert "from Python or NumPy data at my_script.py:7" in e


def test_explain_says_a_cast_of_a_leaf_is_not_a_leaf_and_which_leaf_gets_the_gradient():
    x = leaf()
    w = x.double()
    (w**2).sum().backward()
    e = explain(w, lang="en", name="w")
    assert e.reason == "non_leaf"
    assert e.startswith("w is not a leaf: ToCopyBackward0 computed it")
    assert "a leaf of shape (3,), dtype ndgrad.float32" in e
    assert ".double(), .float(), .to(...)" in e
    assert "w.retain_grad()" in e
    assert explain(x).reason == "has_grad"


def test_explain_says_the_update_x_minus_lr_grad_made_a_computed_tensor():
    x = leaf()
    (x**2).sum().backward()
    x = x - 0.1 * x.grad
    e = explain(x, lang="en", name="x")
    assert e.reason == "non_leaf"
    assert "SubBackward0" in e
    assert "update x.data, or x in place under ndgrad.no_grad()" in e


def test_explain_lists_at_most_three_leaves_and_counts_the_rest():
    leaves = [ndgrad.tensor([float(i)], requires_grad=True) for i in range(5)]
    total = leaves[0]
    for t in leaves[1:]:
        total = total + t
    e = explain(total, lang="en")
    assert "(5)" in e
    assert "2 more" in e
    assert e.count("a leaf of shape (1,)") == 3


def test_explain_says_retain_grad_was_called_but_backward_has_not_reached_it():
    x = leaf()
    h = x * 2
    h.retain_grad()
    assert explain(h, lang="en").reason == "retain_grad_not_reached"
    other = (x**2).sum()
    assert explain(h, output=other, lang="en").reason == "not_in_graph"
    h.sum().backward()
    assert explain(h, lang="en").reason == "has_grad"


def test_explain_says_a_leaf_that_no_gradient_reached_may_not_be_in_the_graph():
    x, z = leaf(), ndgrad.tensor([1.0], requires_grad=True)
    loss = (x**2).sum()
    e = explain(z, lang="en")
    assert e.reason == "not_reached"
    assert "or backward() was not called yet" in e
    assert "explain(t, output=loss)" in e
    e = explain(z, output=loss, lang="en")
    assert e.reason == "not_in_graph"
    assert "not in the computation graph of the output" in e
    assert "materialize_grads=True" in e
    assert explain(x, output=loss, lang="en").reason == "backward_not_called"


def test_explain_tells_a_disconnected_zero_from_a_numerically_zero_gradient():
    x, z = leaf(), ndgrad.tensor([2.0], requires_grad=True)
    y = ndgrad.relu(-(x**2)).sum()  # relu is off everywhere: a path with derivative 0
    gx, gz = ndgrad.autograd.grad(y, [x, z], allow_unused=True, materialize_grads=True)
    assert gx.tolist() == [0.0, 0.0, 0.0]
    assert gz.tolist() == [0.0]
    x.grad, z.grad = gx, gz  # the zeros as .grad, as after zero_grad(set_to_none=False)
    assert explain(x, output=y, lang="en").reason == "numerically_zero"
    e = explain(z, output=y, lang="en")
    assert e.reason == "disconnected"
    assert "no path leads from" in e
    assert explain(z, lang="en").reason == "zero"


def test_explain_traces_a_nan_gradient_to_the_first_op_that_produced_it():
    a = ndgrad.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ndgrad.autograd.detect_anomaly(check_nan=False):
            b = ndgrad.log(a)  # -inf at 0
            where = line_before()
            c = (b * 0).sum()  # 0 * -inf: nan in the backward
            c.backward()
    e = explain(a, output=c, lang="en")
    assert e.reason == "nan"
    assert "holds nan" in e
    assert "'log'" in e
    assert e.where == where


def test_explain_without_anomaly_mode_says_how_to_find_the_nan():
    a = ndgrad.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's divide by zero
        c = (ndgrad.log(a) * 0).sum()
        c.backward()
    e = explain(a, output=c, lang="en")
    assert e.reason == "nan"
    assert "detect_anomaly()" in e


def test_backward_error_carries_the_short_diagnosis_with_the_line(debug):
    x = leaf()
    with ndgrad.no_grad():
        y = (x * 2).sum()
        where = line_before()
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad") as info:
        y.backward()
    msg = str(info.value)
    assert "it was computed under no_grad() at " in msg
    assert where in msg
    assert "ndgrad.explain(tensor)" in msg


def test_debug_mode_off_records_no_line_and_is_off_by_default():
    assert not ndgrad.is_debug_enabled()
    x = leaf()
    with ndgrad.no_grad():
        y = x * 2
    assert explain(y, lang="en").where is None
    with pytest.raises(RuntimeError, match=r"set_debug\(True\) adds the line"):
        y.sum().backward()


def test_explain_speaks_chinese_with_the_tutorials_terms():
    x = leaf()
    w = x.double()
    (w**2).sum().backward()
    e = explain(w, lang="zh", name="w")
    assert e.reason == "non_leaf"
    assert "叶子节点" in e
    assert "梯度" in e
    with ndgrad.no_grad():
        y = x * 2
    assert "no_grad()" in explain(y, lang="zh")
    assert "叶子节点" in explain(y, lang="zh")
    assert "计算图" in explain(ndgrad.tensor([1.0], requires_grad=True), output=w.sum(), lang="zh")


def test_explain_takes_the_language_from_ndgrad_lang(monkeypatch):
    monkeypatch.setenv("NDGRAD_LANG", "zh")
    assert "叶子节点" in explain(leaf())
    monkeypatch.setenv("NDGRAD_LANG", "en")
    assert "leaf" in explain(leaf())


def test_explain_walks_a_deep_chain_without_recursion():
    x = leaf()
    y = x
    for _ in range(20000):
        y = y * 1.0
    e = explain(y, lang="en")
    assert e.reason == "non_leaf"
    assert "(1)" in e


def test_explain_refuses_what_is_not_a_tensor():
    with pytest.raises(TypeError, match="explain\\(\\) expects a Tensor, got list"):
        explain([1.0])
    with pytest.raises(TypeError, match="output"):
        explain(leaf(), output=3.0)


def test_an_explanation_is_a_string_that_prints_as_itself():
    e = explain(leaf(), lang="en")
    assert isinstance(e, str)
    assert repr(e) == str(e)
    assert e.summary == e.splitlines()[0]
