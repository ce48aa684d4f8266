"""Argument parsing, PyTorch's shape errors, the NumPy reference and the samples of conv.py.

Split from conv.py (which holds the records): nothing here is registered. ``_conv_ref`` loops
over kernel taps in plain NumPy, independent of conv.py's windows, as the template's oracle.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .registry import Sample
from .samples import rand


def ntuple(v: Any, n: int, name: str = "argument") -> tuple:
    """``v`` (an int or a sequence of ``n`` ints) as a tuple of ``n`` ints."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),) * n
    t = tuple(int(a) for a in v)
    if len(t) == 1 and n > 1:
        return t * n
    if len(t) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values")
    return t


def out_size(size: int, k: int, s: int, p: int, d: int, ceil: bool = False) -> int:
    """Number of windows of ``k`` taps (dilation ``d``) at stride ``s`` over ``size + 2p``."""
    span = size + 2 * p - d * (k - 1) - 1
    if span < 0:
        return 0
    n = (span + (s - 1 if ceil else 0)) // s + 1
    if ceil and (n - 1) * s >= size + p:  # the last window must start inside the input or pad
        n -= 1
    return n


def _conv_check(x: Any, w: Any, b: Any, kw: dict, who: str = "convolution") -> None:
    """PyTorch's errors for mismatched shapes (the raw arrays, before any work)."""
    nsp = w.ndim - 2
    stride, padding, dilation = kw["stride"], kw["padding"], kw["dilation"]
    groups, transposed = kw["groups"], kw["transposed"]
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if x.dtype != w.dtype or (b is not None and b.dtype != w.dtype):
        raise RuntimeError(
            f"expected scalar type {_scalar(x)} but found {_scalar(w)}; hint: convert the "
            "input and the weight to one dtype (x.float() or w.double())"
        )
    wshape = list(w.shape)
    if not transposed:
        if w.shape[0] % groups:
            raise RuntimeError(
                f"Given groups={groups}, expected weight to be divisible by {groups} at "
                f"dimension 0, but got weight of size [{wshape}] instead"
            )
        if x.shape[1] != w.shape[1] * groups:
            raise RuntimeError(
                f"Given groups={groups}, weight of size {wshape}, expected input"
                f"{list(x.shape)} to have {w.shape[1] * groups} channels, but got "
                f"{x.shape[1]} channels instead"
            )
        ins = tuple(n + 2 * p for n, p in zip(x.shape[2:], padding))
        ks = tuple(d * (k - 1) + 1 for k, d in zip(w.shape[2:], dilation))
        if any(k > n for k, n in zip(ks, ins)):
            raise RuntimeError(
                f"Calculated padded input size per channel: ({' x '.join(map(str, ins))}). "
                f"Kernel size: ({' x '.join(map(str, ks))}). Kernel size can't be greater than "
                "actual input size"
            )
        outc = w.shape[0]
    else:
        if x.shape[1] != w.shape[0]:
            raise RuntimeError(
                f"Given transposed=1, weight of size {wshape}, expected input{list(x.shape)} "
                f"to have {w.shape[0]} channels, but got {x.shape[1]} channels instead"
            )
        if w.shape[0] % groups:
            raise RuntimeError(
                f"Given groups={groups}, expected weight to be divisible by {groups} at "
                f"dimension 0, but got weight of size [{wshape}] instead"
            )
        op = kw["output_padding"]
        if any(a >= s and a >= d for a, s, d in zip(op, stride, dilation)):
            raise RuntimeError(
                "output padding must be smaller than either stride or dilation, but got "
                f"output_padding {list(op)}, stride {list(stride)}, dilation {list(dilation)}"
            )
        outc = w.shape[1] * groups
    if b is not None and (b.ndim != 1 or b.shape[0] != outc):
        raise RuntimeError(
            f"Given weight of size {wshape}, expected bias to be 1-dimensional with {outc} "
            f"elements, but got bias of size {list(b.shape)} instead"
        )
    del nsp, who


def _scalar(a: Any) -> str:
    name = str(getattr(a.dtype, "name", a.dtype)).replace("float64", "Double")
    return {"float32": "Float", "float16": "Half"}.get(name, name)


def _conv_ref(x, w, b, stride, padding, dilation, transposed, output_padding, groups):
    """Direct loops over kernel taps in NumPy (independent of the windows above)."""
    nsp = x.ndim - 2
    kernel = w.shape[2:]
    if transposed:
        # conv_transpose = adjoint: out[n, o, s*l + d*k - p] += x[n, c, l] * w[c, o, k]
        ls = x.shape[2:]
        size = [
            (li - 1) * s - 2 * p + d * (k - 1) + op + 1
            for li, s, p, d, k, op in zip(ls, stride, padding, dilation, kernel, output_padding)
        ]
        cg, og = x.shape[1] // groups, w.shape[1]
        full = [n + 2 * p + max(s, d) * 2 for n, p, s, d in zip(size, padding, stride, dilation)]
        out = np.zeros((x.shape[0], og * groups, *full))
        for k in np.ndindex(*kernel):
            for gi in range(groups):
                xs = x[:, gi * cg : (gi + 1) * cg]
                ws = w[(slice(gi * cg, (gi + 1) * cg), slice(None), *k)]
                contrib = np.einsum("nc...,co->no...", xs, ws)
                key = tuple(
                    slice(ki * d, ki * d + (li - 1) * s + 1, s)
                    for ki, d, s, li in zip(k, dilation, stride, ls)
                )
                out[(slice(None), slice(gi * og, (gi + 1) * og), *key)] += contrib
        key = tuple(slice(p, p + n) for p, n in zip(padding, size))
        out = out[(slice(None), slice(None), *key)]
    else:
        xpad = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
        ls = [
            out_size(n, k, s, p, d)
            for n, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation)
        ]
        og, cg = w.shape[0] // groups, w.shape[1]
        out = np.zeros((x.shape[0], w.shape[0], *ls))
        for k in np.ndindex(*kernel):
            key = tuple(
                slice(ki * d, ki * d + (li - 1) * s + 1, s)
                for ki, d, s, li in zip(k, dilation, stride, ls)
            )
            for gi in range(groups):
                xs = xpad[(slice(None), slice(gi * cg, (gi + 1) * cg), *key)]
                ws = w[(slice(gi * og, (gi + 1) * og), slice(None), *k)]
                out[:, gi * og : (gi + 1) * og] += np.einsum("nc...,oc->no...", xs, ws)
    if b is not None:
        out = out + b.reshape((-1,) + (1,) * nsp)
    return out.astype(x.dtype)


def _conv_samples(rng: np.random.Generator, dt: Any) -> list:
    def s(x, w, b, stride=1, padding=0, dilation=1, tr=False, op=0, groups=1, name=""):
        nsp = len(x) - 2
        return Sample(
            (
                rand(rng, x, dt),
                rand(rng, w, dt),
                None if b is None else rand(rng, (b,), dt),
                ntuple(stride, nsp),
                ntuple(padding, nsp),
                ntuple(dilation, nsp),
                tr,
                ntuple(op, nsp),
                groups,
            ),
            name=name,
        )

    return [
        s((2, 2, 4, 4), (3, 2, 2, 2), 3, name="2d"),
        s((1, 2, 5), (2, 1, 3), None, 2, 1, 1, groups=2, name="1d stride groups"),
        s((1, 1, 5, 4), (2, 1, 2, 2), 2, (2, 1), (1, 0), (1, 2), name="2d stride pad dil"),
        s((1, 2, 3, 3), (2, 1, 2, 2), 1, 2, 1, 1, True, 1, name="transposed"),
        s((1, 1, 3, 3, 3), (1, 1, 2, 2, 2), None, name="3d"),
    ]


def _conv_torch(*args: Any, **kw: Any) -> Any:
    import torch

    return torch.convolution(*args, **kw)


def _s(*args: Any, name: str = "", **kw: Any) -> Sample:
    return Sample(tuple(args), kw, name=name)


def _conv1d_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (2, 2, 5), dt), rand(rng, (3, 2, 2), dt), rand(rng, (3,), dt), name="bias"),
        _s(
            rand(rng, (2, 5), dt),
            rand(rng, (2, 1, 2), dt),
            None,
            padding="same",
            groups=2,
            name="unbatched same even",
        ),
        _s(rand(rng, (1, 1, 6), dt), rand(rng, (1, 1, 2), dt), stride=2, dilation=2, padding=1),
    ]


def _conv2d_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(
            rand(rng, (1, 2, 4, 4), dt),
            rand(rng, (2, 2, 2, 2), dt),
            rand(rng, (2,), dt),
            stride=2,
            padding=1,
            name="stride pad",
        ),
        _s(
            rand(rng, (1, 2, 4, 3), dt),
            rand(rng, (2, 1, 2, 2), dt),
            padding="same",
            groups=2,
            dilation=(1, 2),
            name="same groups",
        ),
        _s(
            rand(rng, (2, 3, 3), dt), rand(rng, (1, 2, 3, 3), dt), padding="valid", name="unbatched"
        ),
    ]


def _conv3d_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (1, 1, 3, 3, 3), dt), rand(rng, (2, 1, 2, 2, 2), dt), rand(rng, (2,), dt)),
        _s(
            rand(rng, (2, 3, 3, 3), dt),
            rand(rng, (1, 2, 2, 1, 2), dt),
            padding=(1, 0, 0),
            stride=(2, 1, 1),
            name="unbatched",
        ),
    ]


def _conv_t1d_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(
            rand(rng, (2, 2, 3), dt),
            rand(rng, (2, 3, 2), dt),
            rand(rng, (3,), dt),
            stride=2,
            output_padding=1,
        ),
        _s(
            rand(rng, (2, 3), dt),
            rand(rng, (2, 1, 3), dt),
            None,
            1,
            1,
            0,
            2,
            2,
            name="unbatched groups dilation",
        ),
    ]


def _conv_t2d_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(
            rand(rng, (1, 2, 3, 2), dt),
            rand(rng, (2, 2, 2, 2), dt),
            rand(rng, (4,), dt),
            stride=(2, 1),
            padding=(1, 0),
            groups=2,
            name="stride pad groups",
        ),
        _s(
            rand(rng, (1, 1, 2, 2), dt),
            rand(rng, (1, 1, 2, 2), dt),
            stride=3,
            output_padding=1,
            dilation=2,
            name="output_padding",
        ),
    ]


def _conv_t3d_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(
            rand(rng, (1, 1, 2, 2, 2), dt),
            rand(rng, (1, 2, 2, 2, 2), dt),
            rand(rng, (2,), dt),
            stride=(1, 2, 1),
        ),
    ]


def _unfold_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (2, 2, 3, 4), dt), 2, name="plain"),
        _s(
            rand(rng, (1, 4, 4), dt),
            (2, 3),
            dilation=(1, 1),
            padding=1,
            stride=(2, 1),
            name="unbatched pad stride",
        ),
        _s(rand(rng, (1, 1, 5, 5), dt), 2, dilation=2, stride=2, name="dilation"),
    ]


def _fold_samples(rng: np.random.Generator, dt: Any) -> list:
    return [
        _s(rand(rng, (2, 4, 6), dt), (3, 4), 2, name="overlap"),
        _s(rand(rng, (6, 4), dt), (3, 3), (2, 3), padding=1, stride=2, name="unbatched"),
    ]
