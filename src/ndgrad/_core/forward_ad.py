"""Forward-mode AD with dual tensors: ``dual_level``, ``make_dual``, ``unpack_dual``.

Inside ``with dual_level():`` a tensor made by ``make_dual(primal, tangent)`` carries a tangent.
Every op whose inputs carry tangents computes the tangent of its output with the op's jvp rule, so
``unpack_dual(f(make_dual(x, v))).tangent`` is the Jacobian-vector product ``J_f(x) v``, in one
forward pass.

Example:
    >>> import ndgrad
    >>> import ndgrad.autograd.forward_ad as fwAD
    >>> x = ndgrad.tensor([1.0, 2.0])
    >>> with fwAD.dual_level():
    ...     y = fwAD.make_dual(x, ndgrad.ones_like(x)) ** 2
    ...     fwAD.unpack_dual(y).tangent
    tensor([2., 4.])

Note [Dual levels are per context]: the open levels live in a ``contextvars.ContextVar`` (a tuple,
innermost last), so two threads, or two asyncio tasks, never see each other's levels: each can
compute its own jvp at the same time. A level's number is its depth in that tuple (0 for the
outermost), as ``enter_dual_level`` returns it and ``make_dual``/``unpack_dual`` take it.

Note [Nested dual levels]: unlike PyTorch, which raises "Nested forward mode AD is not supported",
ndgrad nests levels on purpose (this is what ``jacfwd(jacfwd(f))`` needs). A tensor holds one
tangent per level (``_ext.tangent`` is a small dict ``level -> tangent``, absent when it has none).
An op propagates the tangents of every open level where an input has one, outermost first; the
jvp rule of level ``k`` runs with only the levels outside ``k`` open (the context's tuple is cut to
``levels[:k]`` for the call), so the inputs' outer tangents flow through the rule and the tangent it
computes is itself a dual tensor at the outer levels. Nothing is copied: the rule sees the inputs
themselves, with their place in the reverse-mode graph. Second derivatives come from two levels:

    >>> import ndgrad
    >>> import ndgrad.autograd.forward_ad as fwAD
    >>> x = ndgrad.tensor(0.5, dtype=ndgrad.float64)
    >>> with fwAD.dual_level() as outer:
    ...     x1 = fwAD.make_dual(x, ndgrad.tensor(1.0, dtype=ndgrad.float64))
    ...     with fwAD.dual_level() as inner:
    ...         x2 = fwAD.make_dual(x1, ndgrad.tensor(1.0, dtype=ndgrad.float64))
    ...         dy = fwAD.unpack_dual(x2.sin(), level=inner).tangent  # cos(x), dual at outer
    ...     d2y = fwAD.unpack_dual(dy, level=outer).tangent           # -sin(x)
    >>> round(d2y.item(), 6)
    -0.479426

Note [Forward mode's fast pre-check]: the dispatch of every op reads ``ACTIVE[0]`` first, one list
read: the number of levels open in all threads together (kept under a lock). Only when it is
nonzero does ``propagate`` look at the inputs' tangents and then at this context's levels, so ops
cost nothing more while no thread is in a dual level.

The jvp rules are the records' business: ``op.jvp`` is one callable
``jvp(tangents, ans, *inputs, **params)`` (the ops layer turns its shortcuts into such callables
when a record is declared); this module only calls it, level by level.
"""

from __future__ import annotations

import contextvars
import functools
import threading
import weakref
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from .. import _backend

__all__ = [
    "dual_level",
    "make_dual",
    "unpack_dual",
    "UnpackedDualTensor",
    "enter_dual_level",
    "exit_dual_level",
]

F = TypeVar("F", bound=Callable[..., Any])

ACTIVE = [0]  # levels open in all threads together; the dispatch looks here first (one list read)
_ACTIVE_LOCK = threading.Lock()


class _Level:
    """One open dual level: the key of its tangents in every tensor's dict.

    It remembers (weakly) the tensors it gave a tangent to, so that leaving the level frees them.
    """

    __slots__ = ("index", "duals", "_compact_at", "closed")

    def __init__(self, index: int) -> None:
        self.index = index
        self.duals: list[weakref.ref] = []
        self._compact_at = 64
        self.closed = False

    def track(self, t: Any) -> None:
        duals = self.duals
        duals.append(weakref.ref(t))
        if len(duals) >= self._compact_at:  # drop dead tensors: amortised O(1) per tangent
            duals[:] = [r for r in duals if r() is not None]
            self._compact_at = max(64, 2 * len(duals))

    def __repr__(self) -> str:
        return f"<dual level {self.index}{' (closed)' if self.closed else ''}>"


_LEVELS: contextvars.ContextVar[tuple[_Level, ...]] = contextvars.ContextVar(
    "ndgrad_dual_levels", default=()
)


class UnpackedDualTensor(NamedTuple):
    """``unpack_dual``'s result: the primal (a view without the tangent) and the tangent."""

    primal: Any
    tangent: Any


# ------------------------------------------------------------------------------------- levels


def enter_dual_level() -> int:
    """Open a new (innermost) dual level in this thread or task; return its number (its depth).

    Prefer ``with dual_level():``, which also closes it.
    """
    levels = _LEVELS.get()
    level = _Level(len(levels))
    _LEVELS.set((*levels, level))
    with _ACTIVE_LOCK:
        ACTIVE[0] += 1
    return level.index


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the innermost dual level (``level``, if given, must name it): its tangents vanish."""
    levels = _LEVELS.get()
    if not levels:
        raise RuntimeError(
            "Trying to exit a forward AD level but no level is open; hint: call "
            "exit_dual_level() once per enter_dual_level(), or use `with dual_level():`"
        )
    if level is not None and level != len(levels) - 1:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. "
            f"This is not supported.; hint: the innermost open level is {len(levels) - 1}, "
            f"got level={level}; close the inner levels first"
        )
    lvl = levels[-1]
    _LEVELS.set(levels[:-1])
    if lvl.closed:  # already closed from a copy of this context (an asyncio task, say)
        return
    lvl.closed = True
    with _ACTIVE_LOCK:
        ACTIVE[0] -= 1
    for ref in lvl.duals:
        t = ref()
        if t is not None and t._ext is not None:
            d = t._ext.tangent
            if d:
                d.pop(lvl, None)
                if not d:
                    t._ext.tangent = None
    lvl.duals = []


class dual_level:  # noqa: N801 - PyTorch's name
    """Context manager (or decorator) for forward-mode AD: tangents exist only inside it.

    ``with dual_level() as level:`` gives the level's number; levels nest (see the module's
    Note [Nested dual levels]) and are private to the thread or asyncio task that opened them.
    """

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: Any) -> None:
        exit_dual_level()

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with dual_level():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def open_levels() -> tuple[_Level, ...]:
    """This context's open levels, outermost first (for the ops layer's writes through views)."""
    return _LEVELS.get()


def _pick(levels: tuple[_Level, ...], level: int | None, fn: str) -> _Level:
    if level is None:
        return levels[-1]
    if isinstance(level, int) and not isinstance(level, bool) and 0 <= level < len(levels):
        return levels[level]
    raise RuntimeError(
        f"Invalid level given to {fn}; hint: levels 0..{len(levels) - 1} are open here, "
        f"got level={level!r} (a level is the number that enter_dual_level() / "
        "`with dual_level() as level` gave)"
    )


# ------------------------------------------------------------------------------------ tangents


def get_tangent(t: Any, level: _Level) -> Any:
    """The tangent of ``t`` at ``level``, or None."""
    e = t._ext
    if e is None:
        return None
    d = e.tangent
    return None if d is None else d.get(level)


def set_tangent(t: Any, level: _Level, tangent: Any) -> None:
    """Give ``t`` the tangent ``tangent`` at ``level`` (replacing the one it had there)."""
    e = t._x()
    d = e.tangent
    if d is None:
        e.tangent = {level: tangent}
        level.track(t)
    else:
        if level not in d:
            level.track(t)
        d[level] = tangent


def discard_tangent(t: Any, level: _Level) -> None:
    """``t`` loses its tangent at ``level`` (if it has one)."""
    e = t._ext
    d = None if e is None else e.tangent
    if d and d.pop(level, None) is not None and not d:
        e.tangent = None


def copy_tangents(dst: Any, src: Any) -> None:
    """``dst`` takes ``src``'s tangent at every open level where ``src`` has one."""
    e = src._ext
    d = None if e is None else e.tangent
    if d:
        for level, tangent in list(d.items()):
            if not level.closed:
                set_tangent(dst, level, tangent)


def _strip(t: Any, levels: tuple[_Level, ...]) -> Any:
    """``t`` without its tangents at ``levels`` (the same tensor when it has none there)."""
    from .tensor import make

    e = t._ext
    d = None if e is None else e.tangent
    if not d or not any(level in d for level in levels):
        return t
    p = make(t._data, t._requires_grad, t._node)
    p._vc = t._shared_vc()
    for level, tangent in d.items():
        if level not in levels and not level.closed:
            set_tangent(p, level, tangent)
    return p


def _as_tensor(a: Any) -> Any:
    from . import factories
    from .tensor import Tensor, make

    if isinstance(a, Tensor):
        return a
    return make(a) if _backend.is_array(a) else factories.tensor(a)


def make_dual(tensor: Any, tangent: Any, *, level: int | None = None) -> Any:
    """A view of ``tensor`` that carries ``tangent`` (same shape) at ``level`` (the innermost).

    Tangents ``tensor`` has at other levels are kept.

    Example:
        >>> import ndgrad
        >>> import ndgrad.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     d = fwAD.make_dual(ndgrad.tensor([3.0]), ndgrad.tensor([1.0]))
        ...     fwAD.unpack_dual(d * d).tangent
        tensor([6.])
    """
    from .tensor import make

    levels = _LEVELS.get()
    if not levels:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to "
            "enter_dual_level() first.; hint: `with ndgrad.autograd.forward_ad.dual_level(): ...`"
        )
    lvl = _pick(levels, level, "make_dual")
    tangent = _as_tensor(tangent)
    if not (tensor.dtype.is_floating_point or tensor.dtype.is_complex):
        raise ValueError(
            f"Expected primal to be floating point or complex, but got: {tensor.dtype}; hint: "
            "convert it first, e.g. x.double()"
        )
    if not (tangent.dtype.is_floating_point or tangent.dtype.is_complex):
        raise ValueError(
            f"Expected tangent to be floating point or complex, but got: {tangent.dtype}; hint: "
            "convert it first, e.g. v.double()"
        )
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(
            f"Trying to set a forward gradient that has a different size than that of the original "
            f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the "
            f"given forward gradient is of size {list(tangent.shape)}.; hint: the tangent must "
            "have the primal's shape"
        )
    if get_tangent(tensor, lvl) is not None:
        raise RuntimeError(
            "Making a dual Tensor based on a Tensor that already has a forward gradient at the "
            f"same level {lvl.index} is not supported.; hint: make_dual(unpack_dual(t).primal, "
            "tangent), or open an inner level for a second derivative"
        )
    d = make(tensor._data, tensor._requires_grad, tensor._node)
    d._vc = tensor._shared_vc()
    copy_tangents(d, tensor)
    set_tangent(d, lvl, tangent)
    return d


def unpack_dual(tensor: Any, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of ``tensor`` at ``level`` (default: the innermost), or ``(tensor,
    None)`` where it has no tangent there.

    The primal shares memory with ``tensor`` and keeps its tangents at the other levels.
    """
    e = tensor._ext
    d = None if e is None else e.tangent
    if not d:
        return UnpackedDualTensor(tensor, None)
    levels = _LEVELS.get()
    if level is None and not levels:
        return UnpackedDualTensor(tensor, None)
    lvl = _pick(levels, level, "unpack_dual")
    tangent = d.get(lvl)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(_strip(tensor, (lvl,)), tangent)


# ---------------------------------------------------------------------------------- propagation


def propagate(op: Any, res: Any, args: Any, tensors: Any, params: dict) -> None:
    """Give ``res`` the tangents of ``op`` at ``args`` (the dispatch calls it when ``ACTIVE[0]``).

    ``tensors[i]`` is ``args[i]`` as a Tensor, or None where it is not one; ``res`` is the output,
    or a list of outputs for an op with several (then ``op.jvp`` returns one tangent or None per
    output). Level by level, outermost first, ``op.jvp(tangents, ans, *inputs, **params)`` runs
    with only the outer levels open, so its inputs' outer tangents flow through it (See Note
    [Nested dual levels]).
    """
    for t in tensors:
        if t is not None and t._ext is not None and t._ext.tangent:
            break
    else:
        return
    levels = _LEVELS.get()
    if not levels or not op.differentiable:
        return
    multi = isinstance(res, (list, tuple))
    ans = tuple(res) if multi else res
    inputs = [a if t is None else t for a, t in zip(args, tensors)]
    for k, lvl in enumerate(levels):
        tangents = tuple(None if t is None else get_tangent(t, lvl) for t in tensors)
        if all(x_t is None for x_t in tangents):
            continue
        jvp = op.jvp
        if jvp is None:
            raise NotImplementedError(
                f"jvp of '{op.name}' is not implemented; hint: use reverse mode (backward/grad) "
                "for this op"
            )
        token = _LEVELS.set(levels[:k])  # level k and the inner ones are invisible to the rule
        try:
            out = jvp(tangents, ans, *inputs, **params)
        finally:
            _LEVELS.reset(token)
        if not multi:
            if out is not None:
                set_tangent(res, lvl, out)
            continue
        for r, o in zip(res, out):
            if o is not None:
                set_tangent(r, lvl, o)
