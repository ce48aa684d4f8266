"""Random ops that touch the graph: ``x.uniform_()`` and its kin, and ``normal``/``bernoulli``/
``poisson`` of tensors.

The numbers come from ``_core.random`` (a ``Generator``, by default the one ``manual_seed``
seeds). What this module adds is PyTorch's autograd behaviour:

* The in-place methods (``uniform_ normal_ bernoulli_ random_ exponential_ geometric_ cauchy_
  log_normal_``) write into the tensor's memory (its views see the new values), bump its version,
  and refuse a leaf that requires grad (or a view of one) while grad mode is on; under
  ``no_grad()`` they fill parameters, as ``nn.init`` does.
* A sample does not depend differentiably on its parameters, so every node here has a zero
  gradient, as PyTorch's: ``normal(mean, std)`` with ``mean.requires_grad`` gives
  ``grad_fn=<NormalBackward3>`` and ``mean.grad`` zeros; ``y = x * 1; y.normal_()`` cuts ``x``
  off (its gradient through ``y`` is zero), it does not leave ``y`` with its old history.

The sample is drawn before the op is applied and handed to its forward in a one-shot box, so the
node does not keep it alive.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np

from .. import _backend
from .._core import dtypes as _dt
from .._core import random as _r
from .._core.batched import LEVELS, BatchedTensor, random_batch, randomness_of, wrap
from .._core.factories import check_tensor, out_dtype, torch_name, write_out, zeros_like
from .._core.grad_mode import grad_enabled
from .._core.tensor import Tensor
from .registry import EXPORTS, TABLE, OpDef, _check_inplace, apply, apply_inplace, def_op

__all__ = ["normal", "bernoulli", "poisson"]


def _take(xp: Any, *arrays: Any, sample: list) -> Any:
    """The forward of every record here: the sample drawn beforehand (taken out of its box)."""
    return sample.pop()


def _zero(g: Tensor, ans: Tensor, *inputs: Any, **params: Any) -> Tensor:
    """d(sample)/d(parameter) = 0, as PyTorch's rules for random ops."""
    return zeros_like(g)


def _record(name: str, backward_name: str, inputs: tuple = ("input",)) -> OpDef:
    def_op(
        name,
        _take,
        vjp=tuple(_zero for _ in inputs),
        jvp="elementwise",
        inputs=inputs,
        params=(("sample", None),),
        save=None,
        method=False,
        export=False,
        backward_name=backward_name,
        complex=True,
        doc=f"The node of a random op ({backward_name}): a zero gradient.",
    )
    return TABLE[name]


_UNIFORM = _record("_random.uniform", "UniformBackward0")
_NORMAL_ = _record("_random.normal_", "NormalBackward0")
_BERNOULLI_T_ = _record("_random.bernoulli_tensor_", "BernoulliBackward1")
_BERNOULLI_P_ = _record("_random.bernoulli_float_", "BernoulliBackward2")
_RANDOM_FROM_TO = _record("_random.random_from_to", "RandomBackward0")
_RANDOM_TO = _record("_random.random_to", "RandomBackward1")
_RANDOM = _record("_random.random", "RandomBackward2")
_EXPONENTIAL = _record("_random.exponential", "ExponentialBackward0")
_GEOMETRIC = _record("_random.geometric", "GeometricBackward0")
_CAUCHY = _record("_random.cauchy", "CauchyBackward0")
_LOG_NORMAL = _record("_random.log_normal", "LogNormalBackward0")
_NORMAL_T_F = _record("_random.normal_tensor_float", "NormalBackward1", ("mean",))
_NORMAL_F_T = _record("_random.normal_float_tensor", "NormalBackward2", ("std",))
_NORMAL_T_T = _record("_random.normal_tensor_tensor", "NormalBackward3", ("mean", "std"))
_BERNOULLI = _record("_random.bernoulli", "BernoulliBackward0")
_BERNOULLI_P = _record("_random.bernoulli_p", "BernoulliBackward1")
_POISSON = _record("_random.poisson", "PoissonBackward0")


def _fmt(v: Any) -> str:
    """A number as PyTorch's C++ messages print it (``-1`` for -1.0, ``1.5``)."""
    return f"{v:g}" if isinstance(v, (float, np.floating)) else str(v)


def _num(v: Any, who: str, arg: str) -> Any:
    if isinstance(v, Tensor):
        return v.item()
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
        raise TypeError(f"{who}(): argument '{arg}' must be Number, not {type(v).__name__}")
    return v


def _fill(
    self: Tensor, op: OpDef, what: str, draw: Any, generator: Any, inner: bool = False
) -> Tensor:
    """Check, draw ``draw(g, shape, dtype)`` and write it into ``self`` through ``op``.

    Inside vmap (``inner``: the write into a batch's values), as functorch: a batched ``self``
    gets one draw per entry (``randomness="different"``) or one draw for all (``"same"``); an
    unbatched one cannot take different draws."""
    check_tensor(what, self, "self")
    _check_inplace(self, f"{what}()")
    if type(self) is BatchedTensor:
        if randomness_of(self._level) == "different":
            _fill(self._value, op, what, draw, generator, True)
            return self
        one = draw(_r.np_generator(generator, what), tuple(self.shape), self.dtype)
        _fill(self._value, op, what, lambda g, s, d: np.broadcast_to(one, s), generator, True)
        return self
    if not inner and random_batch() is not None:
        raise RuntimeError(
            "vmap: Cannot ask for different inplace randomness on an unbatched tensor. This will "
            "appear like same randomness. If this is necessary for your usage, please file an "
            "issue with functorch.; hint: draw into a tensor of the batch (x.new_empty(shape) "
            "of a batched x) or use randomness='same'"
        )
    g = _r.np_generator(generator, what)
    d = self.dtype
    sample = np.asarray(draw(g, tuple(self.shape), d)).astype(d.np, copy=False)
    xp = _backend.namespace(self._data)
    arr = sample if xp is np else _backend.asarray(xp, sample)
    return apply_inplace(op, self, (), {"sample": [arr]})


def _from_to(who: str, args: tuple, kwargs: dict, defaults: tuple) -> tuple:
    """``from`` and ``to`` given by position or by name (``from`` is a Python keyword)."""
    bad = set(kwargs) - {"from", "to"}
    if bad:
        raise TypeError(f"{who}() got an unexpected keyword argument '{sorted(bad)[0]}'")
    if len(args) > 2:
        raise TypeError(f"{who}() takes at most 2 arguments ({len(args)} given)")
    vals = list(args) + list(defaults[len(args) :])
    for i, k in enumerate(("from", "to")):
        if k in kwargs:
            if i < len(args):
                raise TypeError(f"{who}() got multiple values for argument '{k}'")
            vals[i] = kwargs[k]
    return tuple(vals)


# --------------------------------------------------------------------------------------------
# In-place methods.


def uniform_(self: Tensor, *args: Any, generator: Any = None, **kwargs: Any) -> Tensor:
    """Fill with uniform samples on [from, to) (default [0, 1)), in place.

    Example:
        >>> import ndgrad
        >>> w = ndgrad.empty(3).uniform_(-1, 1)
        >>> bool(((w >= -1) & (w < 1)).all())
        True
    """
    lo, hi = _from_to("uniform_", args, kwargs, (0.0, 1.0))
    lo, hi = _num(lo, "uniform_", "from"), _num(hi, "uniform_", "to")
    if lo > hi:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={_fmt(lo)} > "
            f"to={_fmt(hi)}; hint: give the lower bound first"
        )
    _r._float_or_complex("check_uniform_bounds", self.dtype)
    return _fill(self, _UNIFORM, "uniform_", lambda g, s, d: _r.uniform(g, s, d, lo, hi), generator)


def normal_(self: Tensor, mean: Any = 0.0, std: Any = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with normal samples N(mean, std**2), in place (complex: each part N(mean, std**2/2))."""
    mean, std = _num(mean, "normal_", "mean"), _num(std, "normal_", "std")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    _r._float_or_complex("normal_kernel_cpu", self.dtype)
    return _fill(
        self, _NORMAL_, "normal_", lambda g, s, d: _r.normal(g, s, d, mean, std), generator
    )


def _bernoulli_p_check(p: Any) -> None:
    if not 0 <= p <= 1:
        raise RuntimeError(
            f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}; hint: p is a probability"
        )


def _probabilities(p: Tensor, kernel: str) -> np.ndarray:
    """The values of a probability tensor, with PyTorch's checks."""
    if not p.dtype.is_floating_point:
        raise _r._not_implemented(kernel, p.dtype, "probabilities are floating point: p.float()")
    a = np.asarray(_backend.to_numpy(p._data), dtype=np.float64)
    if not ((a >= 0) & (a <= 1)).all():
        raise RuntimeError(
            "Expected p_in >= 0 && p_in <= 1 to be true, but got false. hint: every probability "
            "must lie in [0, 1] (NaN does not); clamp(0, 1) them, or use sigmoid() of logits"
        )
    return a


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fill with 0/1 samples: 1 with probability ``p`` (a number, or a tensor broadcast to self)."""
    d = self.dtype
    if d.is_complex:
        raise _r._not_implemented("bernoulli_scalar_cpu_", d, "use a real dtype")
    if isinstance(p, Tensor):
        probs = _probabilities(p, "bernoulli_tensor_cpu_p_")
        try:
            probs = np.broadcast_to(probs, tuple(self.shape))
        except ValueError:
            raise RuntimeError(
                f"The expanded size of the tensor ({self.shape[-1] if self.ndim else 1}) must "
                f"match the existing size ({probs.shape[-1] if probs.ndim else 1}); Target sizes: "
                f"{list(self.shape)}.  Tensor sizes: {list(probs.shape)}; hint: p must broadcast "
                "to the tensor's shape"
            ) from None
        op = _BERNOULLI_T_
    else:
        probs = _num(p, "bernoulli_", "p")
        _bernoulli_p_check(probs)
        op = _BERNOULLI_P_
    return _fill(self, op, "bernoulli_", lambda g, s, dd: g.random(s) < probs, generator)


def _float_warning(d: _dt.dtype, which: str) -> None:
    digits = np.finfo(d.np).nmant + 1
    name = _r.c_name(d)
    warnings.warn(
        f"{which} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision limitations "
        f"{name} can support discrete uniform distribution only within this range. This warning "
        "will become an error in version 1.7 release, please fix the code in advance",
        UserWarning,
        stacklevel=3,
    )


def random_(self: Tensor, *args: Any, generator: Any = None, **kwargs: Any) -> Tensor:
    """Fill with integers: ``random_(from, to)`` in [from, to), ``random_(to)`` in [0, to),
    ``random_()`` over every integer the dtype holds exactly (``[0, 2**24]`` for float32)."""
    d = self.dtype
    if d.is_complex:
        raise _r._not_implemented("random_kernel_cpu", d, "use a real dtype")
    if len(args) == 1 and "to" not in kwargs and "from" not in kwargs:
        args, op = (0, args[0]), _RANDOM_TO
    elif not args and "from" not in kwargs:
        op = _RANDOM_TO if kwargs.get("to") is not None else _RANDOM
    else:
        op = _RANDOM_FROM_TO
    lo, hi = _from_to("random_", args, kwargs, (0, None))
    lo = _r._int_arg("random_", lo, "from")
    lo_max, hi_max = _r.int_range(d)
    if d.is_floating_point:
        hi_max = int(hi_max)
    if hi is None:
        if op is _RANDOM_FROM_TO and lo > hi_max:
            raise RuntimeError(f"from is out of bounds for {_r.c_name(d)}")
        hi = hi_max + 1
    else:
        hi = _r._int_arg("random_", hi, "to")
    _r.check_int_bounds(d, lo, hi)
    if d.is_floating_point:
        if lo < -hi_max:
            _float_warning(d, "from")
        if hi - 1 > hi_max:
            _float_warning(d, "to - 1")
    return _fill(self, op, "random_", lambda g, s, dd: _r.integers(g, s, dd, lo, hi), generator)


def _continuous(d: _dt.dtype, what: str, style: str) -> None:
    if not d.is_floating_point:
        name = torch_name(d) if style == "scalar" else _r.c_name(d)
        raise RuntimeError(
            f"{what} distribution is a continuous probability distribution. dtype must be a "
            f"floating point but you specified {name}"
        )


def exponential_(self: Tensor, lambd: Any = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with exponential samples of rate ``lambd`` (mean ``1 / lambd``)."""
    _continuous(self.dtype, "Exponential", "scalar")
    lambd = _num(lambd, "exponential_", "lambd")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    return _fill(
        self,
        _EXPONENTIAL,
        "exponential_",
        lambda g, s, d: g.standard_exponential(s) / lambd,
        generator,
    )


def geometric_(self: Tensor, p: Any, *, generator: Any = None) -> Tensor:
    """Fill with geometric samples: the number of Bernoulli(p) trials up to the first success."""
    d = self.dtype
    if d.is_complex or d is _dt.bool_:
        raise _r._not_implemented("geometric_cpu", d, "use a real, non-bool dtype")
    p = _num(p, "geometric_", "p")
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(p)}")
    return _fill(self, _GEOMETRIC, "geometric_", lambda g, s, dd: g.geometric(p, s), generator)


def cauchy_(self: Tensor, median: Any = 0.0, sigma: Any = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with Cauchy samples: ``median + sigma * tan(pi * (u - 1/2))``."""
    _continuous(self.dtype, "Cauchy", "c")
    median, sigma = _num(median, "cauchy_", "median"), _num(sigma, "cauchy_", "sigma")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_fmt(sigma)}")
    return _fill(
        self,
        _CAUCHY,
        "cauchy_",
        lambda g, s, d: median + sigma * g.standard_cauchy(s),
        generator,
    )


def log_normal_(self: Tensor, mean: Any = 1.0, std: Any = 2.0, *, generator: Any = None) -> Tensor:
    """Fill with ``exp(N(mean, std**2))`` samples (``mean``/``std`` are of the logarithm)."""
    d = self.dtype
    if not d.is_floating_point:
        raise _r._not_implemented("log_normal_cpu", d, "use a floating dtype")
    mean, std = _num(mean, "log_normal_", "mean"), _num(std, "log_normal_", "std")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_fmt(std)}")
    return _fill(
        self,
        _LOG_NORMAL,
        "log_normal_",
        lambda g, s, dd: np.exp(mean + std * g.standard_normal(s)),
        generator,
    )


# --------------------------------------------------------------------------------------------
# normal, bernoulli, poisson.


def _vmapped(fn: Any) -> Any:
    """A random function of tensors, made to follow vmap's ``randomness`` as functorch does:
    "error" raises, "different" draws independently for every entry, "same" draws once (for
    batched arguments: the same draws, taken entry by entry from one generator state)."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        if not LEVELS:
            return fn(*args, **kwargs)
        found = [a for a in (*args, *kwargs.values()) if type(a) is BatchedTensor]
        if not found:
            lv = random_batch()
            if lv is None:
                return fn(*args, **kwargs)
            return wrap(EXPORTS["stack"]([fn(*args, **kwargs) for _ in range(lv[1])]), *lv)
        level = max(a._level for a in found)
        size = next(a._bsize for a in found if a._level == level)
        mode = randomness_of(level)

        def entry(a: Any, b: int) -> Any:
            return a._value.select(0, b) if type(a) is BatchedTensor and a._level == level else a

        gen = kwargs.get("generator") or _r.default_generator
        state = gen.get_state()
        outs = []
        for b in range(size):
            if mode == "same":
                gen.set_state(state)
            a_b = [entry(a, b) for a in args]
            outs.append(fn(*a_b, **{k: entry(v, b) for k, v in kwargs.items()}))
        return wrap(EXPORTS["stack"](outs), level, size)

    return run


def _refuse_out_grad(name: str, out: Any, *tensors: Any) -> None:
    if (
        out is not None
        and grad_enabled()
        and any(isinstance(t, Tensor) and t._requires_grad for t in tensors)
    ):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad.; hint: drop out= and use "
            "the returned tensor"
        )


def _finish_sample(name: str, op: OpDef, inputs: tuple, sample: np.ndarray, out: Any) -> Tensor:
    """The sample as the output of ``op`` on ``inputs`` (a zero-gradient node when recorded)."""
    xp = _backend.namespace(*[t._data for t in inputs if isinstance(t, Tensor)])
    arr = sample if xp is np else _backend.asarray(xp, sample)
    res = apply(op, inputs, {"sample": [arr]})
    if out is None:
        return res
    warn = ""
    if tuple(out.shape) != tuple(res.shape) and out.numel() != 0:
        warn = (
            f"An output with one or more elements was resized since it had shape "
            f"{list(out.shape)}, which does not match the required output shape "
            f"{list(res.shape)}. This behavior is deprecated, and in a future PyTorch release "
            "outputs will not be resized unless they have zero elements. You can explicitly reuse "
            "an out tensor t by resizing it, inplace, to zero elements with t.resize_(0)."
        )
    return write_out(res._data.astype(out.dtype.np, copy=False), out, False, warn)


@_vmapped
def normal(
    mean: Any,
    std: Any = None,
    size: Any = None,
    *,
    generator: Any = None,
    out: Tensor | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """Normal samples, with PyTorch's overloads: ``normal(mean, std)`` with tensors (broadcast;
    either may be a float), or ``normal(0.0, 1.0, size)`` with floats and a size.

    Example:
        >>> import ndgrad
        >>> ndgrad.normal(ndgrad.zeros(3), 1.0).shape
        ndgrad.Size([3])
        >>> ndgrad.normal(2.0, 3.0, size=(2, 2)).shape
        ndgrad.Size([2, 2])
    """
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    g = _r.np_generator(generator, "normal")
    if not (mt or st):
        if std is None or size is None:
            raise TypeError(
                "normal() received an invalid combination of arguments: with a float mean and "
                "std it needs a size; hint: normal(0.0, 1.0, (3,)), normal(0.0, 1.0, size=(3,)) "
                "or normal(mean_tensor, std_tensor)"
            )
        mean, std = _num(mean, "normal", "mean"), _num(std, "normal", "std")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
        rg = requires_grad
        return _r._sample(
            "normal",
            _r._size("normal", (), size),
            dtype,
            out,
            lambda s, d: _r.normal(g, s, d, mean, std),
            device,
            rg,
        )
    if size is not None or dtype is not None or device is not None or requires_grad:
        raise TypeError(
            "normal() received an invalid combination of arguments: size, dtype, device and "
            "requires_grad are only for a float mean and std; with tensors the result takes their "
            "shape, dtype and device. hint: normal(mean.to(dtype), std)"
        )
    if std is None:
        if not mt:
            raise TypeError("normal() missing required argument 'std'")
        std = 1.0
    d = mean.dtype if mt else std.dtype
    _r._float_or_complex("normal_kernel_cpu", d)
    if st:
        _r._float_or_complex("normal_kernel_cpu", std.dtype)
        s_arr = np.asarray(_backend.to_numpy(std._data), dtype=np.float64)
        if (s_arr < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    else:
        s_arr = _num(std, "normal", "std")
        if s_arr < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(s_arr)}")
    if mt:
        m_arr = np.asarray(_backend.to_numpy(mean._data))
        m_arr = m_arr.astype(np.complex128 if d.is_complex else np.float64)
    else:
        m_arr = _num(mean, "normal", "mean")
    shape = _broadcast_shape(np.shape(m_arr), np.shape(s_arr))
    _refuse_out_grad("normal", out, mean, std)
    if out is not None:
        check_tensor("normal", out, "out")
        out_dtype("normal", None, out)
    sample = _r.normal(g, shape, d, m_arr, s_arr)
    if mt and st:
        return _finish_sample("normal", _NORMAL_T_T, (mean, std), sample, out)
    if mt:
        return _finish_sample("normal", _NORMAL_T_F, (mean,), sample, out)
    return _finish_sample("normal", _NORMAL_F_T, (std,), sample, out)


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        n = max(len(a), len(b))
        pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
        for i in range(n - 1, -1, -1):
            if pa[i] != pb[i] and 1 not in (pa[i], pb[i]):
                raise RuntimeError(
                    f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                    f"non-singleton dimension {i}; hint: mean and std must broadcast"
                ) from None
        raise


@_vmapped
def bernoulli(
    input: Tensor, p: Any = None, *, generator: Any = None, out: Tensor | None = None
) -> Tensor:
    """0/1 samples: 1 with probability ``input`` (elementwise), or with probability ``p`` in
    ``input``'s shape and dtype.

    Example:
        >>> import ndgrad
        >>> ndgrad.bernoulli(ndgrad.tensor([0.0, 1.0])).tolist()
        [0.0, 1.0]
    """
    check_tensor("bernoulli", input)
    g = _r.np_generator(generator, "bernoulli")
    if p is None:
        probs = _probabilities(input, "bernoulli_tensor_cpu_p_")
        op = _BERNOULLI
    else:
        if isinstance(p, Tensor):
            p = p.item()
        p = _num(p, "bernoulli", "p")
        _bernoulli_p_check(p)
        probs, op = p, _BERNOULLI_P
        if input.dtype.is_complex:
            raise _r._not_implemented("bernoulli_scalar_cpu_", input.dtype, "use a real dtype")
    _refuse_out_grad("bernoulli", out, input)
    if out is not None:
        check_tensor("bernoulli", out, "out")
    sample = (g.random(tuple(input.shape)) < probs).astype(input.dtype.np)
    return _finish_sample("bernoulli", op, (input,), sample, out)


@_vmapped
def poisson(input: Tensor, generator: Any = None) -> Tensor:
    """Poisson samples with rates ``input`` (elementwise), in ``input``'s dtype.

    Example:
        >>> import ndgrad
        >>> ndgrad.poisson(ndgrad.zeros(2)).tolist()
        [0.0, 0.0]
    """
    check_tensor("poisson", input)
    d = input.dtype
    if not d.is_floating_point:
        raise _r._not_implemented("poisson_cpu", d, "rates are floating point: rates.float()")
    g = _r.np_generator(generator, "poisson")
    lam = np.asarray(_backend.to_numpy(input._data), dtype=np.float64)
    if (lam < 0).any():
        raise RuntimeError(
            "invalid Poisson rate, expected rate to be non-negative; hint: rates are >= 0, e.g. "
            "exp() of a log-rate"
        )
    ok = np.isfinite(lam)
    sample = g.poisson(np.where(ok, lam, 0.0)).astype(np.float64)
    sample = np.where(ok, sample, lam)  # nan and inf rates give nan and inf
    return _finish_sample("poisson", _POISSON, (input,), sample.astype(d.np), None)


def _bernoulli_method(self: Tensor, p: Any = None, *, generator: Any = None) -> Tensor:
    return bernoulli(self, p, generator=generator)


_bernoulli_method.__name__ = "bernoulli"

for _fn in (
    uniform_,
    normal_,
    bernoulli_,
    random_,
    exponential_,
    geometric_,
    cauchy_,
    log_normal_,
    _bernoulli_method,
):
    setattr(Tensor, _fn.__name__, _fn)
del _fn

EXPORTS.update(normal=normal, bernoulli=bernoulli, poisson=poisson)
