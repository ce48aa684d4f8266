"""Nested tuples, lists, dicts (and namedtuples) of tensors, flattened to a list and rebuilt."""

from __future__ import annotations

from typing import Any

__all__ = ["tree_flatten", "tree_unflatten", "tree_map"]

_LEAF = None


def _children(x: Any) -> tuple[str, Any, list] | None:
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return "namedtuple", type(x), list(x)
    if isinstance(x, (tuple, list)):
        return type(x).__name__, type(x), list(x)
    if isinstance(x, dict):
        keys = list(x)
        return "dict", (type(x), keys), [x[k] for k in keys]
    return None


def tree_flatten(tree: Any) -> tuple[list, Any]:
    """The leaves of ``tree`` in order, and the spec that :func:`tree_unflatten` rebuilds it from.

    Example:
        >>> from ndgrad.func._pytree import tree_flatten, tree_unflatten
        >>> leaves, spec = tree_flatten({"a": (1, 2), "b": [3]})
        >>> leaves, tree_unflatten([4, 5, 6], spec)
        ([1, 2, 3], {'a': (4, 5), 'b': [6]})
    """
    leaves: list = []
    # An explicit stack (no recursion): each entry builds one node's spec.
    root: list = [None]
    stack = [(tree, root, 0)]
    while stack:
        x, parent, slot = stack.pop()
        c = _children(x)
        if c is None:
            parent[slot] = _LEAF
            leaves.append(x)
            continue
        kind, meta, kids = c
        specs: list = [None] * len(kids)
        parent[slot] = (kind, meta, specs)
        for i in range(len(kids) - 1, -1, -1):
            stack.append((kids[i], specs, i))
    return leaves, root[0]


def tree_unflatten(leaves: list, spec: Any) -> Any:
    """Rebuild the tree ``spec`` describes from ``leaves`` (see :func:`tree_flatten`)."""
    it = iter(leaves)
    return _build(spec, it)


def _build(spec: Any, it: Any) -> Any:
    if spec is _LEAF:
        return next(it)
    kind, meta, specs = spec
    kids = [_build(s, it) for s in specs]
    if kind == "namedtuple":
        return meta(*kids)
    if kind == "dict":
        cls, keys = meta
        return cls(zip(keys, kids, strict=True))
    return meta(kids)


def tree_map(fn: Any, tree: Any) -> Any:
    """``tree`` with ``fn`` applied to every leaf."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)
