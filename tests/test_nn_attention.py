"""ndgrad.nn's MultiheadAttention and Transformer encoder against torch.nn's, in float64."""

import copy
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


def _same_as_torch(t_mod, n_mod, arrays, masks=None, rtol=1e-10, atol=1e-12, **kwargs):
    """Copy torch's state into ndgrad's, run both (float64) on ``arrays`` with ``masks`` (numpy
    arrays passed by keyword, not differentiated) and ``kwargs``; compare outputs and every
    gradient under a random cotangent."""
    t_mod.double()
    n_mod.double()
    n_mod.load_state_dict(
        {k: ndgrad.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()}
    )
    assert list(n_mod.state_dict()) == list(t_mod.state_dict())
    masks = masks or {}
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    n_in = [ndgrad.tensor(a, requires_grad=True) for a in arrays]
    t_masks = {k: None if v is None else torch.tensor(v) for k, v in masks.items()}
    n_masks = {k: None if v is None else ndgrad.tensor(v) for k, v in masks.items()}
    t_out = _flat(t_mod(*t_in, **t_masks, **kwargs))
    n_out = _flat(n_mod(*n_in, **n_masks, **kwargs))
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
    for t, n in zip(t_in, n_in):
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


def _randomise_biases(t_mod):
    """torch initialises the projection biases to zero; make them count in the comparison."""
    torch.manual_seed(3)
    with torch.no_grad():
        for name, p in t_mod.named_parameters():
            if "bias" in name:
                p.uniform_(-0.5, 0.5)


# -- MultiheadAttention ------------------------------------------------------------------------


MHA_CASES = {
    "defaults": ({}, {}),
    "batch_first": ({"batch_first": True}, {}),
    "no_bias": ({"bias": False}, {}),
    "kdim_vdim": ({"kdim": 3, "vdim": 5}, {}),
    "bias_kv_zero_attn": ({"add_bias_kv": True, "add_zero_attn": True}, {}),
    "per_head_weights": ({}, {"average_attn_weights": False}),
    "no_weights": ({"batch_first": True}, {"need_weights": False}),
}


@pytest.mark.parametrize("case", list(MHA_CASES))
def test_multihead_attention_matches_torch_in_outputs_weights_and_gradients(case):
    ctor, call = MHA_CASES[case]
    torch.manual_seed(0)
    t_mod = torch.nn.MultiheadAttention(4, 2, **ctor)
    n_mod = nn.MultiheadAttention(4, 2, **ctor)
    _randomise_biases(t_mod)
    tgt, src, batch = 3, 5, 2

    def shape(length, features):
        return (batch, length, features) if ctor.get("batch_first") else (length, batch, features)

    q = _x(*shape(tgt, 4), seed=1)
    k = _x(*shape(src, ctor.get("kdim", 4)), seed=2)
    v = _x(*shape(src, ctor.get("vdim", 4)), seed=3)
    t_out, _ = _same_as_torch(t_mod, n_mod, [q, k, v], **call)
    assert len(t_out) == (1 if call.get("need_weights") is False else 2)


def test_multihead_self_attention_unbatched_matches_torch():
    torch.manual_seed(0)
    t_mod, n_mod = torch.nn.MultiheadAttention(6, 3), nn.MultiheadAttention(6, 3)
    x = _x(4, 6)
    _same_as_torch(t_mod, n_mod, [x, x, x])


@pytest.mark.parametrize(
    "masks",
    [
        {"key_padding_mask": np.array([[False, False, True, False, True], [False] * 5])},
        {"key_padding_mask": np.array([[0.0, -1.0, 0.5, 0.0, -np.inf], [0.0] * 5])},
        {"attn_mask": np.triu(np.ones((3, 5), dtype=bool), 1)},
        {"attn_mask": _x(4, 3, 5, seed=5)},
        {
            "attn_mask": np.triu(np.ones((3, 5), dtype=bool), 2),
            "key_padding_mask": np.array([[False, True, False, False, False], [False] * 5]),
        },
    ],
    ids=["bool_padding", "float_padding", "bool_2d_mask", "float_3d_mask", "both"],
)
@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_masks_match_torch(masks, need_weights):
    torch.manual_seed(0)
    t_mod, n_mod = torch.nn.MultiheadAttention(4, 2), nn.MultiheadAttention(4, 2)
    _randomise_biases(t_mod)
    q, k, v = _x(3, 2, 4, seed=1), _x(5, 2, 4, seed=2), _x(5, 2, 4, seed=3)
    _same_as_torch(t_mod, n_mod, [q, k, v], masks, need_weights=need_weights)


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_is_causal_hint_with_its_mask_matches_torch(need_weights):
    torch.manual_seed(0)
    t_mod = torch.nn.MultiheadAttention(4, 2, batch_first=True)
    n_mod = nn.MultiheadAttention(4, 2, batch_first=True)
    x = _x(2, 4, 4)
    causal = np.triu(np.ones((4, 4), dtype=bool), 1)
    _same_as_torch(
        t_mod, n_mod, [x, x, x], {"attn_mask": causal}, is_causal=True, need_weights=need_weights
    )


def test_multihead_attention_dropout_acts_in_training_and_not_in_eval():
    torch.manual_seed(0)
    t_mod = torch.nn.MultiheadAttention(4, 2, dropout=0.5)
    n_mod = nn.MultiheadAttention(4, 2, dropout=0.5)
    x = _x(3, 2, 4)
    t_mod.eval()
    n_mod.eval()
    _same_as_torch(t_mod, n_mod, [x, x, x])
    n_mod.train()
    xt = ndgrad.tensor(x)
    a = n_mod(xt, xt, xt)[1].detach().numpy()
    b = n_mod.eval()(xt, xt, xt)[1].detach().numpy()
    assert not np.allclose(a, b)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"kdim": 3, "vdim": 2}, {"add_bias_kv": True, "bias": False}, {"batch_first": True}],
)
def test_multihead_attention_parameters_have_torch_names_shapes_and_repr(kwargs):
    t_mod, n_mod = (
        torch.nn.MultiheadAttention(6, 2, **kwargs),
        nn.MultiheadAttention(6, 2, **kwargs),
    )
    assert repr(n_mod) == repr(t_mod)
    assert [(k, tuple(v.shape)) for k, v in n_mod.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in t_mod.state_dict().items()
    ]
    assert n_mod.head_dim == 3
    assert n_mod._qkv_same_embed_dim == t_mod._qkv_same_embed_dim


def test_multihead_attention_default_initialisation_follows_torch():
    m = nn.MultiheadAttention(8, 2, add_bias_kv=True)
    bound = (6 / (8 + 24)) ** 0.5  # xavier_uniform_ on the (3E, E) packed weight
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.8 * bound
    assert m.in_proj_bias.tolist() == [0.0] * 24
    assert m.out_proj.bias.tolist() == [0.0] * 8
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(m.out_proj, nn.Linear)
    assert tuple(m.bias_k.shape) == (1, 1, 8)


def test_multihead_attention_refuses_bad_sizes_like_torch():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        nn.MultiheadAttention(0, 2)


# -- TransformerEncoderLayer, TransformerEncoder -----------------------------------------------


LAYER_CASES = {
    "defaults": {},
    "gelu_norm_first": {"activation": "gelu", "norm_first": True},
    "batch_first_no_bias": {"batch_first": True, "bias": False, "layer_norm_eps": 1e-3},
    "callable_activation": {"activation": torch.tanh},
}


@pytest.mark.parametrize("case", list(LAYER_CASES))
def test_transformer_encoder_layer_matches_torch(case):
    kwargs = dict(LAYER_CASES[case])
    n_kwargs = dict(kwargs)
    if kwargs.get("activation") is torch.tanh:
        n_kwargs["activation"] = ndgrad.tanh
    torch.manual_seed(0)
    t_mod = torch.nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, **kwargs)
    n_mod = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, **n_kwargs)
    _randomise_biases(t_mod)
    assert repr(n_mod) == repr(t_mod)
    x = _x(2, 5, 4) if kwargs.get("batch_first") else _x(5, 2, 4)
    padding = np.array([[False, False, False, True, True], [False] * 5])
    _same_as_torch(t_mod, n_mod, [x])
    _same_as_torch(t_mod, n_mod, [x], {"src_key_padding_mask": padding})
    causal = np.triu(np.full((5, 5), -np.inf), 1)
    _same_as_torch(t_mod, n_mod, [x], {"src_mask": causal}, is_causal=True)


def test_transformer_encoder_layer_in_eval_mode_with_default_dropout_matches_torch():
    torch.manual_seed(0)
    t_mod = torch.nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, batch_first=True).eval()
    n_mod = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, batch_first=True).eval()
    assert n_mod.dropout.p == 0.1
    assert n_mod.linear1.out_features == 8
    _same_as_torch(t_mod, n_mod, [_x(2, 3, 4)])


def test_transformer_encoder_layer_default_feedforward_size_is_2048():
    m = nn.TransformerEncoderLayer(4, 2)
    assert tuple(m.linear1.weight.shape) == (2048, 4)
    assert m.activation is ndgrad.nn.functional.relu
    assert m.activation_relu_or_gelu == 1
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not swish"):
        nn.TransformerEncoderLayer(4, 2, activation="swish")


def test_transformer_encoder_deep_copies_the_layer_and_matches_torch():
    torch.manual_seed(0)
    t_layer = torch.nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0)
    n_layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_mod = torch.nn.TransformerEncoder(t_layer, 2, norm=torch.nn.LayerNorm(4))
    with pytest.warns(
        UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor"
    ):
        n_mod = nn.TransformerEncoder(n_layer, 2, norm=nn.LayerNorm(4))
    assert repr(n_mod) == repr(t_mod)
    assert n_mod.layers[0] is not n_layer
    assert n_mod.layers[0] is not n_mod.layers[1]
    assert n_mod.layers[0].linear1.weight is not n_mod.layers[1].linear1.weight
    with torch.no_grad():  # make the two copies differ, so the comparison sees both
        t_mod.layers[1].linear1.weight.mul_(-1.5)
    x = _x(5, 2, 4)
    _same_as_torch(t_mod, n_mod, [x])
    padding = np.array([[False, False, True, True, True], [False] * 5])
    _same_as_torch(t_mod, n_mod, [x], {"src_key_padding_mask": padding})


def test_transformer_encoder_detects_a_causal_mask_like_torch():
    torch.manual_seed(0)
    t_layer = torch.nn.TransformerEncoderLayer(
        4, 2, dim_feedforward=6, dropout=0.0, batch_first=True
    )
    n_layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, batch_first=True)
    t_mod = torch.nn.TransformerEncoder(t_layer, 2, enable_nested_tensor=False)
    n_mod = nn.TransformerEncoder(n_layer, 2, enable_nested_tensor=False)
    causal = np.triu(np.full((4, 4), -np.inf), 1)
    _same_as_torch(t_mod, n_mod, [_x(2, 4, 4)], {"mask": causal})
    _same_as_torch(t_mod, n_mod, [_x(2, 4, 4)], {"mask": causal != 0}, is_causal=True)


def test_a_deep_copied_encoder_layer_trains_apart_from_the_original():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6)
    twin = copy.deepcopy(layer)
    with ndgrad.no_grad():
        twin.linear1.weight.zero_()
    assert not bool((layer.linear1.weight == 0).all())


@pytest.mark.parametrize("left_aligned", [True, False])
def test_transformer_encoder_in_inference_zeroes_padded_positions_where_torch_does(left_aligned):
    torch.manual_seed(0)
    t_layer = torch.nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, batch_first=True)
    n_layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, batch_first=True)
    t_mod = torch.nn.TransformerEncoder(t_layer, 2, norm=torch.nn.LayerNorm(4)).double().eval()
    n_mod = nn.TransformerEncoder(n_layer, 2, norm=nn.LayerNorm(4)).double().eval()
    n_mod.load_state_dict({k: ndgrad.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    x = _x(2, 5, 4)
    row = [False, False, False, True, True] if left_aligned else [False, True, False, False, True]
    padding = np.array([row, [False] * 5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "nested tensors are in prototype stage"
        with torch.no_grad():
            expected = t_mod(torch.tensor(x), src_key_padding_mask=torch.tensor(padding))
    with ndgrad.no_grad():
        got = n_mod(ndgrad.tensor(x), src_key_padding_mask=ndgrad.tensor(padding))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)
    with_grad = n_mod(ndgrad.tensor(x), src_key_padding_mask=ndgrad.tensor(padding))
    assert bool((with_grad[0, 4] != got[0, 4]).any()) == left_aligned


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_decoder_layer_matches_torch_with_masks(norm_first):
    torch.manual_seed(0)
    kwargs = {"dim_feedforward": 6, "dropout": 0.0, "norm_first": norm_first, "activation": "gelu"}
    t_mod = torch.nn.TransformerDecoderLayer(4, 2, **kwargs)
    n_mod = nn.TransformerDecoderLayer(4, 2, **kwargs)
    _randomise_biases(t_mod)
    assert repr(n_mod) == repr(t_mod)
    tgt, memory = _x(3, 2, 4, seed=1), _x(5, 2, 4, seed=2)
    masks = {
        "tgt_mask": np.triu(np.full((3, 3), -np.inf), 1),
        "memory_key_padding_mask": np.array([[False, False, False, True, True], [False] * 5]),
    }
    _same_as_torch(t_mod, n_mod, [tgt, memory])
    _same_as_torch(t_mod, n_mod, [tgt, memory], masks, tgt_is_causal=True)


def test_transformer_matches_torch_end_to_end():
    torch.manual_seed(0)
    kwargs = {"d_model": 4, "nhead": 2, "num_encoder_layers": 2, "num_decoder_layers": 1}
    kwargs |= {"dim_feedforward": 6, "dropout": 0.0, "batch_first": True}
    t_mod, n_mod = torch.nn.Transformer(**kwargs), nn.Transformer(**kwargs)
    assert repr(n_mod) == repr(t_mod)
    assert [(k, tuple(v.shape)) for k, v in n_mod.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in t_mod.state_dict().items()
    ]
    bound = (6 / (4 + 12)) ** 0.5  # xavier_uniform_ on every matrix, e.g. the (12, 4) in_proj
    w = n_mod.encoder.layers[0].self_attn.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound
    src, tgt = _x(2, 5, 4, seed=1), _x(2, 3, 4, seed=2)
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=ndgrad.float64)
    t_mask = torch.nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64)
    np.testing.assert_array_equal(mask.numpy(), t_mask.numpy())
    padding = np.array([[False, False, False, False, True], [False] * 5])
    masks = {"tgt_mask": mask.numpy(), "src_key_padding_mask": padding}
    masks["memory_key_padding_mask"] = padding
    _same_as_torch(t_mod, n_mod, [src, tgt], masks)


def test_transformer_refuses_mismatched_batches_like_torch():
    with pytest.warns(UserWarning, match="enable_nested_tensor is True"):  # as torch's
        m = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        m(ndgrad.ones(5, 2, 4), ndgrad.ones(3, 1, 4))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal"):
        m(ndgrad.ones(5, 2, 4), ndgrad.ones(3, 2, 2))
