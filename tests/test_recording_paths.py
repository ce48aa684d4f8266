"""One recording path: the fast paths of the dispatch build the same node as the general one.

For every record of the table and each of its samples, the op is called through its public
function (the arity fast paths for NumPy data) and through ``registry.apply`` (the general path),
and the two results are compared: value, dtype, ``requires_grad``, view bookkeeping, and the
node: its record, its edges (position by position), what it saved (and at which versions), its
parameters and the shapes and dtypes it will sum gradients back to.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import ndgrad
from ndgrad._core.node import Node
from ndgrad.ops import TABLE, dispatch

OPS = sorted(
    (op for op in TABLE.values() if op.samples is not None and not op.outputs and not op.composite),
    key=lambda o: o.name,
)


def _args(s):
    out = []
    for a in s.args:
        if isinstance(a, np.ndarray):
            t = ndgrad.tensor(a.copy())
            if a.dtype.kind in "fc":
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def _saved(node: Node) -> tuple:
    s = node.saved
    if s is None:
        return ()
    if type(s) is not tuple:
        s = (s,)
    return tuple(i for i, a in enumerate(s) if a is not None and isinstance(a, ndgrad.Tensor))


def _meta(node: Node, out: ndgrad.Tensor, tens: list) -> tuple:
    """(shape, dtype) per tensor input (None: the output's, as the fast paths record it)."""
    meta = node.meta
    return tuple(
        None
        if not isinstance(t, ndgrad.Tensor)
        else (tuple(out.shape), out._data.dtype)
        if meta is None or meta[i] is None
        else (tuple(meta[i][0]), meta[i][1])
        for i, t in enumerate(tens)
    )


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.name)
def test_the_fast_path_records_the_same_node_as_the_general_path(op):
    rng = np.random.default_rng(zlib.crc32(op.name.encode()))
    parse = dispatch._parser(op)
    for s in op.samples(rng, np.float64):
        args = _args(s)
        fast = op.fn(*args, **s.kwargs)
        tens, params = parse(tuple(args), dict(s.kwargs))
        general = dispatch.apply(op, tens, params)
        np.testing.assert_array_equal(fast.detach().numpy(), general.detach().numpy(), op.name)
        assert fast.dtype is general.dtype, (op.name, s.name)
        assert fast.requires_grad == general.requires_grad, (op.name, s.name)
        assert (fast._base is None) == (general._base is None), (op.name, s.name)
        nf, ng = fast.grad_fn, general.grad_fn
        assert (nf is None) == (ng is None), (op.name, s.name)
        if nf is None:
            continue
        assert type(nf) is type(ng), (op.name, s.name)
        assert nf.op is ng.op, (op.name, s.name)
        n = len(tens)
        ef, eg = nf.edges(), ng.edges()
        assert len(ef) == len(eg) == n or ef == eg, (op.name, s.name, ef, eg)
        assert all(a is b for a, b in zip(ef, eg)), (op.name, s.name)
        assert _saved(nf) == _saved(ng), (op.name, s.name, "saved")
        assert (nf.vers or None) == (ng.vers or None), (op.name, s.name, "versions")
        assert dict(nf.params) == dict(ng.params), (op.name, s.name, "params")
        assert _meta(nf, fast, tens) == _meta(ng, general, tens), (op.name, s.name, "meta")
        assert (nf.ans is None) == (ng.ans is None), (op.name, s.name, "saved output")
