"""ndgrad.nn.init: gains and fans equal to torch's, deterministic fills equal to torch's, and
random fills checked by their distribution (ndgrad's RNG is not torch's)."""

import math

import numpy as np
import pytest

import ndgrad
from ndgrad.nn import init


@pytest.fixture
def torch():
    """torch, for the tests that compare with it (the others run without it)."""
    return pytest.importorskip("torch")


N = 200_000  # samples for the distribution checks: the standard error of a mean is ~0.2%


def _sample(fn, shape=(400, 500), **kwargs):
    t = ndgrad.empty(*shape)
    out = fn(t, **kwargs)
    assert out is t
    return t.numpy().ravel()


@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("linear", None),
        ("conv1d", None),
        ("conv_transpose3d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 3),
        ("selu", None),
    ],
)
def test_calculate_gain_equals_torchs(name, param, torch):
    assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)


def test_calculate_gain_errors_match_torch():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3), (6, 3, 2, 2), (2, 3, 1, 2, 3), (1, 7)])
def test_fans_equal_torchs(shape, torch):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    assert init._calculate_fan_in_and_fan_out(ndgrad.empty(*shape)) == expected


def test_fans_of_a_vector_raise_like_torch():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ndgrad.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(ndgrad.empty(3, 3), mode="fan_avg")


def test_uniform_fills_the_interval_evenly():
    x = _sample(init.uniform_, a=-2.0, b=3.0)
    assert x.min() >= -2.0
    assert x.max() < 3.0
    assert abs(x.mean() - 0.5) < 0.02
    assert abs(x.std() - 5 / math.sqrt(12)) < 0.02


def test_normal_has_the_mean_and_std_asked_for():
    x = _sample(init.normal_, mean=1.5, std=0.5)
    assert abs(x.mean() - 1.5) < 0.01
    assert abs(x.std() - 0.5) < 0.01


def test_trunc_normal_stays_in_bounds_with_the_truncated_std():
    x = _sample(init.trunc_normal_, std=1.0, a=-1.0, b=1.0)
    assert x.min() >= -1.0
    assert x.max() <= 1.0
    # the standard deviation of N(0, 1) truncated to [-1, 1]
    phi = math.exp(-0.5) / math.sqrt(2 * math.pi)
    z = math.erf(1 / math.sqrt(2))
    assert abs(x.std() - math.sqrt(1 - 2 * phi / z)) < 0.01
    assert abs(x.mean()) < 0.01


@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_xavier_uniform_and_normal_have_glorots_std(gain):
    fan_in, fan_out = 500, 400
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    u = _sample(init.xavier_uniform_, gain=gain)
    assert np.abs(u).max() <= math.sqrt(3) * std
    assert abs(u.std() / std - 1) < 0.02
    n = _sample(init.xavier_normal_, gain=gain)
    assert abs(n.std() / std - 1) < 0.02


@pytest.mark.parametrize(
    ("a", "mode", "nonlinearity"),
    [
        (0, "fan_in", "leaky_relu"),
        (math.sqrt(5), "fan_in", "leaky_relu"),
        (0, "fan_out", "relu"),
        (0, "FAN_IN", "tanh"),
    ],
)
def test_kaiming_uniform_and_normal_have_hes_std(a, mode, nonlinearity):
    shape = (100, 50, 2, 2)
    fan = 50 * 4 if mode.lower() == "fan_in" else 100 * 4
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    kw = {"a": a, "mode": mode, "nonlinearity": nonlinearity}
    u = _sample(init.kaiming_uniform_, shape, **kw)
    assert np.abs(u).max() <= math.sqrt(3) * std + 1e-7
    assert abs(u.std() / std - 1) < 0.02
    n = _sample(init.kaiming_normal_, shape, **kw)
    assert abs(n.std() / std - 1) < 0.02


def test_default_linear_init_is_uniform_with_bound_one_over_sqrt_fan_in():
    u = _sample(init.kaiming_uniform_, (50, 400), a=math.sqrt(5))
    bound = 1 / math.sqrt(400)
    assert np.abs(u).max() <= bound
    assert np.abs(u).max() > 0.99 * bound


def test_kaiming_of_a_zero_element_tensor_warns_and_does_nothing():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(ndgrad.empty(0, 3))


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3), (6, 6)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    q = init.orthogonal_(ndgrad.empty(*shape), gain=2.0).numpy().reshape(shape[0], -1) / 2
    small = q @ q.T if q.shape[0] <= q.shape[1] else q.T @ q
    np.testing.assert_allclose(small, np.eye(small.shape[0]), atol=1e-5)


def test_orthogonal_of_a_vector_raises():
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(ndgrad.empty(3))


@pytest.mark.parametrize(
    ("fn", "shape", "kwargs"),
    [
        ("constant_", (2, 3), {"val": 0.3}),
        ("ones_", (4,), {}),
        ("zeros_", (2, 2), {}),
        ("eye_", (3, 5), {}),
        ("eye_", (4, 2), {}),
        ("dirac_", (4, 2, 3), {}),
        ("dirac_", (4, 4, 3, 3), {"groups": 2}),
        ("dirac_", (2, 3, 1, 3, 2), {}),
    ],
)
def test_deterministic_fills_equal_torchs(fn, shape, kwargs, torch):
    n = getattr(init, fn)(ndgrad.empty(*shape), **kwargs)
    t = getattr(torch.nn.init, fn)(torch.empty(*shape), **kwargs)
    np.testing.assert_array_equal(n.numpy(), t.numpy())


def test_eye_and_dirac_refuse_wrong_ranks():
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(ndgrad.empty(2, 2, 2))
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(ndgrad.empty(2, 2))


def test_sparse_zeros_the_asked_fraction_of_each_column():
    w = init.sparse_(ndgrad.empty(10, 4), sparsity=0.3).numpy()
    assert ((w == 0).sum(axis=0) == 3).all()


def test_a_generator_makes_fills_reproducible_and_leaves_the_global_stream_alone():
    def fill(seed):
        g = ndgrad.Generator().manual_seed(seed)
        return init.kaiming_normal_(ndgrad.empty(3, 4), generator=g).numpy().copy()

    ndgrad.manual_seed(5)
    expected_global = ndgrad.rand(3).numpy().copy()
    ndgrad.manual_seed(5)
    a, b = fill(1), fill(1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, fill(2))
    np.testing.assert_array_equal(ndgrad.rand(3).numpy(), expected_global)
    for fn in (
        init.uniform_,
        init.normal_,
        init.trunc_normal_,
        init.xavier_uniform_,
        init.xavier_normal_,
        init.kaiming_uniform_,
        init.orthogonal_,
    ):
        x = fn(ndgrad.empty(2, 3), generator=ndgrad.Generator().manual_seed(0)).numpy().copy()
        y = fn(ndgrad.empty(2, 3), generator=ndgrad.Generator().manual_seed(0)).numpy()
        np.testing.assert_array_equal(x, y)


def test_init_of_a_parameter_is_in_place_and_records_no_history():
    p = ndgrad.nn.Parameter(ndgrad.empty(3, 4))
    before = p._version
    init.xavier_uniform_(p)
    init.zeros_(p)
    init.orthogonal_(p)
    assert p.is_leaf
    assert p.grad_fn is None
    assert p.requires_grad
    assert p._version > before
    assert type(p) is ndgrad.nn.Parameter


def test_names_without_underscore_warn_like_torch_and_still_fill():
    for old in ["uniform", "normal", "constant", "eye", "xavier_uniform", "kaiming_normal"]:
        args = (0.5,) if old == "constant" else ()
        with pytest.warns(FutureWarning, match=f"`nn.init.{old}` is now deprecated in favor of"):
            out = getattr(init, old)(ndgrad.zeros(3, 3), *args)
        assert out.shape == (3, 3)
