"""ndgrad.nn's recurrent layers (RNN, LSTM, GRU and the cells) against torch.nn's, in float64."""

import math
import warnings

import numpy as np
import pytest

import ndgrad
from ndgrad import nn

torch = pytest.importorskip("torch")


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [] if out is None else [out]


def _to(lib, a):
    if a is None:
        return None
    if isinstance(a, tuple):
        return tuple(_to(lib, x) for x in a)
    return lib.tensor(a, requires_grad=True)


def _same_as_torch(t_mod, n_mod, *arrays, rtol=1e-10, atol=1e-12):
    """Copy torch's state into ndgrad's, run both (float64) on ``arrays`` (an array, a tuple of
    arrays or None each), compare the outputs and every gradient under a random cotangent."""
    t_mod.double()
    n_mod.double()
    n_mod.load_state_dict(
        {k: ndgrad.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()}
    )
    t_in = [_to(torch, a) for a in arrays]
    n_in = [_to(ndgrad, a) for a in arrays]
    t_out, n_out = _flat(t_mod(*t_in)), _flat(n_mod(*n_in))
    assert len(t_out) == len(n_out)
    rng = np.random.default_rng(7)
    t_loss, n_loss = 0.0, 0.0
    for t, n in zip(t_out, n_out):
        assert tuple(n.shape) == tuple(t.shape)
        np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
        g = rng.standard_normal(tuple(t.shape))
        t_loss = t_loss + (t * torch.tensor(g)).sum()
        n_loss = n_loss + (n * ndgrad.tensor(g)).sum()
    t_loss.backward()
    n_loss.backward()
    for t, n in zip(_flat(t_in), _flat(n_in)):
        np.testing.assert_allclose(n.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
    n_params = dict(n_mod.named_parameters())
    assert list(n_params) == [name for name, _ in t_mod.named_parameters()]
    for name, p in t_mod.named_parameters():
        np.testing.assert_allclose(
            n_params[name].grad.numpy(), p.grad.numpy(), rtol=rtol, atol=atol, err_msg=name
        )
    return t_out, n_out


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


RNN_CASES = [
    ({}, False),
    ({"num_layers": 2}, True),
    ({"bidirectional": True}, True),
    ({"num_layers": 2, "bidirectional": True, "batch_first": True}, True),
    ({"bias": False}, False),
]


def _case_id(case):
    kwargs, with_h0 = case
    return ",".join(f"{k}={v}" for k, v in kwargs.items()) + (",h0" if with_h0 else "")


@pytest.mark.parametrize("case", RNN_CASES, ids=_case_id)
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_matches_torch_in_outputs_and_gradients(case, nonlinearity):
    kwargs, with_h0 = case
    torch.manual_seed(0)
    t_mod = torch.nn.RNN(3, 4, nonlinearity=nonlinearity, **kwargs)
    n_mod = nn.RNN(3, 4, nonlinearity=nonlinearity, **kwargs)
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    h0 = _x(layers, 2, 4, seed=1) if with_h0 else None
    x = _x(2, 5, 3) if kwargs.get("batch_first") else _x(5, 2, 3)
    _same_as_torch(t_mod, n_mod, x, h0)


@pytest.mark.parametrize("case", RNN_CASES, ids=_case_id)
def test_gru_matches_torch_in_outputs_and_gradients(case):
    kwargs, with_h0 = case
    torch.manual_seed(0)
    t_mod, n_mod = torch.nn.GRU(3, 4, **kwargs), nn.GRU(3, 4, **kwargs)
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    h0 = _x(layers, 2, 4, seed=1) if with_h0 else None
    x = _x(2, 5, 3) if kwargs.get("batch_first") else _x(5, 2, 3)
    _same_as_torch(t_mod, n_mod, x, h0)


@pytest.mark.parametrize(
    "case",
    RNN_CASES + [({"proj_size": 2, "num_layers": 2, "bidirectional": True}, True)],
    ids=_case_id,
)
def test_lstm_matches_torch_in_outputs_and_gradients(case):
    kwargs, with_h0 = case
    torch.manual_seed(0)
    t_mod, n_mod = torch.nn.LSTM(3, 4, **kwargs), nn.LSTM(3, 4, **kwargs)
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    h_size = kwargs.get("proj_size") or 4
    hx = (_x(layers, 2, h_size, seed=1), _x(layers, 2, 4, seed=2)) if with_h0 else None
    x = _x(2, 5, 3) if kwargs.get("batch_first") else _x(5, 2, 3)
    _same_as_torch(t_mod, n_mod, x, hx)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_recurrent_layers_accept_unbatched_input_like_torch(name):
    torch.manual_seed(0)
    kwargs = {"num_layers": 2, "bidirectional": True}
    t_mod, n_mod = getattr(torch.nn, name)(3, 4, **kwargs), getattr(nn, name)(3, 4, **kwargs)
    h = _x(4, 4, seed=1)
    hx = (h, _x(4, 4, seed=2)) if name == "LSTM" else h
    _same_as_torch(t_mod, n_mod, _x(5, 3), hx)
    _same_as_torch(t_mod, n_mod, _x(5, 3), None)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_dropout_between_layers_acts_in_training_only_like_torch(name):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # two layers: no warning about dropout
        t_mod = getattr(torch.nn, name)(3, 4, num_layers=2, dropout=1.0)
        n_mod = getattr(nn, name)(3, 4, num_layers=2, dropout=1.0)
    # p = 1 drops everything between the layers: deterministic, so comparable with torch
    _same_as_torch(t_mod, n_mod, _x(5, 2, 3))
    t_mod.eval()
    n_mod.eval()
    _same_as_torch(t_mod, n_mod, _x(5, 2, 3))


def test_dropout_with_one_layer_warns_like_torch():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(2, 3, dropout=0.5)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("RNN", {"nonlinearity": "relu", "num_layers": 2, "bias": False}),
        ("RNN", {"batch_first": True, "dropout": 0.25, "num_layers": 3}),
        ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
        ("LSTM", {}),
        ("GRU", {"bidirectional": True, "bias": False}),
    ],
)
def test_recurrent_parameters_have_torch_names_shapes_order_and_repr(name, kwargs):
    t_mod, n_mod = getattr(torch.nn, name)(3, 5, **kwargs), getattr(nn, name)(3, 5, **kwargs)
    assert repr(n_mod) == repr(t_mod)
    assert [(k, tuple(v.shape)) for k, v in n_mod.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in t_mod.state_dict().items()
    ]
    assert n_mod._flat_weights_names == t_mod._flat_weights_names
    assert [[tuple(p.shape) for p in ps] for ps in n_mod.all_weights] == [
        [tuple(p.shape) for p in ps] for ps in t_mod.all_weights
    ]


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_recurrent_default_initialisation_is_uniform_within_one_over_sqrt_hidden(name):
    m = getattr(nn, name)(10, 25)
    bound = 1 / math.sqrt(25)
    values = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.95 * bound
    assert abs(values.mean()) < 0.01


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("RNNCell", {}),
        ("RNNCell", {"nonlinearity": "relu", "bias": False}),
        ("GRUCell", {}),
        ("LSTMCell", {}),
        ("LSTMCell", {"bias": False}),
    ],
)
def test_cells_match_torch_batched_unbatched_and_without_state(name, kwargs):
    torch.manual_seed(0)
    t_mod, n_mod = getattr(torch.nn, name)(3, 4, **kwargs), getattr(nn, name)(3, 4, **kwargs)
    assert repr(n_mod) == repr(t_mod)
    assert [(k, tuple(v.shape)) for k, v in n_mod.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in t_mod.state_dict().items()
    ]
    lstm = name == "LSTMCell"
    h = (_x(2, 4, seed=1), _x(2, 4, seed=2)) if lstm else _x(2, 4, seed=1)
    _same_as_torch(t_mod, n_mod, _x(2, 3), h)
    _same_as_torch(t_mod, n_mod, _x(2, 3), None)
    h1 = (_x(4, seed=1), _x(4, seed=2)) if lstm else _x(4, seed=1)
    _same_as_torch(t_mod, n_mod, _x(3), h1)


def test_a_cell_loop_equals_the_one_layer_network_with_the_same_weights():
    lstm = nn.LSTM(3, 4)
    cell = nn.LSTMCell(3, 4)
    with ndgrad.no_grad():
        for a, b in (
            ("weight_ih", "weight_ih_l0"),
            ("weight_hh", "weight_hh_l0"),
            ("bias_ih", "bias_ih_l0"),
            ("bias_hh", "bias_hh_l0"),
        ):
            getattr(cell, a).copy_(getattr(lstm, b))
    x = ndgrad.randn(6, 2, 3)
    out, (h_n, c_n) = lstm(x)
    h = c = ndgrad.zeros(2, 4)
    for t in range(6):
        h, c = cell(x[t], (h, c))
        np.testing.assert_allclose(out[t].detach().numpy(), h.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(c_n[0].detach().numpy(), c.detach().numpy(), rtol=1e-5)


def test_recurrent_layers_refuse_bad_input_with_torch_messages():
    m = nn.LSTM(3, 4)
    with pytest.raises(
        RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 2"
    ):
        m(ndgrad.ones(5, 2, 2))
    with pytest.raises(
        RuntimeError, match=r"Expected hidden\[0\] size \(1, 2, 4\), got \[1, 3, 4\]"
    ):
        m(ndgrad.ones(5, 2, 3), (ndgrad.zeros(1, 3, 4), ndgrad.zeros(1, 2, 4)))
    with pytest.raises(RuntimeError, match="Expected hidden size \\(1, 2, 4\\), got \\[2, 2, 4\\]"):
        nn.GRU(3, 4)(ndgrad.ones(5, 2, 3), ndgrad.zeros(2, 2, 4))
    with pytest.raises(
        ValueError, match="RNN: Expected input to be 2D or 3D, got 4D tensor instead"
    ):
        nn.RNN(3, 4)(ndgrad.ones(1, 5, 2, 3))
    with pytest.raises(ValueError, match="RNN input dtype"):
        nn.RNN(3, 4)(ndgrad.ones(5, 2, 3, dtype=ndgrad.float64))
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
