"""Distances, bilinear and attention of ``ndgrad.nn.functional``: cosine_similarity,
pairwise_distance, pdist, bilinear, scaled_dot_product_attention, multi_head_attention_forward
(composites of ndgrad ops; the rest of the family is in nn_misc.py)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._core import dtypes as _dt
from .._core.tensor import Tensor
from .nn_misc import _E, _s, dropout
from .registry import EXPORTS, def_composite
from .samples import rand

__all__ = [
    "bilinear",
    "cosine_similarity",
    "multi_head_attention_forward",
    "pairwise_distance",
    "pdist",
    "scaled_dot_product_attention",
]

_F = "nn.functional."

# --------------------------------------------------------------------------------------------
# Distances and bilinear


def _broadcast(a: Tensor, b: Tensor) -> tuple:
    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    return a.expand(*shape), b.expand(*shape)


def _clamped(n: Tensor, eps: float) -> Tensor:
    """``max(n, eps)`` whose gradient is that of ``n`` (PyTorch clamps under no_grad)."""
    return n + (n.clamp_min(eps) - n).detach()


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps), dim)``, PyTorch's formula: each
    input is divided by its norm first (the result stays in [-1, 1]); the clamps carry no
    gradient of their own."""
    a, b = _broadcast(x1, x2)
    na = _clamped(a.norm(2, dim, True), eps)
    nb = _clamped(b.norm(2, dim, True), eps)
    return ((a / na) * (b / nb)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last dim."""
    return (x1 - x2 + eps).norm(p, -1, keepdim)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distances between the rows of an (N, M) input, for i < j in row-major order
    (N(N-1)/2 values)."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = np.triu_indices(input.shape[0], 1)
    ti = input.new_tensor(i, dtype=_dt.int64)
    tj = input.new_tensor(j, dtype=_dt.int64)
    return (input.index_select(0, ti) - input.index_select(0, tj)).norm(p, 1)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o]``."""
    if input1.ndim != input2.ndim:
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}"
        )
    for k in range(input1.ndim - 1):
        if input1.shape[k] != input2.shape[k]:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {k}: got "
                f"{input1.shape[k]} and {input2.shape[k]}"
            )
    for name, x, k in (("input1", input1, 1), ("input2", input2, 2)):
        if x.shape[-1] != weight.shape[k]:
            raise RuntimeError(
                f"bilinear(): {name} size does not match weight size: got {x.shape[-1]} but "
                f"expected {weight.shape[k]}"
            )
    if bias is not None and bias.shape[-1] != weight.shape[0]:
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias.shape[-1]} but "
            f"expected {weight.shape[0]}"
        )
    out = _E("einsum")("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


# --------------------------------------------------------------------------------------------
# Attention


def _repeat_heads(x: Tensor, r: int) -> Tensor:
    """``x.repeat_interleave(r, dim=-3)``: each key/value head serves r query heads (GQA)."""
    if r == 1:
        return x
    shape = tuple(x.shape)
    y = x.unsqueeze(-3).expand(*shape[:-2], r, *shape[-2:])
    return y.reshape(*shape[:-3], shape[-3] * r, *shape[-2:])


def _safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim, with rows that are all -inf giving zeros (and zero gradient),
    as PyTorch's scaled_dot_product_attention does since 2.5 (plain softmax gives NaN)."""
    if scores.is_complex():  # softmax refuses it with PyTorch's error (isneginf would first)
        return _E("softmax")(scores, -1)
    dead = scores.isneginf().all(-1, keepdim=True)
    if not bool(dead.any()):
        return _E("softmax")(scores, -1)
    return _E("softmax")(scores.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(q k^T * scale + bias) v`` with ``scale = 1/sqrt(E)`` by default. A bool
    ``attn_mask`` says which positions take part (True) and a float one is added; ``is_causal``
    masks j > i. A row with no position left gives zeros, as PyTorch's.

    Example:
        >>> import ndgrad
        >>> q = ndgrad.ones(1, 2, 3)
        >>> ndgrad.nn.functional.scaled_dot_product_attention(q, q, q, is_causal=True).shape
        ndgrad.Size([1, 2, 3])
    """
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True; hint: pass one of them (a causal bool mask is tril(ones(L, S)))"
        )
    n_q, n_k = query.shape[-2], key.shape[-2]
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if enable_gqa:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv:
            raise RuntimeError(
                f"Number of heads in key and value must divide the number of heads in query; "
                f"got {hq}, {hk} and {hv}"
            )
        key, value = _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hv)
    scores = (query @ key.transpose(-2, -1)) * s
    if is_causal:
        keep = scores.new_ones((n_q, n_k), dtype=_dt.bool_).tril()
        scores = scores.masked_fill(keep.logical_not(), -math.inf)
    if attn_mask is not None:
        if attn_mask.dtype is _dt.bool_:
            scores = scores.masked_fill(attn_mask.logical_not(), -math.inf)
        else:
            scores = scores + attn_mask
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights @ value


def _linear(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    out = x @ w.t()
    return out if b is None else out + b


def _float_mask(mask: Any, name: str, dtype: Any) -> Any:
    """MHA's masks as floats to add: a bool mask's True (masked) becomes -inf."""
    if mask is None:
        return None
    if mask.dtype is _dt.bool_:
        return mask.new_zeros(tuple(mask.shape), dtype=dtype).masked_fill(mask, -math.inf)
    if not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def _zero_col(m: Any) -> Any:
    """F.pad(m, (0, 1)): one more (unmasked) key position."""
    if m is None:
        return None
    return _E("cat")([m, m.new_zeros((*m.shape[:-1], 1))], -1)


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple:
    """nn.MultiheadAttention's forward: project q, k, v (packed ``in_proj_weight`` or three
    separate weights), attend per head (masks: True or -inf = masked), project out. Returns
    ``(attn_output, attn_weights)``, the weights averaged over heads by default, None without
    ``need_weights``. Inputs are (L, N, E) or unbatched (L, E)."""
    if query.ndim not in (2, 3):
        raise AssertionError(
            f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D "
            "query tensor"
        )
    batched = query.ndim == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    if (
        key_padding_mask is not None
        and attn_mask is not None
        and (key_padding_mask.dtype is _dt.bool_) != (attn_mask.dtype is _dt.bool_)
    ):
        warnings.warn(
            "Support for mismatched key_padding_mask and attn_mask is deprecated. Use same "
            "type for both instead.",
            stacklevel=2,
        )
    key_padding_mask = _float_mask(key_padding_mask, "key_padding_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None
    else:
        attn_mask = _float_mask(attn_mask, "attn_mask", query.dtype)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        ws = in_proj_weight.chunk(3)
    else:
        ws = (q_proj_weight, k_proj_weight, v_proj_weight)
        for w, name in zip(ws, "qkv"):
            if w is None:
                raise AssertionError(
                    f"use_separate_proj_weight is True but {name}_proj_weight is None"
                )
    bs = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
    q = _linear(query, ws[0], bs[0])
    k = _linear(key, ws[1], bs[1])
    v = _linear(value, ws[2], bs[2])
    src_len = key.shape[0]
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                    f"{(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                    f"{(bsz * num_heads, tgt_len, src_len)}."
                )
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")
    if (bias_k is None) != (bias_v is None):
        raise AssertionError(
            "bias_k is set but bias_v is None"
            if bias_v is None
            else "bias_v is set but bias_k is None"
        )
    if bias_k is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError(
                f"bias cannot be added to static {'key' if static_k is not None else 'value'}."
            )
        k = _E("cat")([k, bias_k.expand(1, bsz, embed_dim)])
        v = _E("cat")([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask, key_padding_mask = _zero_col(attn_mask), _zero_col(key_padding_mask)
    bh = bsz * num_heads
    q = q.reshape(tgt_len, bh, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], bh, head_dim).transpose(0, 1) if static_k is None else static_k
    v = v.reshape(v.shape[0], bh, head_dim).transpose(0, 1) if static_v is None else static_v
    for st, name in ((static_k, "static_k"), (static_v, "static_v")):
        for d, want in ((0, bh), (2, head_dim)):
            if st is not None and st.shape[d] != want:
                raise AssertionError(f"expecting {name}.size({d}) of {want}, but got {st.shape[d]}")
    if add_zero_attn:
        k = _E("cat")([k, k.new_zeros((bh, 1, head_dim))], 1)
        v = _E("cat")([v, v.new_zeros((bh, 1, head_dim))], 1)
        attn_mask, key_padding_mask = _zero_col(attn_mask), _zero_col(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(
                f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                f"{tuple(key_padding_mask.shape)}"
            )
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bh, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = attn_mask + scores
        weights = _E("softmax")(scores, -1)  # a fully masked row is NaN here, as PyTorch's
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        out = (weights @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = _linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.ndim == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = _linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    return (out if batched else out.squeeze(1)), None


# --------------------------------------------------------------------------------------------
# Samples and the table.


def _cosine_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (2, 3), dt), rand(rng, (2, 3), dt), name="default"),
        _s(rand(rng, (2, 3), dt), rand(rng, (3,), dt), dim=-1, eps=1e-6, name="broadcast"),
    ]


def _pairwise_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (2, 3), dt), rand(rng, (2, 3), dt), name="default"),
        _s(rand(rng, (2, 3), dt), rand(rng, (3,), dt), 1.0, keepdim=True, name="p=1 keepdim"),
        _s(rand(rng, (3,), dt), rand(rng, (3,), dt), p=3.0, eps=0.0, name="1-d p=3"),
    ]


def _pdist_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (3, 2), dt), name="p=2"),
        _s(rand(rng, (4, 2), dt), 1.5, name="p=1.5"),
    ]


def _bilinear_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(
            rand(rng, (2, 3), dt),
            rand(rng, (2, 2), dt),
            rand(rng, (2, 3, 2), dt),
            rand(rng, (2,), dt),
            name="bias",
        ),
        _s(
            rand(rng, (2, 1, 2), dt),
            rand(rng, (2, 1, 3), dt),
            rand(rng, (1, 2, 3), dt),
            name="batch dims",
        ),
    ]


def _sdpa_samples(rng: np.random.Generator, dt: Any) -> list:
    q, k, v = rand(rng, (2, 3, 2), dt), rand(rng, (2, 4, 2), dt), rand(rng, (2, 4, 3), dt)
    keep = np.array([[1, 0, 1, 1], [0, 0, 0, 0], [1, 1, 0, 1]], dtype=bool)
    bias = rand(rng, (3, 4), dt)
    bias[0, 1] = -np.inf
    return [
        _s(q, k, v, name="plain"),
        _s(q, k, v, keep, grad=(0, 1, 2), name="bool mask, a fully masked row"),
        _s(q, k, v, bias, scale=0.3, grad=(0, 1, 2), name="float mask, scale"),
        _s(q, rand(rng, (2, 3, 2), dt), v[:, :3], is_causal=True, name="is_causal"),
        _s(
            rand(rng, (1, 4, 2, 2), dt),
            rand(rng, (1, 2, 3, 2), dt),
            rand(rng, (1, 2, 3, 2), dt),
            enable_gqa=True,
            name="gqa",
        ),
    ]


def _mha_samples(rng: np.random.Generator, dt: Any) -> list:
    e, h = 4, 2

    def proj() -> tuple:
        return (rand(rng, (3 * e, e), dt, -1, 1), rand(rng, (3 * e,), dt))

    def out() -> tuple:
        return (rand(rng, (e, e), dt, -1, 1), rand(rng, (e,), dt))

    q, k = rand(rng, (2, 2, e), dt), rand(rng, (3, 2, e), dt)
    kpm = np.array([[0.0, 0.0, -np.inf], [0.0, -np.inf, 0.3]], dtype=dt)
    mask = np.array([[0.0, -np.inf, 0.5], [0.2, 0.0, -1.0]], dtype=dt)
    return [
        _s(q, k, k, e, h, *proj(), None, None, False, 0.0, *out(), name="packed"),
        _s(
            q,
            k,
            k,
            e,
            h,
            *proj(),
            rand(rng, (1, 1, e), dt),
            rand(rng, (1, 1, e), dt),
            True,
            0.0,
            *out(),
            False,
            kpm,
            True,
            mask,
            average_attn_weights=False,
            grad=(0, 1, 2, 5, 6, 7, 8, 11, 12),
            name="float masks, bias_k/v, zero attn",
        ),
        _s(
            q[:, 0],
            k[:, 0],
            rand(rng, (3, e), dt),
            e,
            h,
            None,
            rand(rng, (3 * e,), dt),
            None,
            None,
            False,
            0.0,
            *out(),
            True,
            None,
            True,
            None,
            True,
            *(rand(rng, (e, e), dt, -1, 1) for _ in range(3)),
            grad=(0, 1, 2, 6, 11, 12, 18, 19, 20),
            name="unbatched, separate weights",
        ),
    ]


for _fn, _samples in (
    (cosine_similarity, _cosine_samples),
    (pairwise_distance, _pairwise_samples),
    (pdist, _pdist_samples),
    (bilinear, _bilinear_samples),
    (scaled_dot_product_attention, _sdpa_samples),
):
    # complex: PyTorch differentiates pairwise_distance for complex inputs
    def_composite(_F + _fn.__name__, _fn, samples=_samples, complex=_fn is pairwise_distance)

def_composite(
    _F + "multi_head_attention_forward",
    multi_head_attention_forward,
    samples=_mha_samples,
    outputs=("attn_output", "attn_output_weights"),
)

for _fn in (cosine_similarity, pairwise_distance, pdist, bilinear):
    EXPORTS[_fn.__name__] = _fn
