"""The base class of every optimiser: parameter groups, per-parameter state, state dicts, hooks.

PyTorch 2.13's ``torch.optim.Optimizer`` contract, written for ndgrad tensors:

- ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
  groups, each with its own options; a missing option takes the optimiser's default).
- ``state`` maps each parameter (the tensor itself) to a dict of its running state.
- ``state_dict()`` replaces the tensors by their position in the groups:
  ``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``; ``step`` is kept
  as a 0-d tensor, as PyTorch keeps it.
- ``step(closure=None)`` runs the update in place under ``no_grad``; the closure, when given,
  runs under ``enable_grad`` and its loss is returned.

The keywords PyTorch has for its other implementations (``foreach``, ``fused``, ``capturable``,
``differentiable``) are accepted as ``None``/``False``; ``True`` is refused with an error, since
ndgrad has only the one-parameter-at-a-time implementation (an accepted argument is honoured or
refused, never silently ignored).
"""

from __future__ import annotations

import functools
import itertools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from copy import deepcopy
from typing import Any

from .._core.dtypes import float32, float64, get_default_dtype
from .._core.factories import tensor, zeros_like
from .._core.grad_mode import enable_grad, no_grad
from .._core.tensor import Tensor
from ..ops import EXPORTS as _OPS
from ..utils.hooks import RemovableHandle

_view_as_real = _OPS["view_as_real"]

__all__ = [
    "Optimizer",
    "register_optimizer_step_pre_hook",
    "register_optimizer_step_post_hook",
]

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


_global_optimizer_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_optimizer_post_hooks: OrderedDict[int, Callable] = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs) -> None or (args, kwargs)`` on every optimiser."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs) -> None`` on every optimiser."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


class _RequiredParameter:
    """The default of an option every parameter group must give (PyTorch's ``required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

# ---------------------------------------------------------------- helpers shared by the optimisers

_IMPLEMENTATION_FLAGS = ("foreach", "fused", "capturable", "differentiable")
_REFUSED_FLAGS: dict[str, str] = {
    "foreach": "ndgrad has no multi-tensor (foreach) kernels",
    "fused": "ndgrad has no fused kernels",
    "capturable": "ndgrad has no graph capture (CUDA graphs / torch.compile)",
    "differentiable": "ndgrad's optimisers do not record their updates for autograd",
}


def _refuse_unsupported(name: str, options: dict[str, Any], keys: Iterable[str]) -> None:
    """Raise for an implementation flag set to a true value that ndgrad cannot honour."""
    for key in keys:
        why = _REFUSED_FLAGS[key]
        if options.get(key):
            raise NotImplementedError(
                f"{name}({key}={options[key]!r}) is not supported: {why}. Pass {key}=None or "
                f"{key}=False (the default); ndgrad updates one parameter at a time, which gives "
                "PyTorch's for-loop results."
            )


def _scalar_dtype() -> Any:
    """The dtype of ``state['step']``: float64 under a float64 default dtype, else float32."""
    return float64 if get_default_dtype() == float64 else float32


def _new_step(value: float = 0.0) -> Tensor:
    return tensor(value, dtype=_scalar_dtype())


def _to_scalar(x: Any) -> Any:
    """A 1-element hyperparameter tensor as a 0-d tensor; other values as they are."""
    if isinstance(x, Tensor) and x.dim() != 0:
        return x.squeeze()
    return x


def _get_value(x: Any) -> Any:
    """A Python number from a 0-d tensor (or the number itself)."""
    return x.item() if isinstance(x, Tensor) else x


def _add(t: Tensor, other: Tensor, alpha: Any = 1) -> Tensor:
    """``t.add_(other, alpha=alpha)``: ndgrad's ``add_`` has no ``alpha``, so scale first."""
    if isinstance(alpha, Tensor):
        alpha = alpha.item()
    return t.add_(other if alpha == 1 else other * alpha)


def _plus(t: Tensor, other: Tensor, alpha: Any = 1) -> Tensor:
    """``t.add(other, alpha=alpha)`` out of place."""
    if isinstance(alpha, Tensor):
        alpha = alpha.item()
    return t + (other if alpha == 1 else other * alpha)


def _real(*tensors: Tensor) -> list[Tensor]:
    """Each complex tensor as its real view (``view_as_real``: writes go through); others as is."""
    return [_view_as_real(t) if t.is_complex() else t for t in tensors]


def _check_lr(lr: Any, *, nan_ok: bool = False) -> None:
    """PyTorch's checks of ``lr``: a tensor has one element, and the value is not negative.

    PyTorch tests ``not 0.0 <= lr`` (NaN refused) except in SGD, which tests ``lr < 0.0``
    (NaN passes): ``nan_ok=True`` there.
    """
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if (lr < 0.0) if nan_ok else not lr >= 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")


_HYPER_LABELS = {"eps": "epsilon"}


def _check_hyper(*, nan_ok: bool = False, **values: Any) -> None:
    """Refuse a negative option, checked in the order given, with PyTorch's message.

    ``_check_hyper(eps=-1.0)`` raises ``ValueError("Invalid epsilon value: -1.0")``; any other
    name ``n`` gives ``Invalid n value: ...``. ``nan_ok`` as in :func:`_check_lr`.
    """
    for name, value in values.items():
        if (value < 0.0) if nan_ok else not value >= 0.0:
            raise ValueError(f"Invalid {_HYPER_LABELS.get(name, name)} value: {value}")


def _zeros(p: Tensor, *names: str) -> dict[str, Tensor]:
    """A new state entry of zeros like ``p`` for each name (``exp_avg``, ``exp_avg_sq``...)."""
    return {name: zeros_like(p) for name in names}


def _weight_decay(
    param: Tensor, grad: Tensor, weight_decay: Any, lr: Any = None, decoupled: bool = False
) -> Tensor:
    """Weight decay, PyTorch's two forms; returns the gradient to use.

    L2 penalty: ``g + weight_decay * theta`` (out of place). Decoupled (AdamW, ``decoupled``):
    ``theta <- theta * (1 - lr * weight_decay)`` in place, the gradient unchanged. Nothing
    when ``weight_decay == 0``.
    """
    if weight_decay != 0:
        if decoupled:
            param.mul_(1 - lr * weight_decay)
        else:
            grad = _plus(grad, param, weight_decay)
    return grad


def _typename(obj: Any) -> str:
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in (None, "builtins") else f"{module}.{name}"


def _use_no_grad(step: Callable) -> Callable:
    """Run a built-in optimiser's ``step`` under ``no_grad`` (PyTorch: differentiable=False)."""

    @functools.wraps(step)
    def wrapper(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        with no_grad():
            return step(self, *args, **kwargs)

    return wrapper


def _call_closure(closure: Callable[[], Any] | None) -> Any:
    if closure is None:
        return None
    with enable_grad():
        return closure()


def _with_step_hooks(step: Callable) -> Callable:
    """Wrap a class's ``step`` so the pre- and post-hooks run around it (once per outer call).

    As in PyTorch, a hook sees ``args`` with the optimiser first (``(optimizer, closure)``), and
    a pre-hook may return ``(new_args, new_kwargs)`` to replace them.
    """

    @functools.wraps(step)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        self = args[0]
        if getattr(self, "_in_hooked_step", False):  # a subclass's step calling super().step
            return step(*args, **kwargs)
        self._in_hooked_step = True
        try:
            for pre_hook in itertools.chain(
                list(_global_optimizer_pre_hooks.values()),
                list(self._optimizer_step_pre_hooks.values()),
            ):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(
                            f"{step} must return None or a tuple of (new_args, new_kwargs), "
                            f"but got {result}."
                        )
            out = step(*args, **kwargs)
            for post_hook in itertools.chain(
                list(self._optimizer_step_post_hooks.values()),
                list(_global_optimizer_post_hooks.values()),
            ):
                post_hook(self, args, kwargs)
            return out
        finally:
            self._in_hooked_step = False

    wrapper._ndgrad_hooked = True  # type: ignore[attr-defined]
    return wrapper


class Optimizer:
    """Base class for all optimisers.

    Args:
        params: an iterable of tensors (or ``(name, tensor)`` pairs), or of dicts defining
            parameter groups (``{"params": [...], "lr": ...}``). Use an ordered collection:
            a ``set`` is refused, as its order changes between runs.
        defaults: the default value of each option, for the groups that do not give it.

    A subclass implements ``step``; hooks registered with ``register_step_pre_hook`` and
    ``register_step_post_hook`` run around it.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = ndgrad.optim.SGD([w], lr=0.5)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w
        tensor([0., 0.], requires_grad=True)
        >>> opt.state_dict()["param_groups"][0]["params"]
        [0]
    """

    # The implementation flags refused when true: every built-in optimiser (and its subclasses)
    # sets all four; a direct subclass of Optimizer has its own step and honours what it likes.
    _refused_flags: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_ndgrad_hooked", False):
            cls.step = _with_step_hooks(step)  # type: ignore[method-assign]

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {_typename(params)}. Hint: wrap a single tensor in a list: "
                "optimizer([param])."
            )
        self.state: defaultdict[Tensor, Any] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in (
            "_optimizer_step_pre_hooks",
            "_optimizer_step_post_hooks",
            "_optimizer_state_dict_pre_hooks",
            "_optimizer_state_dict_post_hooks",
            "_optimizer_load_state_dict_pre_hooks",
            "_optimizer_load_state_dict_post_hooks",
        ):
            self.__dict__.setdefault(name, OrderedDict())
        self.defaults.setdefault("differentiable", False)

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # ------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)``."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs) -> None``, called after each ``step``."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    @staticmethod
    def _register(hooks: OrderedDict, hook: Callable, prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Register ``hook(optimizer) -> None``, called before ``state_dict``."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict) -> state_dict or None``."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict) -> state_dict or None``."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Register ``hook(optimizer) -> None``, called after ``load_state_dict``."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, Any]:
        """The optimiser's state: ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are replaced by their position across the groups; the state tensors are the
        optimiser's own (not copies), as in PyTorch: ``copy.deepcopy`` the result to keep a
        snapshot.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        # Keyed by id(): the tensors are alive in the groups for the whole call.
        mapping: dict[int, int] = {}
        start = 0

        def pack_group(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {
            (mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()
        }
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _cast_value(param: Tensor, value: Any, key: Any = None) -> Any:
        """A loaded state value for ``param``: tensors take its dtype (``step`` keeps its own)."""
        if isinstance(value, Tensor):
            if key != "step" and param.is_floating_point() and value.dtype != param.dtype:
                return value.to(dtype=param.dtype)
            return value
        if isinstance(value, dict):
            return {k: Optimizer._cast_value(param, v, k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(Optimizer._cast_value(param, v) for v in value)
        return value

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state from :meth:`state_dict` (of this optimiser class, same group sizes)."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        for saved in saved_groups:
            _refuse_unsupported(self.__class__.__name__, saved, self._refused_flags)
        id_map = dict(
            zip(
                itertools.chain.from_iterable(g["params"] for g in saved_groups),
                itertools.chain.from_iterable(g["params"] for g in groups),
            )
        )
        state: defaultdict[Any, dict[Any, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = self._cast_value(param, v)
            else:
                state[k] = v

        def update_group(group: dict[str, Any], new_group: dict[str, Any]) -> dict[str, Any]:
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # ------------------------------------------------------------ gradients and groups
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: to ``None`` (the default) or, with ``set_to_none=False``, to 0."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimisation step (implemented by each optimiser)."""
        raise NotImplementedError

    # ------------------------------------------------------------ shared by the built-in steps
    # The state of a parameter at its first step, besides ``step``: set by the built-in
    # optimisers that keep per-parameter state; see _params_with_grad.
    _new_state: Callable[[Tensor, dict[str, Any]], dict[str, Any]] | None = None

    def _params_with_grad(
        self, group: dict[str, Any]
    ) -> Iterator[tuple[Tensor, Tensor, dict[str, Any]]]:
        """Yield ``(param, grad, state)`` for each parameter of ``group`` that has a gradient.

        ``grad`` is ``param.grad``, negated when ``group["maximize"]``. For an optimiser with
        ``_new_state(param, group)``, ``state`` is the parameter's own: on its first step
        ``{"step": 0-d tensor 0, **_new_state(param, group)}``, and ``state["step"]`` is
        incremented before it is yielded. Without (SGD), ``self.state`` is not touched and
        ``state`` is an empty dict.
        """
        for p in group["params"]:
            if p.grad is None:
                continue
            state: dict[str, Any] = {}
            if self._new_state is not None:
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _new_step()
                    state.update(self._new_state(p, group))
                state["step"] += 1
            yield p, (-p.grad if group["maximize"] else p.grad), state

    def _upgrade_state(
        self, *, scalars: tuple[str, ...] = ("step",), **group_defaults: Any
    ) -> None:
        """A built-in ``__setstate__`` (unpickling, ``load_state_dict``), after the base one.

        A group saved without an option takes its value from ``group_defaults``; each state's
        ``scalars`` saved as Python numbers become 0-d tensors, as PyTorch keeps them.
        """
        for group in self.param_groups:
            for name, default in group_defaults.items():
                group.setdefault(name, default)
            for p in group["params"]:
                p_state = self.state.get(p, {})
                if len(p_state) != 0:
                    for key in scalars:
                        if not isinstance(p_state[key], Tensor):
                            p_state[key] = _new_step(float(p_state[key]))

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group (a dict with ``"params"`` and any per-group options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)
        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = names
        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + _typename(param)
                )
            if not self.defaults.get("differentiable", None) and not (
                param.is_leaf or param.retains_grad
            ):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)
        _refuse_unsupported(self.__class__.__name__, param_group, self._refused_flags)
        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                "information",
                stacklevel=3,
            )
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if not seen.isdisjoint(id(p) for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)
