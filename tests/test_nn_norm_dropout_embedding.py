"""ndgrad.nn's normalisation, dropout and embedding layers against torch.nn's, in float64."""

import numpy as np
import pytest

import ndgrad
from ndgrad import nn

torch = pytest.importorskip("torch")


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [] if out is None else [out]


def _copy_state(t_mod, n_mod):
    t_mod.double()
    n_mod.double()
    n_mod.load_state_dict(
        {k: ndgrad.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()}
    )
    assert list(n_mod.state_dict()) == list(t_mod.state_dict())


def _same_as_torch(t_mod, n_mod, *arrays, rtol=1e-10, atol=1e-12, copy=True, **kwargs):
    """Run both modules (float64) on ``arrays``; compare outputs and all gradients."""
    if copy:
        _copy_state(t_mod, n_mod)
    t_in = [
        None if a is None else torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays
    ]
    n_in = [
        None if a is None else ndgrad.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays
    ]
    t_out, n_out = _flat(t_mod(*t_in, **kwargs)), _flat(n_mod(*n_in, **kwargs))
    rng = np.random.default_rng(7)
    t_loss, n_loss = 0.0, 0.0
    for t, n in zip(t_out, n_out, strict=True):
        assert tuple(n.shape) == tuple(t.shape)
        np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
        if t.requires_grad:
            g = rng.standard_normal(tuple(t.shape))
            t_loss = t_loss + (t * torch.tensor(g)).sum()
            n_loss = n_loss + (n * ndgrad.tensor(g)).sum()
    if isinstance(t_loss, float):
        return t_out, n_out
    t_loss.backward()
    n_loss.backward()
    for t, n in zip(t_in, n_in):
        if t is not None and t.requires_grad:
            np.testing.assert_allclose(n.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
    n_params = dict(n_mod.named_parameters())
    for name, p in t_mod.named_parameters():
        if p.grad is None:
            assert n_params[name].grad is None, name
            continue
        np.testing.assert_allclose(
            n_params[name].grad.numpy(), p.grad.numpy(), rtol=rtol, atol=atol, err_msg=name
        )
    return t_out, n_out


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _randomise(t_mod):
    """Non-trivial affine parameters (the defaults are ones and zeros)."""
    torch.manual_seed(1)
    with torch.no_grad():
        for p in t_mod.parameters():
            p.uniform_(0.5, 1.5)


# -- LayerNorm, RMSNorm, GroupNorm, LocalResponseNorm -----------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "shape"),
    [
        ("LayerNorm", (5,), {}, (3, 4, 5)),
        ("LayerNorm", ((4, 5),), {"eps": 1e-3}, (3, 4, 5)),
        ("LayerNorm", (5,), {"bias": False}, (2, 5)),
        ("LayerNorm", (5,), {"elementwise_affine": False}, (2, 5)),
        ("RMSNorm", (5,), {}, (3, 4, 5)),
        ("RMSNorm", ((4, 5),), {"eps": 1e-4}, (3, 4, 5)),
        ("RMSNorm", (5,), {"elementwise_affine": False}, (2, 5)),
        ("GroupNorm", (2, 4), {}, (3, 4, 5)),
        ("GroupNorm", (4, 4), {"affine": False, "eps": 1e-3}, (2, 4, 3, 2)),
        ("GroupNorm", (1, 4), {"bias": False}, (2, 4, 3)),
        ("LocalResponseNorm", (3,), {}, (2, 5, 4)),
        ("LocalResponseNorm", (2,), {"alpha": 0.1, "beta": 0.5, "k": 2.0}, (2, 4, 3, 3)),
    ],
)
def test_normalisation_layers_match_torch_in_output_gradients_and_repr(name, args, kwargs, shape):
    t_mod = getattr(torch.nn, name)(*args, **kwargs)
    n_mod = getattr(nn, name)(*args, **kwargs)
    assert repr(n_mod) == repr(t_mod)
    assert {k: tuple(v.shape) for k, v in n_mod.state_dict().items()} == {
        k: tuple(v.shape) for k, v in t_mod.state_dict().items()
    }
    for k, v in n_mod.state_dict().items():  # the default initialisation: ones and zeros
        np.testing.assert_array_equal(v.numpy(), t_mod.state_dict()[k].numpy())
    _randomise(t_mod)
    _same_as_torch(t_mod, n_mod, _x(*shape))


def test_group_norm_refuses_channels_not_divisible_by_groups():
    with pytest.raises(
        ValueError, match=r"num_channels \(5\) must be divisible by num_groups \(2\)"
    ):
        nn.GroupNorm(2, 5)


# -- BatchNorm ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs", "shape"),
    [
        ("BatchNorm1d", {}, (6, 3)),
        ("BatchNorm1d", {"momentum": 0.3}, (4, 3, 5)),
        ("BatchNorm1d", {"momentum": None}, (5, 3)),
        ("BatchNorm2d", {}, (3, 3, 2, 4)),
        ("BatchNorm2d", {"affine": False, "eps": 1e-3}, (2, 3, 3, 3)),
        ("BatchNorm2d", {"bias": False, "momentum": None}, (2, 3, 2, 2)),
        ("BatchNorm3d", {}, (2, 3, 2, 2, 2)),
    ],
)
def test_batch_norm_running_statistics_follow_torch_over_train_steps_then_eval(name, kwargs, shape):
    t_mod = getattr(torch.nn, name)(3, **kwargs)
    n_mod = getattr(nn, name)(3, **kwargs)
    assert repr(n_mod) == repr(t_mod)
    _randomise(t_mod)
    _copy_state(t_mod, n_mod)
    for step in range(3):
        x = _x(*shape, seed=step) * (step + 1) + step
        _same_as_torch(t_mod, n_mod, x, copy=False)
        for key, value in t_mod.state_dict().items():
            if key in ("weight", "bias"):
                continue
            np.testing.assert_allclose(
                n_mod.state_dict()[key].numpy(), value.numpy(), rtol=1e-12, err_msg=key
            )
    assert n_mod.num_batches_tracked.item() == 3
    assert n_mod.num_batches_tracked.dtype == ndgrad.int64
    t_mod.eval()
    n_mod.eval()
    _same_as_torch(t_mod, n_mod, _x(*shape, seed=9), copy=False)
    np.testing.assert_allclose(n_mod.running_mean.numpy(), t_mod.running_mean.numpy(), rtol=1e-12)
    assert n_mod.num_batches_tracked.item() == 3  # eval mode leaves the buffers alone


def test_batch_norm_without_running_stats_uses_batch_statistics_in_eval_too():
    t_mod = torch.nn.BatchNorm1d(3, track_running_stats=False)
    n_mod = nn.BatchNorm1d(3, track_running_stats=False)
    assert repr(n_mod) == repr(t_mod)
    assert list(n_mod.state_dict()) == list(t_mod.state_dict()) == ["weight", "bias"]
    assert n_mod.running_mean is None
    assert n_mod.num_batches_tracked is None
    _same_as_torch(t_mod, n_mod, _x(4, 3))
    t_mod.eval()
    n_mod.eval()
    _same_as_torch(t_mod, n_mod, _x(4, 3, seed=1), copy=False)


def test_batch_norm_buffers_start_as_torch_and_reset_running_stats_restores_them():
    m = nn.BatchNorm2d(2)
    m(ndgrad.randn(4, 2, 3, 3))
    m.reset_running_stats()
    assert m.running_mean.tolist() == [0.0, 0.0]
    assert m.running_var.tolist() == [1.0, 1.0]
    assert m.num_batches_tracked.item() == 0
    assert [name for name, _ in m.named_buffers()] == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]


def test_batch_norm_refuses_the_wrong_number_of_dimensions_like_torch():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(2)(ndgrad.ones(2, 2, 3))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(2)(ndgrad.ones(2, 2, 3, 1))


# -- Dropout -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"],
)
def test_dropout_layers_have_torch_repr_and_are_the_identity_in_eval_mode(name):
    n_mod = getattr(nn, name)(0.3)
    assert repr(n_mod) == repr(getattr(torch.nn, name)(0.3))
    shape = {"Dropout1d": (2, 3, 4), "Dropout3d": (2, 3, 2, 2, 2)}.get(name, (2, 3, 4, 4))
    x = ndgrad.randn(*shape, requires_grad=True)
    n_mod.eval()
    y = n_mod(x)
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    n_mod.train()
    assert not np.array_equal(n_mod(x).detach().numpy(), x.detach().numpy())


def test_dropout_zeroes_about_p_of_the_elements_and_scales_the_rest_in_training():
    m = nn.Dropout(0.25)
    x = ndgrad.ones(100, 100, dtype=ndgrad.float64, requires_grad=True)
    y = m(x)
    values = y.detach().numpy()
    assert set(np.unique(values)) <= {0.0, 1 / 0.75}
    assert 0.22 < (values == 0).mean() < 0.28
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)  # d y / d x = mask / (1 - p)


def test_dropout2d_zeroes_whole_channels():
    y = nn.Dropout2d(0.5)(ndgrad.ones(4, 16, 3, 3)).numpy()
    per_channel = y.reshape(4, 16, 9)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()
    assert 0 < (per_channel[..., 0] == 0).sum() < 64


def test_alpha_dropout_keeps_mean_and_variance_of_standard_normal_input():
    x = ndgrad.randn(200_000, dtype=ndgrad.float64)
    y = nn.AlphaDropout(0.2)(x).numpy()
    assert abs(y.mean()) < 0.02
    assert abs(y.std() - 1) < 0.02


def test_dropout_refuses_a_probability_outside_zero_one_like_torch():
    with pytest.raises(
        ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"
    ):
        nn.Dropout(1.5)


# -- Embedding, EmbeddingBag -----------------------------------------------------------------


def test_embedding_matches_torch_with_padding_idx_including_its_zero_gradient():
    torch.manual_seed(0)
    t_mod = torch.nn.Embedding(7, 3, padding_idx=-2)
    n_mod = nn.Embedding(7, 3, padding_idx=-2)
    assert repr(n_mod) == repr(t_mod) == "Embedding(7, 3, padding_idx=5)"
    assert n_mod.weight[5].tolist() == [0.0, 0.0, 0.0]
    idx = np.array([[0, 5, 2], [5, 5, 6]])
    _same_as_torch(t_mod, n_mod, idx)
    assert n_mod.weight.grad[5].tolist() == [0.0, 0.0, 0.0]


def test_embedding_max_norm_renormalises_the_looked_up_rows_in_place_like_torch():
    torch.manual_seed(0)
    t_mod = torch.nn.Embedding(6, 4, max_norm=1.0, norm_type=1.5)
    n_mod = nn.Embedding(6, 4, max_norm=1.0, norm_type=1.5)
    assert repr(n_mod) == repr(t_mod)
    _same_as_torch(t_mod, n_mod, np.array([1, 3, 3, 0]))
    np.testing.assert_allclose(
        n_mod.weight.detach().numpy(), t_mod.weight.detach().numpy(), rtol=1e-12
    )


def test_embedding_scale_grad_by_freq_matches_torch():
    torch.manual_seed(0)
    t_mod = torch.nn.Embedding(5, 2, scale_grad_by_freq=True)
    n_mod = nn.Embedding(5, 2, scale_grad_by_freq=True)
    assert repr(n_mod) == repr(t_mod)
    _same_as_torch(t_mod, n_mod, np.array([[1, 1, 3], [1, 4, 3]]))


def test_embedding_from_pretrained_freezes_by_default_like_torch():
    w = np.arange(6.0).reshape(3, 2)
    n_mod = nn.Embedding.from_pretrained(ndgrad.tensor(w))
    t_mod = torch.nn.Embedding.from_pretrained(torch.tensor(w))
    assert repr(n_mod) == repr(t_mod)
    assert n_mod.weight.requires_grad is False
    assert n_mod(ndgrad.tensor([2, 0])).tolist() == [[4.0, 5.0], [0.0, 1.0]]
    assert nn.Embedding.from_pretrained(ndgrad.tensor(w), freeze=False).weight.requires_grad
    with pytest.raises(
        AssertionError, match="Embeddings parameter is expected to be 2-dimensional"
    ):
        nn.Embedding.from_pretrained(ndgrad.ones(3))


def test_embedding_default_initialisation_is_standard_normal():
    w = nn.Embedding(200, 50).weight.detach().numpy()
    assert abs(w.mean()) < 0.02
    assert abs(w.std() - 1) < 0.02


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_with_offsets_matches_torch(mode):
    torch.manual_seed(0)
    t_mod = torch.nn.EmbeddingBag(8, 3, mode=mode)
    n_mod = nn.EmbeddingBag(8, 3, mode=mode)
    assert repr(n_mod) == repr(t_mod)
    idx, offsets = np.array([1, 2, 4, 5, 4, 3, 2, 7]), np.array([0, 3, 3, 5])
    _same_as_torch(t_mod, n_mod, idx, offsets)


def test_embedding_bag_2d_input_per_sample_weights_and_padding_idx_match_torch():
    torch.manual_seed(0)
    kwargs = {"mode": "sum", "padding_idx": 0}
    t_mod = torch.nn.EmbeddingBag(6, 2, **kwargs)
    n_mod = nn.EmbeddingBag(6, 2, **kwargs)
    assert repr(n_mod) == repr(t_mod) == "EmbeddingBag(6, 2, mode='sum', padding_idx=0)"
    idx = np.array([[1, 0, 3], [2, 2, 5]])
    _same_as_torch(t_mod, n_mod, idx, None, _x(2, 3), copy=True)


def test_embedding_bag_include_last_offset_matches_torch():
    torch.manual_seed(0)
    t_mod = torch.nn.EmbeddingBag(5, 2, mode="mean", include_last_offset=True)
    n_mod = nn.EmbeddingBag(5, 2, mode="mean", include_last_offset=True)
    _same_as_torch(t_mod, n_mod, np.array([0, 1, 2, 3, 4]), np.array([0, 2, 5]))


def test_embedding_refuses_a_padding_idx_outside_the_table_like_torch():
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(AssertionError, match="padding_idx must be within num_embeddings"):
        nn.EmbeddingBag(4, 2, padding_idx=-5)


@pytest.mark.parametrize(
    ("factory", "names"),
    [
        (lambda **kw: nn.Conv2d(2, 3, 3, **kw), ["weight", "bias"]),
        (lambda **kw: nn.ConvTranspose1d(2, 3, 3, **kw), ["weight", "bias"]),
        (lambda **kw: nn.LayerNorm(3, **kw), ["weight", "bias"]),
        (lambda **kw: nn.RMSNorm(3, **kw), ["weight"]),
        (lambda **kw: nn.GroupNorm(1, 3, **kw), ["weight", "bias"]),
        (lambda **kw: nn.BatchNorm1d(3, **kw), ["weight", "running_mean", "running_var"]),
        (lambda **kw: nn.Embedding(4, 3, **kw), ["weight"]),
        (lambda **kw: nn.EmbeddingBag(4, 3, **kw), ["weight"]),
        (lambda **kw: nn.LSTM(2, 3, proj_size=1, **kw), ["weight_ih_l0", "weight_hr_l0"]),
        (lambda **kw: nn.GRUCell(2, 3, **kw), ["weight_ih", "bias_hh"]),
        (lambda **kw: nn.MultiheadAttention(4, 2, kdim=3, **kw), ["k_proj_weight", "in_proj_bias"]),
        (lambda **kw: nn.TransformerEncoderLayer(4, 2, 8, **kw), ["linear1.weight", "norm1.bias"]),
    ],
)
def test_layers_take_torch_factory_dtype_for_their_parameters_and_float_buffers(factory, names):
    m = factory(dtype=ndgrad.float64, device=None)
    state = m.state_dict()
    for name in names:
        assert state[name].dtype == ndgrad.float64, name
    if "running_mean" in names:
        assert state["num_batches_tracked"].dtype == ndgrad.int64
