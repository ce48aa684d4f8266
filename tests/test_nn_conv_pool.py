"""ndgrad.nn's convolution and pooling layers against torch.nn's, in float64.

Each test builds the torch layer with a fixed seed, copies its state_dict into the ndgrad layer,
runs both on the same input and compares the output, the input's gradient and every parameter's
gradient under a random cotangent.
"""

import math

import numpy as np
import pytest

import ndgrad
from ndgrad import nn

torch = pytest.importorskip("torch")


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [] if out is None else [out]


def _same_as_torch(t_mod, n_mod, *arrays, rtol=1e-10, atol=1e-12, **kwargs):
    """Run both modules (float64) on ``arrays``; compare outputs and all gradients."""
    t_mod = t_mod.double()
    n_mod = n_mod.double()
    n_mod.load_state_dict(
        {k: ndgrad.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()}
    )
    assert list(n_mod.state_dict()) == list(t_mod.state_dict())
    t_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    n_in = [ndgrad.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    t_out, n_out = _flat(t_mod(*t_in, **kwargs)), _flat(n_mod(*n_in, **kwargs))
    assert len(t_out) == len(n_out)
    rng = np.random.default_rng(7)
    t_loss, n_loss = 0.0, 0.0
    for t, n in zip(t_out, n_out):
        assert tuple(n.shape) == tuple(t.shape)
        np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
        if t.dtype.is_floating_point and t.requires_grad:
            g = rng.standard_normal(tuple(t.shape))
            t_loss = t_loss + (t * torch.tensor(g)).sum()
            n_loss = n_loss + (n * ndgrad.tensor(g)).sum()
    if isinstance(t_loss, float):
        return t_out, n_out
    t_loss.backward()
    n_loss.backward()
    for t, n in zip(t_in, n_in):
        if t.requires_grad:
            np.testing.assert_allclose(n.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
    n_params = dict(n_mod.named_parameters())
    for name, p in t_mod.named_parameters():
        np.testing.assert_allclose(
            n_params[name].grad.numpy(), p.grad.numpy(), rtol=rtol, atol=atol, err_msg=name
        )
    return t_out, n_out


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# -- convolutions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"stride": 2, "padding": 1},
        {"padding": "same", "dilation": 2},
        {"padding": "valid", "bias": False},
        {"groups": 2, "padding": 2, "padding_mode": "reflect"},
        {"padding": 1, "padding_mode": "replicate"},
        {"padding": 2, "padding_mode": "circular", "stride": 2},
    ],
    ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "defaults",
)
def test_conv1d_matches_torch_in_output_and_gradients(kwargs):
    torch.manual_seed(0)
    _same_as_torch(torch.nn.Conv1d(4, 6, 3, **kwargs), nn.Conv1d(4, 6, 3, **kwargs), _x(2, 4, 9))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"stride": (2, 1), "padding": (1, 0)},
        {"padding": "same", "dilation": (1, 2)},
        {"groups": 2, "bias": False},
        {"padding": (1, 2), "padding_mode": "reflect"},
        {"padding": 1, "padding_mode": "circular"},
        {"padding": 1, "padding_mode": "replicate"},
        {"padding": "same", "padding_mode": "reflect"},
    ],
    ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "defaults",
)
def test_conv2d_matches_torch_in_output_and_gradients(kwargs):
    torch.manual_seed(0)
    t_mod = torch.nn.Conv2d(2, 4, (3, 2), **kwargs)
    _same_as_torch(t_mod, nn.Conv2d(2, 4, (3, 2), **kwargs), _x(2, 2, 6, 5))


def test_conv2d_accepts_unbatched_input_like_torch():
    torch.manual_seed(0)
    _same_as_torch(torch.nn.Conv2d(2, 3, 3), nn.Conv2d(2, 3, 3), _x(2, 5, 5))


def test_conv3d_matches_torch_in_output_and_gradients():
    torch.manual_seed(0)
    kwargs = {"stride": (1, 2, 1), "padding": 1}
    _same_as_torch(
        torch.nn.Conv3d(2, 2, 2, **kwargs), nn.Conv3d(2, 2, 2, **kwargs), _x(1, 2, 3, 4, 3)
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"stride": 2, "padding": 1, "output_padding": 1},
        {"groups": 2, "dilation": 2, "bias": False},
    ],
    ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "defaults",
)
def test_conv_transpose1d_matches_torch_in_output_and_gradients(kwargs):
    torch.manual_seed(0)
    t_mod = torch.nn.ConvTranspose1d(4, 2, 3, **kwargs)
    _same_as_torch(t_mod, nn.ConvTranspose1d(4, 2, 3, **kwargs), _x(2, 4, 5))


def test_conv_transpose2d_matches_torch_with_output_size():
    torch.manual_seed(0)
    t_mod = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    n_mod = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    t_out, _ = _same_as_torch(t_mod, n_mod, _x(1, 2, 3, 4), output_size=[6, 8])
    assert tuple(t_out[0].shape) == (1, 3, 6, 8)


def test_conv_transpose3d_matches_torch_in_output_and_gradients():
    torch.manual_seed(0)
    kwargs = {"stride": (2, 1, 1), "padding": (1, 0, 0), "output_padding": (1, 0, 0)}
    t_mod = torch.nn.ConvTranspose3d(2, 3, 2, **kwargs)
    _same_as_torch(t_mod, nn.ConvTranspose3d(2, 3, 2, **kwargs), _x(1, 2, 3, 2, 2))


def test_conv_transpose_refuses_an_output_size_out_of_range_like_torch():
    m = nn.ConvTranspose1d(1, 1, 3, stride=2)
    with pytest.raises(
        ValueError, match="requested an output size of \\[12\\], but valid sizes range"
    ):
        m(ndgrad.ones(1, 1, 4), output_size=[12])


def test_conv_parameters_have_torch_names_shapes_and_repr():
    cases = [
        ("Conv1d", (4, 6, 3), {"groups": 2, "padding": 1, "bias": False}),
        ("Conv2d", (2, 4, 3), {"padding": "same", "dilation": 2}),
        ("Conv2d", (2, 4, (3, 1)), {"padding_mode": "circular", "padding": 1}),
        ("Conv3d", (1, 2, 2), {}),
        ("ConvTranspose1d", (2, 3, 3), {"stride": 2, "output_padding": 1}),
        ("ConvTranspose2d", (4, 2, 2), {"groups": 2, "dilation": 2}),
        ("ConvTranspose3d", (2, 2, 3), {"padding": 1, "bias": False}),
    ]
    for name, args, kwargs in cases:
        t_mod = getattr(torch.nn, name)(*args, **kwargs)
        n_mod = getattr(nn, name)(*args, **kwargs)
        assert repr(n_mod) == repr(t_mod)
        assert {k: tuple(v.shape) for k, v in n_mod.state_dict().items()} == {
            k: tuple(v.shape) for k, v in t_mod.state_dict().items()
        }


def test_conv_default_initialisation_has_torch_bounds():
    m = nn.Conv2d(3, 8, 5)
    bound = 1 / math.sqrt(3 * 5 * 5)  # kaiming_uniform_(a=sqrt(5)) and the bias alike
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.8 * bound
    assert np.abs(b).max() <= bound
    assert m.weight.requires_grad
    assert m.weight.is_leaf


def test_conv_refuses_bad_arguments_with_torch_messages():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv1d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv1d(1, 1, 3, padding="full")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv1d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(
        ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'
    ):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")


# -- pooling ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "shape"),
    [
        ("MaxPool1d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 3, 8)),
        ("MaxPool1d", (2,), {"dilation": 2}, (2, 3, 9)),
        ("MaxPool2d", ((2, 3),), {"stride": 1, "padding": 1}, (2, 2, 5, 6)),
        ("MaxPool2d", (3,), {"stride": 2, "ceil_mode": True}, (1, 2, 6, 6)),
        ("AvgPool1d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, (2, 3, 8)),
        ("AvgPool2d", (2,), {"ceil_mode": True}, (2, 2, 5, 5)),
        ("AvgPool2d", (3,), {"stride": 1, "padding": 1, "divisor_override": 4}, (1, 2, 4, 4)),
        ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 7)),
        ("AdaptiveAvgPool2d", ((2, 3),), {}, (2, 2, 5, 7)),
        ("AdaptiveAvgPool2d", ((None, 2),), {}, (1, 2, 3, 5)),
        ("AdaptiveMaxPool1d", (3,), {}, (2, 3, 7)),
        ("AdaptiveMaxPool2d", ((2, 3),), {}, (2, 2, 5, 7)),
        ("LPPool1d", (2, 3), {"stride": 2}, (2, 3, 8)),
        ("LPPool2d", (2, 2), {}, (2, 2, 4, 6)),
        ("LPPool2d", (1.5, (2, 3)), {"stride": 1}, (1, 2, 4, 5)),
        ("MaxPool3d", (2,), {"stride": 1, "padding": 1}, (1, 2, 3, 3, 4)),
        ("AvgPool3d", ((1, 2, 2),), {"ceil_mode": True}, (1, 2, 3, 3, 5)),
        ("AdaptiveAvgPool3d", ((2, 1, 3),), {}, (1, 2, 3, 3, 5)),
        ("AdaptiveMaxPool3d", (2,), {}, (1, 2, 3, 3, 5)),
        ("LPPool3d", (2, 2), {}, (1, 2, 2, 4, 4)),
    ],
)
def test_pooling_matches_torch_in_output_gradient_and_repr(name, args, kwargs, shape):
    t_mod = getattr(torch.nn, name)(*args, **kwargs)
    n_mod = getattr(nn, name)(*args, **kwargs)
    assert repr(n_mod) == repr(t_mod)
    x = np.abs(_x(*shape)) + 0.1 if name.startswith("LP") else _x(*shape)
    _same_as_torch(t_mod, n_mod, x)


@pytest.mark.parametrize(("name", "shape"), [("MaxPool2d", (2, 2, 6, 6)), ("MaxPool1d", (2, 3, 8))])
def test_max_pool_return_indices_matches_torch(name, shape):
    t_mod = getattr(torch.nn, name)(2, return_indices=True)
    n_mod = getattr(nn, name)(2, return_indices=True)
    t_out, n_out = _same_as_torch(t_mod, n_mod, _x(*shape))
    np.testing.assert_array_equal(n_out[1].numpy(), t_out[1].numpy())


@pytest.mark.parametrize(
    ("dims", "shape"), [(1, (2, 3, 8)), (2, (2, 2, 6, 6)), (3, (1, 2, 4, 4, 4))]
)
def test_max_unpool_inverts_max_pool_like_torch(dims, shape):
    pool = getattr(torch.nn, f"MaxPool{dims}d")(2, return_indices=True)
    out, idx = pool(torch.tensor(_x(*shape)))
    t_mod = getattr(torch.nn, f"MaxUnpool{dims}d")(2)
    n_mod = getattr(nn, f"MaxUnpool{dims}d")(2)
    assert repr(n_mod) == repr(t_mod)
    _same_as_torch(t_mod, n_mod, out.numpy(), idx.numpy())
    size = list(shape[:2]) + [s + 1 for s in shape[2:]]
    _same_as_torch(t_mod, n_mod, out.numpy(), idx.numpy(), output_size=size)


def test_adaptive_max_pool2d_return_indices_matches_torch():
    t_out, n_out = _same_as_torch(
        torch.nn.AdaptiveMaxPool2d(3, return_indices=True),
        nn.AdaptiveMaxPool2d(3, return_indices=True),
        _x(1, 2, 7, 5),
    )
    np.testing.assert_array_equal(n_out[1].numpy(), t_out[1].numpy())


def test_conv_then_pool_network_trains_like_torch():
    torch.manual_seed(0)
    t_net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.MaxPool2d(2))
    n_net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.MaxPool2d(2))
    _same_as_torch(t_net, n_net, _x(2, 1, 6, 6))
