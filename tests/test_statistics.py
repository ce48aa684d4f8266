"""nansum, nanmean, quantile, nanquantile, fmax, fmin: PyTorch's values, gradients and errors."""

from __future__ import annotations

import numpy as np
import pytest

import ndgrad

NAN = float("nan")


def test_nansum_gives_no_gradient_to_nan_entries():
    x = ndgrad.tensor([1.0, NAN, 2.0], requires_grad=True)
    x.nansum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 1.0])


def test_nanmean_of_an_all_nan_slice_is_nan_as_pytorch():
    x = ndgrad.tensor([[NAN, NAN], [1.0, 3.0]])
    out = x.nanmean(dim=1).numpy()
    assert np.isnan(out[0])
    assert out[1] == 2.0


def test_nanmean_refuses_integer_input():
    with pytest.raises(RuntimeError, match="expected input to have floating point"):
        ndgrad.tensor([1, 2]).nanmean()


def test_quantile_of_a_slice_with_nan_is_nan_and_nanquantile_skips_it():
    x = ndgrad.tensor([[1.0, NAN, 3.0], [1.0, 2.0, 3.0]])
    q = ndgrad.quantile(x, 0.5, dim=1).numpy()
    assert np.isnan(q[0])
    assert q[1] == 2.0
    np.testing.assert_array_equal(ndgrad.nanquantile(x, 0.5, dim=1).numpy(), [2.0, 2.0])


def test_quantile_gradient_goes_to_the_two_interpolated_order_statistics():
    x = ndgrad.tensor([4.0, 1.0, 3.0, 2.0], dtype=ndgrad.float64, requires_grad=True)
    ndgrad.quantile(x, 0.4).backward()  # rank 1.2: 0.8 * v[1] + 0.2 * v[2] (values 2 and 3)
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 0.2, 0.8])


def test_quantile_refuses_q_outside_the_unit_interval_and_unknown_interpolation():
    x = ndgrad.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"q values must be in the range \[0, 1\]"):
        ndgrad.quantile(x, 1.5)
    with pytest.raises(RuntimeError, match="interpolation must be one of"):
        ndgrad.quantile(x, 0.5, interpolation="cubic")
    with pytest.raises(RuntimeError, match="must be either float or double"):
        ndgrad.quantile(ndgrad.tensor([1, 2]), 0.5)


def test_fmax_ties_give_the_whole_gradient_to_the_first_input():
    a = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    b = ndgrad.tensor([1.0, 1.0], requires_grad=True)
    ndgrad.fmax(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, 0.0])


def test_the_statistics_match_pytorch_on_random_data():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((3, 8))
    x0[0, 2] = np.nan
    for q in (0.0, 0.25, 1.0):
        for mode in ("linear", "lower", "higher", "midpoint", "nearest"):
            ours = ndgrad.nanquantile(ndgrad.tensor(x0), q, dim=1, interpolation=mode)
            theirs = torch.nanquantile(torch.from_numpy(x0), q, dim=1, interpolation=mode)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), err_msg=(q, mode))
