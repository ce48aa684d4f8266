"""Anomaly mode: state and helpers (the public API is ``ndgrad.autograd.anomaly_mode``).

# Note [Anomaly mode costs nothing when off]
The state lives in ``contextvars`` (as the grad mode: threads and tasks never see each other's
mode), mirrored into the one-element list ``ACTIVE`` which is True while *any* context has the
mode on. The recording path reads ``ACTIVE[0]`` (one list index) and the engine reads it once per
backward call; only then does the contextvar decide. When on, each recorded node gets an entry in
a weak side table (no slot on Node, so the off path keeps its node shape): the forward traceback,
whether its output was finite, and, for nodes recorded by a backward with ``create_graph``, the
traceback of the node whose backward made it (PyTorch's "previous calculation").
A context that is dropped while the mode is on (a thread that never switched it off) leaves
``ACTIVE`` set: only speed suffers (each recording then reads the contextvar), never behaviour.
"""

from __future__ import annotations

import contextvars
import os
import threading
import traceback
import warnings
import weakref
from typing import Any

__all__ = [
    "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled",
    "set_anomaly_enabled",
    "ACTIVE",
    "on_record",
    "annotate",
    "check_nan",
]

_ENABLED = contextvars.ContextVar("ndgrad_anomaly_enabled", default=False)
_CHECK_NAN = contextvars.ContextVar("ndgrad_anomaly_check_nan", default=True)
_CURRENT = contextvars.ContextVar("ndgrad_anomaly_backward_node", default=None)

ACTIVE = [False]  # True while some context enabled the mode: See Note [Anomaly mode ...]
_COUNT = [0]
_LOCK = threading.Lock()


class _Info:
    __slots__ = ("stack", "parent", "bad", "where", "nonfinite_out")

    def __init__(self, stack: Any, parent: Any, bad: str | None, where: str | None) -> None:
        self.nonfinite_out = False  # the output held NaN or inf (from whatever inputs)
        self.stack = stack  # traceback.StackSummary of the forward call (lines read lazily)
        self.parent = parent  # the _Info of the node whose backward recorded this one
        self.bad = bad  # "nan" / "inf" when the forward produced it from finite inputs
        self.where = where  # "file:line" of the user's frame, when ``bad``


_INFO: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_INTERNAL = tuple(_PKG + d + os.sep for d in ("_core", "ops", "autograd", "_backend"))


def is_anomaly_enabled() -> bool:
    """True when anomaly detection is on in this context (thread / task)."""
    return _ENABLED.get()


def is_anomaly_check_nan_enabled() -> bool:
    """True when anomaly mode also checks backward results for NaN (PyTorch's default)."""
    return _CHECK_NAN.get()


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Switch anomaly detection on or off in this context, as ``torch.set_anomaly_enabled``."""
    enabled = bool(enabled)
    with _LOCK:
        was = _ENABLED.get()
        if enabled != was:
            _COUNT[0] += 1 if enabled else -1
            ACTIVE[0] = _COUNT[0] > 0
        _ENABLED.set(enabled)
        _CHECK_NAN.set(bool(check_nan))


def _stack() -> traceback.StackSummary:
    """The caller's stack without ndgrad's own machinery at its innermost end."""
    frames = []
    for f, lineno in traceback.walk_stack(None):
        frames.append((f, lineno))
    k = 0
    while k < len(frames) and frames[k][0].f_code.co_filename.startswith(_INTERNAL):
        k += 1
    frames = frames[k:]
    frames.reverse()
    return traceback.StackSummary.extract(iter(frames), lookup_lines=False)


def _user_frame(stack: traceback.StackSummary) -> traceback.FrameSummary | None:
    """The innermost frame outside the ndgrad package (the line the user wrote)."""
    for fs in reversed(stack):
        if not fs.filename.startswith(_PKG):
            return fs
    return stack[-1] if len(stack) else None


def _nonfinite(d: Any) -> str | None:
    """'nan' or 'inf' when the array ``d`` holds one (NaN first), else None."""
    from .. import _backend

    kind = getattr(getattr(d, "dtype", None), "kind", "f")
    if kind not in "fc":
        return None
    xp = _backend.namespace(d)
    if bool(xp.any(xp.isnan(d))):
        return "nan"
    if bool(xp.any(xp.isinf(d))):
        return "inf"
    return None


def _input_bad(node: Any) -> bool:
    """True when some input of ``node`` was already non-finite (so the op only passed it on)."""
    from .node import Output
    from .tensor import Tensor

    edges = node.next if getattr(node, "pos", -1) < 0 else (node.next,)
    saved = getattr(node, "saved", None)
    if saved is not None and type(saved) is not tuple:
        saved = (saved,)
    for e in (*edges, *(saved or ())):
        if e is None:
            continue
        if isinstance(e, Tensor):
            if _nonfinite(e._data) is not None:
                return True
            continue
        info = _INFO.get(e.node if type(e) is Output else e)
        if info is not None and info.nonfinite_out:
            return True
    return False


def on_record(node: Any, outputs: Any) -> None:
    """Called for each recorded node while ``ACTIVE[0]``: keep the traceback, check the output.

    ``outputs`` are the node's output arrays. A forward that makes NaN or inf out of finite
    inputs warns at once with the user's file and line; the backward error repeats it.
    """
    if not _ENABLED.get():
        return
    stack = _stack()
    cur = _CURRENT.get()
    parent = None if cur is None else _INFO.get(cur)
    bad = None
    for d in outputs:
        if d is not None:
            bad = _nonfinite(d)
            if bad is not None:
                break
    where = None
    info = _Info(stack, parent, None, None)
    info_out = bad is not None
    if bad is not None and cur is None and not _input_bad(node):
        fs = _user_frame(stack)
        where = "<unknown>" if fs is None else f"{fs.filename}:{fs.lineno}"
        info.bad = bad
        info.where = where
        warnings.warn_explicit(
            f"ndgrad: '{_op_name(node)}' produced {bad} in its forward at {where}; hint: check "
            "its inputs' domain there (log of 0, division by 0, sqrt of a negative, overflow)",
            RuntimeWarning,
            "<unknown>" if fs is None else fs.filename,
            0 if fs is None else fs.lineno or 0,
        )
    info.nonfinite_out = info_out
    _INFO[node] = info


def _op_name(node: Any) -> str:
    op = getattr(node, "op", None)
    if op is not None and hasattr(op, "name"):
        return op.name
    fn = getattr(node, "fn", None)
    return fn.__name__ if fn is not None else node.name()


def _first_bad() -> tuple | None:
    """(op name, kind, where) of the first forward that produced NaN/inf still alive, or None."""
    best = None
    for node, info in list(_INFO.items()):
        if info.bad is not None and (best is None or node.seq < best[0].seq):
            best = (node, info)
    if best is None:
        return None
    node, info = best
    return _op_name(node), info.bad, info.where


def _format(node: Any) -> str:
    info = _INFO.get(node)
    if info is None:
        return (
            f"Error detected in {node.name()}. No forward traceback: the node was recorded "
            "while anomaly mode was off; hint: enable it before the forward pass"
        )
    text = (
        f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
        + "".join(info.stack.format())
    )
    p = info.parent
    while p is not None:  # iterative: nodes made by backward passes of backward passes
        text += "Previous calculation was induced by a node whose forward call was:\n" + "".join(
            p.stack.format()
        )
        p = p.parent
    first = _first_bad()
    if first is not None:
        text += f"ndgrad: '{first[0]}' produced {first[1]} in its forward at {first[2]}"
    return text


def annotate(exc: BaseException, node: Any) -> None:
    """Add the node's name and forward traceback to ``exc`` (once) and warn with them."""
    if getattr(exc, "_ndgrad_anomaly", False):
        return
    try:
        exc._ndgrad_anomaly = True  # type: ignore[attr-defined]
    except AttributeError:
        return
    text = _format(node)
    warnings.warn(text, UserWarning, stacklevel=3)
    exc.add_note(text)


def enter_backward(node: Any) -> Any:
    """Remember the node whose backward runs (nodes it records point to it); a reset token."""
    return _CURRENT.set(node)


def exit_backward(token: Any) -> None:
    _CURRENT.reset(token)


def check_nan(node: Any, i: int, r: Any) -> None:
    """PyTorch's error when output ``i`` of ``node``'s backward holds NaN (``check_nan`` on)."""
    if r is None or not _CHECK_NAN.get():
        return
    d = getattr(r, "_data", r)
    kind = getattr(getattr(d, "dtype", None), "kind", "f")
    if kind not in "fc":
        return
    from .. import _backend

    xp = _backend.namespace(d)
    if bool(xp.any(xp.isnan(d))):
        exc = RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
        raise exc
