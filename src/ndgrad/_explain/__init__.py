"""``ndgrad.explain(t)``: why a tensor's ``.grad`` is None (or zero, or NaN), in words.

The diagnosis reads what the tensor itself records, walking its graph iteratively:

- it does not require grad: why its chain from the leaves was cut (``no_grad()``, ``detach()``,
  ``.data``, a cast to an integer dtype, all recorded by the tensor, see Note [Where a cut
  happened] in ``_core/tensor.py``), or, with no cut recorded, a leaf whose ``requires_grad`` was
  never set (or whose values went through Python: ``.item()``/``.tolist()``/``.numpy()`` then
  ``ndgrad.tensor(...)``);
- it is not a leaf (``.double()``, ``.to()``, ``x = x - lr * x.grad``): backward fills only leaves;
  which leaves do get the gradient, and ``retain_grad()``;
- a leaf that requires grad but got nothing: not in the graph of the output (``output=`` checks
  it), or backward not called yet;
- ``.grad`` exactly zero: disconnected (no path to ``output``) or numerically zero (a path with
  zero derivatives); ``.grad`` with NaN/inf: the first op whose forward produced it, from anomaly
  mode's record.

File and line appear when they were recorded: ``ndgrad.set_debug(True)`` (or anomaly mode) makes
cuts record the line of user code that made them, and anomaly mode records where every node was
made. Both cost nothing while off. The text comes from the message catalogue (``ndgrad.i18n``), in
English or Chinese (``lang="zh"``).

Example:
    >>> import ndgrad
    >>> x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    >>> with ndgrad.no_grad():
    ...     y = x * 2
    >>> e = ndgrad.explain(y, lang="en")
    >>> e.reason
    'no_grad'
    >>> "it was computed under no_grad(), which records nothing" in e
    True
"""

from __future__ import annotations

import re
from typing import Any

from .. import i18n
from .._core import anomaly as _anomaly
from .._core import tensor as _tensor
from .._core.tensor import Tensor

__all__ = ["explain", "Explanation", "set_debug", "is_debug_enabled"]


def set_debug(enabled: bool) -> None:
    """Record the file and line of user code where a tensor's history is cut (process-wide).

    While on, ``detach()``, ``.data`` and ops under ``no_grad()`` note where they ran, so
    ``ndgrad.explain`` and backward's "does not require grad" error can name the line. It walks
    the stack at each such cut, so leave it off in production code; off, it costs nothing.

    Example:
        >>> import ndgrad
        >>> ndgrad.set_debug(True)
        >>> ndgrad.is_debug_enabled()
        True
        >>> ndgrad.set_debug(False)
    """
    _tensor.DEBUG[0] = bool(enabled)


def is_debug_enabled() -> bool:
    """True while ``ndgrad.set_debug(True)`` is in effect."""
    return _tensor.DEBUG[0]


class Explanation(str):
    """The text of a diagnosis (a ``str``, so ``print`` and ``in`` work) and its ``reason`` key.

    ``reason`` is stable across languages: ``"no_grad"``, ``"detach"``, ``"data"``,
    ``"integer_cast"``, ``"integer"``, ``"python_data"``, ``"cut"``, ``"requires_grad_not_set"``,
    ``"non_leaf"``, ``"retain_grad_not_reached"``, ``"not_reached"``, ``"not_in_graph"``,
    ``"backward_not_called"``, ``"nan"``, ``"disconnected"``, ``"numerically_zero"``, ``"zero"``,
    ``"has_grad"``. ``where`` is the ``FILE:LINE`` of the cause when it was recorded.

    Example:
        >>> import ndgrad
        >>> e = ndgrad.explain(ndgrad.tensor([1, 2]), lang="en")
        >>> e.reason
        'integer'
        >>> print(e.summary)
        This tensor has the integer dtype ndgrad.int64: integer tensors cannot require grad.
    """

    reason: str
    where: str | None

    def __new__(cls, text: str, reason: str, where: str | None = None) -> Explanation:
        self = super().__new__(cls, text)
        self.reason = reason
        self.where = where
        return self

    def __repr__(self) -> str:
        return str(self)

    @property
    def summary(self) -> str:
        """The first sentence: what is wrong, without the hint."""
        return self.splitlines()[0] if self else ""


# the reason strings the core records (See Note [Where a cut happened] in _core/tensor.py)
_CUTS = (
    ("no_grad", "it was computed under no_grad()"),
    ("detach", "detach()"),
    ("data", ".data"),
    ("python_data", "made by ndgrad.tensor("),
)
_SITE = re.compile(r"^(?P<what>.*?)(?: at (?P<where>.+:\d+))?$", re.DOTALL)
_INT_CAST = re.compile(r"^it was cast to the integer dtype (?P<dtype>\S+)$")


def _peek_grad(t: Tensor) -> Any:
    return t._grad  # reading .grad of a non-leaf warns; explain reads it quietly


def _graph(root: Any) -> tuple[list, dict]:
    """(nodes, leaves) reachable from ``root`` (a grad_fn): an explicit stack, no recursion.

    ``leaves`` maps ``id(leaf)`` to the leaf tensors that require grad (kept alive by the dict).
    """
    nodes, leaves, seen = [], {}, set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        if type(node).__name__ == "AccumulateGrad":
            leaves[id(node.variable)] = node.variable
            continue
        for nxt, _ in node.next_functions:
            if nxt is not None and id(nxt) not in seen:
                stack.append(nxt)
    return nodes, leaves


def _reaches(output: Tensor, t: Tensor) -> bool:
    """True when ``t`` (a leaf or a computed tensor) is in the graph of ``output``."""
    if output is t:
        return True
    if output.grad_fn is None:
        return False
    nodes, leaves = _graph(output.grad_fn)
    if t.grad_fn is None:
        return id(t) in leaves
    return any(n is t.grad_fn for n in nodes)


def _made_at(node: Any) -> str | None:
    """``FILE:LINE`` where anomaly mode saw ``node`` recorded, else None."""
    info = _anomaly._INFO.get(node) if node is not None else None
    if info is None:
        return None
    fs = _anomaly._user_frame(info.stack)
    return None if fs is None else f"{fs.filename}:{fs.lineno}"


def _nonfinite(t: Tensor) -> str | None:
    return _anomaly._nonfinite(t._data)


def _first_bad(output: Tensor | None) -> tuple | None:
    """(op, kind, where) of the earliest forward that made NaN/inf, within ``output``'s graph."""
    if output is None or output.grad_fn is None:
        return _anomaly._first_bad()
    best = None
    for node in _graph(output.grad_fn)[0]:
        info = _anomaly._INFO.get(node)
        if info is not None and info.bad is not None and (best is None or node.seq < best.seq):
            best = node
    if best is None:
        return None
    info = _anomaly._INFO[best]
    return _anomaly._op_name(best), info.bad, info.where


def explain(
    t: Tensor, *, output: Tensor | None = None, lang: str | None = None, name: str | None = None
) -> Explanation:
    """Say why ``t.grad`` is None (or zero, or NaN), or why ``t`` does not require grad.

    ``output``: the tensor you call (or called) ``backward()`` on; with it, ``explain`` can tell
    a leaf outside the output's graph from one backward has not reached yet, and an exactly
    zero gradient (no path: "disconnected") from a numerically zero one. ``lang``: ``"en"`` or
    ``"zh"`` (default: ``ndgrad.i18n.detect_language()``). ``name``: what to call ``t`` in the
    text (default: "this tensor").

    Returns an ``Explanation``: the text (a ``str``) with a stable ``reason`` key.

    Example:
        >>> import ndgrad
        >>> x = ndgrad.tensor([1.0, 2.0], requires_grad=True)
        >>> y = x.double()
        >>> (y ** 2).sum().backward()
        >>> e = ndgrad.explain(y, name="y")
        >>> e.reason, "retain_grad()" in e
        ('non_leaf', True)
        >>> ndgrad.explain(x).reason
        'has_grad'
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"explain() expects a Tensor, got {type(t).__name__}")
    if output is not None and not isinstance(output, Tensor):
        raise TypeError(f"explain(output=...) expects a Tensor, got {type(output).__name__}")
    lang = i18n.detect_language(lang)

    default = i18n.message("explain.this_tensor", lang)
    who = name if name is not None else default
    if lang == "zh" and name is not None and name.isascii():
        who = f" {name} "  # a Latin name set off by spaces in Chinese text: "从 x 到输出"

    def say(key: str, **fields: Any) -> str:
        text = i18n.message("explain." + key, lang, **{"name": who, "var": name or "t", **fields})
        if name is not None and who != name:  # a Latin name's spaces, at a line's ends
            text = text.strip()
        if name is None and text.startswith(default):  # "this tensor ..." opens a sentence
            text = text[0].upper() + text[1:]
        return text

    lines: list[str] = []
    reason, where = _diagnose(t, output, who, say, lines)
    return Explanation("\n".join(lines), reason, where)


def _site(where: str | None, say: Any) -> str:
    return say("at", where=where) if where else ""


def _diagnose(t: Tensor, output: Tensor | None, who: str, say: Any, lines: list) -> tuple:
    """Append the sentences about ``t`` to ``lines``; return (reason, where)."""
    grad = _peek_grad(t)
    if grad is not None:
        return _diagnose_grad(t, grad, output, who, say, lines)
    if not t._requires_grad:
        return _diagnose_cut(t, who, say, lines)
    if t.grad_fn is not None:
        return _diagnose_non_leaf(t, output, who, say, lines)
    # a leaf that requires grad, and no gradient yet
    if output is not None and not _reaches(output, t):
        lines.append(say("not_in_graph"))
        lines.append(say("not_in_graph_fix"))
        return "not_in_graph", None
    if output is not None:
        lines.append(say("backward_not_called"))
        return "backward_not_called", None
    lines.append(say("not_reached"))
    lines.append(say("not_reached_fix"))
    return "not_reached", None


def _diagnose_grad(
    t: Tensor, grad: Tensor, output: Tensor | None, who: str, say: Any, lines: list
) -> tuple:
    kind = _nonfinite(grad)
    if kind is not None:
        lines.append(say("nan", kind=kind))
        first = _first_bad(output)
        if first is None:
            lines.append(say("nan_fix"))
            return "nan", None
        op, bad, where = first
        lines.append(say("nan_first", op=op, kind=bad, site=_site(where, say)))
        return "nan", where
    if not bool((grad != 0).any()):
        if output is None:
            lines.append(say("zero"))
            return "zero", None
        if not _reaches(output, t):
            lines.append(say("disconnected"))
            return "disconnected", None
        lines.append(say("numerically_zero"))
        return "numerically_zero", None
    lines.append(say("has_grad", shape=tuple(grad.shape)))
    return "has_grad", None


def _diagnose_cut(t: Tensor, who: str, say: Any, lines: list) -> tuple:
    cut = None if t._ext is None else t._ext.cut
    integer = t.dtype.is_floating_point is False and t.dtype.is_complex is False
    if cut:
        m = _SITE.match(cut)
        what, where = m.group("what"), m.group("where")
        site = _site(where, say)
        cast = _INT_CAST.match(what)
        if cast:
            lines.append(say("integer_cast", dtype=cast.group("dtype"), site=site))
            lines.append(say("integer_fix"))
            return "integer_cast", where
        if integer:
            lines.append(say("integer", dtype=t.dtype))
            lines.append(say("integer_fix"))
            return "integer", None
        for key, marker in _CUTS:
            if what.startswith(marker):
                lines.append(say(key, site=site))
                lines.append(say(key + "_fix"))
                if not where:
                    lines.append(say("debug_hint"))
                return key, where
        lines.append(say("cut", what=what, site=site))
        return "cut", where
    if integer:
        lines.append(say("integer", dtype=t.dtype))
        lines.append(say("integer_fix"))
        return "integer", None
    if t.grad_fn is None:
        lines.append(say("requires_grad_not_set"))
        lines.append(say("python_round_trip"))
        lines.append(say("requires_grad_fix"))
        return "requires_grad_not_set", None
    lines.append(say("cut", what="?", site=""))  # pragma: no cover - not reachable
    return "cut", None


_CASTS = ("ToCopyBackward0",)
_UPDATES = ("SubBackward0", "AddBackward0", "MulBackward0")


def _diagnose_non_leaf(t: Tensor, output: Tensor | None, who: str, say: Any, lines: list) -> tuple:
    node = t.grad_fn
    where = _made_at(node)
    op = node.name()
    if t._ext is not None and t._ext.retains_grad:
        if output is not None and not _reaches(output, t):
            lines.append(say("not_in_graph"))
            return "not_in_graph", where
        lines.append(say("retain_grad_not_reached"))
        return "retain_grad_not_reached", where
    lines.append(say("non_leaf", op=op, site=_site(where, say)))
    _, leaves = _graph(node)
    shown = [
        say("leaf", shape=tuple(leaf.shape), dtype=leaf.dtype) for leaf in list(leaves.values())[:3]
    ]
    if len(leaves) > 3:
        shown.append(say("more_leaves", count=len(leaves) - 3))
    if shown:
        lines.append(say("leaves_get_it", count=len(leaves), leaves=", ".join(shown)))
    if op in _CASTS:
        lines.append(say("non_leaf_cast"))
    elif op in _UPDATES and any(_is_leaf_edge(nxt) for nxt, _ in node.next_functions):
        lines.append(say("non_leaf_update"))
    lines.append(say("retain_grad_fix"))
    return "non_leaf", where


def _is_leaf_edge(node: Any) -> bool:
    return type(node).__name__ == "AccumulateGrad"
