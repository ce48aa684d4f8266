"""``ndgrad.nn.functional``'s normalization, dropout, embedding, distances and attention: what the
op-table template cannot see (running statistics, randomness, gradients that are not derivatives,
errors), against PyTorch where it is installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ndgrad
import ndgrad.nn.functional as F  # noqa: N812 - PyTorch's habit


def _torch():
    return pytest.importorskip("torch")


def _pair(a, requires_grad=False):
    torch = _torch()
    return (
        ndgrad.tensor(a.copy(), requires_grad=requires_grad),
        torch.tensor(a.copy(), requires_grad=requires_grad),
    )


def _close(a, b, rtol=1e-10, atol=1e-12):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def _fresh_stats(c):
    """Running mean 0 and variance 1 of c channels, for ndgrad and for PyTorch."""
    (m, tm), (v, tv) = _pair(np.zeros(c)), _pair(np.ones(c))
    return [m, v], [tm, tv]


def _message(fn, cls):
    with pytest.raises(cls) as info:
        fn()
    return str(info.value)


# --------------------------------------------------------------------------------------------
# Normalization


def test_batch_norm_running_statistics_follow_pytorch_over_several_steps():
    torch = _torch()
    rng = np.random.default_rng(0)
    ours, theirs = _fresh_stats(3)
    for _ in range(4):
        x = rng.standard_normal((4, 3, 2)) * 3 + 1
        a, b = _pair(x)
        _close(
            F.batch_norm(a, *ours, training=True, momentum=0.2),
            torch.nn.functional.batch_norm(b, *theirs, training=True, momentum=0.2),
        )
    _close(ours[0], theirs[0])
    _close(ours[1], theirs[1])
    x = rng.standard_normal((2, 3, 2))
    a, b = _pair(x)
    w, tw = _pair(rng.standard_normal(3), requires_grad=True)
    y = F.batch_norm(a, *ours, w, None, False)
    ty = torch.nn.functional.batch_norm(b, *theirs, tw, None, False)
    _close(y, ty)
    y.sum().backward()
    ty.sum().backward()
    _close(w.grad, tw.grad)


def test_batch_norm_updates_buffers_without_recording_history():
    rm = ndgrad.zeros(2)
    x = ndgrad.tensor([[1.0, 2.0], [3.0, 6.0]], requires_grad=True)
    version = rm._version
    F.batch_norm(x, rm, None, training=True)
    assert rm.grad_fn is None
    assert not rm.requires_grad
    assert rm._version > version
    assert rm.tolist() == pytest.approx([0.2, 0.4])


def test_instance_norm_running_statistics_follow_pytorch():
    torch = _torch()
    rng = np.random.default_rng(1)
    ours, theirs = _fresh_stats(2)
    for _ in range(3):
        a, b = _pair(rng.standard_normal((3, 2, 5)) * 2)
        _close(
            F.instance_norm(a, *ours, momentum=0.3),
            torch.nn.functional.instance_norm(b, *theirs, momentum=0.3),
        )
    _close(ours[0], theirs[0])
    _close(ours[1], theirs[1])
    a, b = _pair(rng.standard_normal((1, 2, 3)))
    _close(
        F.instance_norm(a, *ours, use_input_stats=False),
        torch.nn.functional.instance_norm(b, *theirs, use_input_stats=False),
    )


def test_normalization_errors_match_pytorch():
    torch = _torch()
    tf = torch.nn.functional
    cases = [
        (lambda lib: lib.layer_norm(lib_t(lib, (2, 3)), (4,)), RuntimeError),
        (lambda lib: lib.layer_norm(lib_t(lib, (2, 3)), (3,), lib_t(lib, (4,))), RuntimeError),
        (lambda lib: lib.rms_norm(lib_t(lib, (2, 3)), (4,)), RuntimeError),
        (lambda lib: lib.group_norm(lib_t(lib, (2, 6, 3)), 4), RuntimeError),
        (lambda lib: lib.batch_norm(lib_t(lib, (2, 3)), None, None), RuntimeError),
        (lambda lib: lib.batch_norm(lib_t(lib, (1, 3)), None, None, training=True), ValueError),
        (lambda lib: lib.instance_norm(lib_t(lib, (2, 3, 1))), ValueError),
        (lambda lib: lib.local_response_norm(lib_t(lib, (2, 3)), 2), ValueError),
    ]
    for fn, cls in cases:
        ours = _message(lambda fn=fn: fn(F), cls)
        theirs = _message(lambda fn=fn: fn(tf), cls).replace("torch.", "ndgrad.")
        assert ours.startswith(theirs), (ours, theirs)


def lib_t(lib, shape):
    return (ndgrad if lib is F else __import__("torch")).ones(shape)


def test_layer_norm_refuses_an_int_normalized_shape_as_pytorch():
    with pytest.raises(TypeError, match="must be tuple of ints, not int"):
        F.layer_norm(ndgrad.ones(2, 3), 3)


def test_rms_norm_default_eps_is_the_dtypes_machine_epsilon():
    torch = _torch()
    x = np.full((2, 3), 1e-4, dtype=np.float32)
    a, b = _pair(x)
    _close(F.rms_norm(a, (3,)), torch.nn.functional.rms_norm(b, (3,)), rtol=1e-6)
    assert F.rms_norm(a, (3,)).dtype is ndgrad.float32


def test_top_level_norms_take_atens_argument_order():
    torch = _torch()
    rng = np.random.default_rng(2)
    a, b = _pair(rng.standard_normal((3, 2, 2)))
    w, tw = _pair(rng.standard_normal(2))
    rm, trm = _pair(np.zeros(2))
    rv, trv = _pair(np.ones(2))
    _close(
        ndgrad.batch_norm(a, w, None, rm, rv, True, 0.1, 1e-5, False),
        torch.batch_norm(b, tw, None, trm, trv, True, 0.1, 1e-5, False),
    )
    _close(rm, trm)
    _close(ndgrad.layer_norm(a, (2, 2)), torch.layer_norm(b, (2, 2)))
    _close(ndgrad.group_norm(a, 2, w), torch.group_norm(b, 2, tw))
    _close(ndgrad.rms_norm(a, [2]), torch.rms_norm(b, [2]))
    _close(
        ndgrad.instance_norm(a, w, None, None, None, True, 0.1, 1e-5, False),
        torch.instance_norm(b, tw, None, None, None, True, 0.1, 1e-5, False),
    )


# --------------------------------------------------------------------------------------------
# Dropout


@pytest.mark.filterwarnings("ignore:dropout2d. Received a 5-D input")
@pytest.mark.parametrize(
    "fn", [F.dropout, F.alpha_dropout, F.feature_alpha_dropout, F.dropout2d, F.dropout3d]
)
def test_dropout_without_training_or_with_p_zero_returns_the_input_itself(fn):
    x = ndgrad.ones(2, 3, 2, 2, 1, requires_grad=True)
    assert fn(x, 0.5, training=False) is x
    assert fn(x, 0.0, training=True) is x


def test_dropout_with_p_one_gives_zeros_with_a_graph():
    x = ndgrad.ones(2, 3, requires_grad=True)
    for fn in (F.dropout, F.alpha_dropout):
        y = fn(x, 1.0, True)
        assert y.tolist() == [[0.0] * 3] * 2
        assert y.grad_fn.name() == "MulBackward0"


def test_dropout_is_reproducible_under_manual_seed():
    x = ndgrad.ones(100)
    for fn in (F.dropout, F.alpha_dropout, F.dropout1d):
        ndgrad.manual_seed(3)
        a = fn(x.reshape(4, 25) if fn is F.dropout1d else x, 0.4, True)
        ndgrad.manual_seed(3)
        b = fn(x.reshape(4, 25) if fn is F.dropout1d else x, 0.4, True)
        assert a.tolist() == b.tolist()
        c = fn(x.reshape(4, 25) if fn is F.dropout1d else x, 0.4, True)
        assert a.tolist() != c.tolist()


def test_dropout_drops_about_p_and_scales_the_rest_by_one_over_one_minus_p():
    ndgrad.manual_seed(4)
    p = 0.3
    y = F.dropout(ndgrad.ones(20000, dtype=ndgrad.float64), p)
    v = y.numpy()
    assert set(np.unique(v)) <= {0.0, 1.0 / (1 - p)}
    assert abs(np.mean(v == 0) - p) < 0.015
    assert abs(v.mean() - 1.0) < 0.03  # unbiased in expectation


def test_dropout_gradient_is_the_mask_times_the_scale():
    ndgrad.manual_seed(5)
    x = ndgrad.tensor(np.linspace(1, 2, 50), requires_grad=True)
    y = F.dropout(x, 0.5)
    g = ndgrad.tensor(np.linspace(-1, 1, 50))
    y.backward(g)
    kept = y.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, 2.0, 0.0) * g.numpy())


def test_inplace_dropout_writes_into_the_input():
    ndgrad.manual_seed(6)
    x = ndgrad.ones(40)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x
    assert set(x.tolist()) == {0.0, 2.0}


def test_channel_dropout_zeroes_whole_channels():
    ndgrad.manual_seed(7)
    y = F.dropout2d(ndgrad.ones(8, 16, 3, 3), 0.5).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))
    assert set(np.unique(per_channel)) == {0.0, 2.0}
    y = F.dropout1d(ndgrad.ones(16, 5), 0.5).numpy()  # unbatched (C, L)
    assert np.all(y.min(-1) == y.max(-1))
    y = F.feature_alpha_dropout(ndgrad.ones(4, 8, 3), 0.5, True).numpy()
    assert np.all(y.min(-1) == y.max(-1))


def test_alpha_dropout_takes_pytorchs_two_values_and_keeps_mean_and_variance():
    torch = _torch()
    ndgrad.manual_seed(8)
    p = 0.2
    ours = np.unique(F.alpha_dropout(ndgrad.zeros(4000, dtype=ndgrad.float64), p, True).numpy())
    torch.manual_seed(8)
    theirs = np.unique(
        torch.nn.functional.alpha_dropout(torch.zeros(4000, dtype=torch.float64), p, True)
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    y = F.alpha_dropout(ndgrad.randn(40000, dtype=ndgrad.float64), p, True).numpy()
    assert abs(y.mean()) < 0.03
    assert abs(y.std() - 1.0) < 0.03


def test_dropout_errors_and_warnings_match_pytorch():
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got"):
        F.dropout(ndgrad.ones(2), 1.5)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        F.dropout1d(ndgrad.ones(2, 2, 2, 2))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(ndgrad.ones(2, 2, 2), training=False)
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout3d"):
        F.dropout3d(ndgrad.ones(2, 2, 2, 2)[0, 0], training=False)


def test_attention_dropout_is_seeded():
    q = ndgrad.randn(1, 4, 3)
    ndgrad.manual_seed(9)
    a = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    ndgrad.manual_seed(9)
    b = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert a.tolist() == b.tolist()


# --------------------------------------------------------------------------------------------
# Embedding


@pytest.mark.parametrize(
    "kwargs",
    [
        {"padding_idx": 1},
        {"padding_idx": -1},
        {"scale_grad_by_freq": True},
        {"padding_idx": 0, "scale_grad_by_freq": True},
    ],  # fmt: skip
)
def test_embedding_gradients_with_padding_and_frequency_scaling_match_pytorch(kwargs):
    torch = _torch()
    idx = np.array([[0, 1, 3], [3, 3, 2]])
    w, tw = _pair(np.random.default_rng(10).standard_normal((4, 2)), requires_grad=True)
    y = F.embedding(ndgrad.tensor(idx), w, **kwargs)
    ty = torch.nn.functional.embedding(torch.tensor(idx), tw, **kwargs)
    _close(y, ty)
    g = np.random.default_rng(11).standard_normal(ty.shape)
    y.backward(ndgrad.tensor(g))
    ty.backward(torch.tensor(g))
    _close(w.grad, tw.grad)
    assert y.grad_fn.name() == "EmbeddingBackward0"


def test_embedding_max_norm_renormalizes_the_used_rows_in_place_as_pytorch():
    torch = _torch()
    rng = np.random.default_rng(12)
    w, tw = _pair(rng.standard_normal((5, 3)) * 2, requires_grad=True)
    idx = np.array([0, 2, 2, 4])
    for norm_type in (2.0, 1.0):
        y = F.embedding(ndgrad.tensor(idx), w, max_norm=1.0, norm_type=norm_type)
        ty = torch.nn.functional.embedding(torch.tensor(idx), tw, max_norm=1.0, norm_type=norm_type)
        _close(w, tw)
        _close(y, ty)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    _close(w.grad, tw.grad)
    assert w.is_leaf
    assert w.requires_grad


def test_embedding_errors_match_pytorch():
    w = ndgrad.ones(3, 2)
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar types"):
        F.embedding(ndgrad.tensor([1.0]), w)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(ndgrad.tensor([3]), w)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F.embedding(ndgrad.tensor([1]), w, padding_idx=3)
    with pytest.raises(NotImplementedError, match="sparse=True is not supported"):
        F.embedding(ndgrad.tensor([1]), w, sparse=True)


def test_top_level_embedding_takes_weight_first():
    w = ndgrad.arange(6.0).reshape(3, 2)
    assert ndgrad.embedding(w, ndgrad.tensor([2, 0])).tolist() == [[4.0, 5.0], [0.0, 1.0]]


def test_embedding_bag_max_norm_and_errors_match_pytorch():
    torch = _torch()
    rng = np.random.default_rng(13)
    w, tw = _pair(rng.standard_normal((5, 3)) * 2, requires_grad=True)
    idx, off = np.array([0, 2, 2, 4, 1]), np.array([0, 3])
    y = F.embedding_bag(ndgrad.tensor(idx), w, ndgrad.tensor(off), max_norm=1.5)
    ty = torch.nn.functional.embedding_bag(torch.tensor(idx), tw, torch.tensor(off), max_norm=1.5)
    _close(y, ty)
    _close(w, tw)
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported"):
        F.embedding_bag(ndgrad.tensor([[0, 1]]), w, per_sample_weights=ndgrad.ones(1, 2))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(ndgrad.tensor([0, 1]), w)
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(ndgrad.tensor([[0, 1]]), w, mode="min")


# --------------------------------------------------------------------------------------------
# one_hot, distances


def test_one_hot_errors_match_pytorch():
    torch = _torch()
    cases = [
        ([-1, 2], -1, np.int64),
        ([1, 2], 2, np.int64),
        ([1.0, 2.0], -1, np.float32),
        ([], -1, np.int64),
    ]
    for values, n, dt in cases:
        x = np.array(values, dtype=dt)
        ours = _message(lambda x=x, n=n: F.one_hot(ndgrad.tensor(x), n), RuntimeError)
        theirs = _message(
            lambda x=x, n=n: torch.nn.functional.one_hot(torch.tensor(x), n), RuntimeError
        )
        assert ours.startswith(theirs), (ours, theirs)


def test_one_hot_is_int64_and_has_no_gradient():
    y = F.one_hot(ndgrad.tensor([0, 2]))
    assert y.dtype is ndgrad.int64
    assert y.tolist() == [[1, 0, 0], [0, 0, 1]]


def test_cosine_similarity_clamps_tiny_norms_as_pytorch():
    torch = _torch()
    x = np.array([[1e-10, 0.0], [3.0, 4.0]])
    z = np.array([[1.0, 1.0], [1.0, 0.0]])
    a, ta = _pair(x, requires_grad=True)
    b, tb = _pair(z, requires_grad=True)
    y = F.cosine_similarity(a, b, dim=1)
    ty = torch.nn.functional.cosine_similarity(ta, tb, dim=1)
    _close(y, ty)
    y.sum().backward()
    ty.sum().backward()
    _close(a.grad, ta.grad)
    _close(b.grad, tb.grad)


def test_distance_errors_match_pytorch():
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 3D"):
        F.pdist(ndgrad.ones(2, 3, 4))
    with pytest.raises(RuntimeError, match="pdist only supports non-negative p values"):
        F.pdist(ndgrad.ones(3, 4), -1)
    with pytest.raises(RuntimeError, match="input batch dimensions do not match at dim 0"):
        F.bilinear(ndgrad.ones(2, 3), ndgrad.ones(3, 4), ndgrad.ones(5, 3, 4))
    with pytest.raises(RuntimeError, match="input2 size does not match weight size: got 4"):
        F.bilinear(ndgrad.ones(2, 3), ndgrad.ones(2, 4), ndgrad.ones(5, 3, 3))


# --------------------------------------------------------------------------------------------
# Attention


def _qkv(rng, *shapes):
    return [_pair(rng.standard_normal(s), requires_grad=True) for s in shapes]


def _attend_both(pairs, ours_kwargs, theirs_kwargs):
    torch = _torch()
    ours = F.scaled_dot_product_attention(*(p[0] for p in pairs), **ours_kwargs)
    theirs = torch.nn.functional.scaled_dot_product_attention(
        *(p[1] for p in pairs), **theirs_kwargs
    )
    _close(ours, theirs)
    g = np.random.default_rng(0).standard_normal(tuple(theirs.shape))
    ours.backward(ndgrad.tensor(g))
    theirs.backward(torch.tensor(g))
    for a, b in pairs:
        _close(a.grad, b.grad, rtol=1e-9)


def test_attention_with_is_causal_matches_pytorch():
    pairs = _qkv(np.random.default_rng(14), (2, 2, 4, 3), (2, 2, 4, 3), (2, 2, 4, 5))
    _attend_both(pairs, {"is_causal": True}, {"is_causal": True})


def test_attention_with_a_broadcast_bool_mask_and_a_fully_masked_row_gives_zeros():
    torch = _torch()
    pairs = _qkv(np.random.default_rng(15), (2, 3, 2), (2, 4, 2), (2, 4, 2))
    keep = np.array([[True, False, True, True], [False] * 4, [True, True, False, True]])
    _attend_both(pairs, {"attn_mask": ndgrad.tensor(keep)}, {"attn_mask": torch.tensor(keep)})
    out = F.scaled_dot_product_attention(*(p[0] for p in pairs), attn_mask=ndgrad.tensor(keep))
    assert np.all(out.detach().numpy()[:, 1] == 0.0)


def test_attention_with_a_float_mask_and_scale_matches_pytorch():
    torch = _torch()
    rng = np.random.default_rng(16)
    pairs = _qkv(rng, (1, 3, 2), (1, 3, 2), (1, 3, 2))
    bias = rng.standard_normal((1, 3, 3))
    bias[0, 0, 2] = -math.inf
    _attend_both(
        pairs,
        {"attn_mask": ndgrad.tensor(bias), "scale": 0.7},
        {"attn_mask": torch.tensor(bias), "scale": 0.7},
    )


def test_attention_refuses_a_mask_with_is_causal():
    q = ndgrad.ones(1, 2, 3)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ndgrad.ones(2, 2), is_causal=True)


def _mha_args(lib, rng_seed, e=4, lq=3, ls=3, n=2):
    rng = np.random.default_rng(rng_seed)
    arrays = [
        rng.standard_normal((lq, n, e)),
        rng.standard_normal((ls, n, e)),
        rng.standard_normal((ls, n, e)),
        rng.standard_normal((3 * e, e)) * 0.5,
        rng.standard_normal(3 * e),
        rng.standard_normal((e, e)) * 0.5,
        rng.standard_normal(e),
    ]
    t = [lib.tensor(a, requires_grad=True) for a in arrays]
    q, k, v, w_in, b_in, w_out, b_out = t
    return t, (q, k, v, e, 2, w_in, b_in, None, None, False, 0.0, w_out, b_out)


@pytest.mark.parametrize("need_weights", [True, False])
def test_multi_head_attention_with_bool_masks_matches_pytorch(need_weights):
    torch = _torch()
    kpm = np.array([[False, False, True], [False, False, False]])
    causal = np.triu(np.ones((3, 3), dtype=bool), 1)
    results = []
    for lib in (ndgrad, torch):
        leaves, args = _mha_args(lib, 17)
        out, weights = lib.nn.functional.multi_head_attention_forward(
            *args,
            key_padding_mask=lib.tensor(kpm),
            attn_mask=lib.tensor(causal),
            need_weights=need_weights,
        )
        out.sum().backward()
        results.append((out, weights, [x.grad for x in leaves]))
    (o1, w1, g1), (o2, w2, g2) = results
    _close(o1, o2)
    assert (w1 is None) == (w2 is None) == (not need_weights)
    if need_weights:
        _close(w1, w2)
    for a, b in zip(g1, g2):
        _close(a, b, rtol=1e-9)


def test_multi_head_attention_is_causal_hint_matches_pytorch():
    torch = _torch()
    causal = np.triu(np.ones((3, 3), dtype=bool), 1)
    outs = []
    for lib in (ndgrad, torch):
        _, args = _mha_args(lib, 18)
        out, w = lib.nn.functional.multi_head_attention_forward(
            *args, attn_mask=lib.tensor(causal), is_causal=True, need_weights=False
        )
        outs.append(out)
        assert w is None
    _close(*outs)
    _, args = _mha_args(ndgrad, 18)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        F.multi_head_attention_forward(*args, is_causal=True)
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 5"):
        F.multi_head_attention_forward(*args[:3], 5, *args[4:])


def test_multi_head_attention_with_static_keys_bias_kv_and_zero_attn_matches_pytorch():
    torch = _torch()
    rng = np.random.default_rng(19)
    static = [rng.standard_normal((4, 3, 2)) for _ in range(2)]  # (bsz * heads, S, head_dim)
    bias_kv = [rng.standard_normal((1, 1, 4)) for _ in range(2)]
    outs = []
    for lib in (ndgrad, torch):
        leaves, args = _mha_args(lib, 20)
        sk, sv = (lib.tensor(a, requires_grad=True) for a in static)
        out, _ = lib.nn.functional.multi_head_attention_forward(
            *args, static_k=sk, static_v=sv, need_weights=False
        )
        bk, bv = (lib.tensor(a, requires_grad=True) for a in bias_kv)
        args2 = (*args[:7], bk, bv, True, *args[10:])
        out2, _ = lib.nn.functional.multi_head_attention_forward(*args2, need_weights=False)
        (out.sum() + out2.sum()).backward()
        outs.append((out, out2, [x.grad for x in (*leaves, sk, sv, bk, bv)]))
    for a, b in zip(outs[0][:2], outs[1][:2]):
        _close(a, b)
    for a, b in zip(outs[0][2], outs[1][2]):
        _close(a, b, rtol=1e-9)


def test_embedding_bag_max_gives_a_tie_to_the_first_row_of_the_bag_as_pytorch():
    torch = _torch()
    grads = []
    for lib in (ndgrad, torch):
        w = lib.tensor(np.array([[0.0, 1.0], [2.0, 2.0], [2.0, 2.0]]), requires_grad=True)
        bags = lib.tensor(np.array([[2, 1, 0], [1, 2, 0], [0, 0, 0]]))
        y = lib.nn.functional.embedding_bag(bags, w, mode="max")
        (y * lib.tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))).sum().backward()
        grads.append(w.grad.tolist())
    assert grads[0] == grads[1]
