"""Factories, random numbers and their keywords, compared with PyTorch where it is installed.

Random values cannot match PyTorch's (other streams); shapes, dtypes, node names, exception
classes and messages do, and a seed always gives the same numbers.
"""

import warnings

import numpy as np
import pytest

import ndgrad


def _torch():
    return pytest.importorskip("torch")


def _error(fn):
    try:
        fn()
    except Exception as e:  # the class is what is compared
        return e
    return None


def _same_error(nd_fn, torch_fn, *, prefix=True):
    """Both raise the same exception class; ndgrad's message starts with PyTorch's text (its
    final period and boilerplate aside: ndgrad may add details and a hint there)."""
    e_t, e_n = _error(torch_fn), _error(nd_fn)
    assert e_t is not None, "torch did not raise"
    assert e_n is not None, f"ndgrad did not raise ({type(e_t).__name__}: {e_t})"
    assert type(e_n) is type(e_t), f"ndgrad {type(e_n).__name__}: {e_n}; torch {e_t!r}"
    if prefix:
        want = str(e_t).split("\n")[0].split(" (Triggered")[0].split("  (Could this")[0]
        want = want.strip().rstrip(".")
        got = str(e_n).replace("ndgrad.", "torch.")
        assert got.lower().startswith(want.lower()), (got, want)
    return e_n


def _strides(t):
    a = t.numpy()
    return tuple(s // a.itemsize for s in a.strides)


# --------------------------------------------------------------------------------------------
# Generator and seeding.


def test_generator_has_torchs_methods_a_cpu_device_and_torchs_default_seed():
    torch = _torch()
    g, tg = ndgrad.Generator(), torch.Generator()
    assert g.initial_seed() == tg.initial_seed() == 67280421310721
    assert str(g.device) == str(tg.device) == "cpu"
    for name in ("manual_seed", "seed", "initial_seed", "get_state", "set_state", "clone_state"):
        assert callable(getattr(g, name))
        assert callable(getattr(tg, name))
    assert g.manual_seed(3) is g
    assert g.initial_seed() == 3


def test_seeding_a_generator_makes_its_stream_reproducible_and_independent_of_the_default():
    a = ndgrad.rand(4, generator=ndgrad.Generator().manual_seed(11))
    ndgrad.manual_seed(0)
    default_before = ndgrad.default_generator.get_state()
    b = ndgrad.rand(4, generator=ndgrad.Generator().manual_seed(11))
    assert a.tolist() == b.tolist()
    assert ndgrad.default_generator.get_state().tolist() == default_before.tolist()
    c = ndgrad.rand(4, generator=ndgrad.Generator().manual_seed(12))
    assert c.tolist() != a.tolist()


def test_get_state_and_set_state_replay_the_same_numbers_and_keep_the_seed():
    g = ndgrad.Generator().manual_seed(5)
    state = g.get_state()
    assert state.dtype is ndgrad.uint8
    assert state.ndim == 1
    first = ndgrad.randn(6, generator=g).tolist()
    g.manual_seed(99)
    g.set_state(state)
    assert g.initial_seed() == 5
    assert ndgrad.randn(6, generator=g).tolist() == first
    clone = g.clone_state()
    assert ndgrad.rand(3, generator=clone).tolist() == ndgrad.rand(3, generator=g).tolist()


def test_get_rng_state_and_set_rng_state_restore_the_default_stream():
    state = ndgrad.get_rng_state()
    a = ndgrad.rand(5).tolist()
    ndgrad.set_rng_state(state)
    assert ndgrad.rand(5).tolist() == a


def test_set_state_refuses_what_is_not_a_state_with_torchs_classes():
    torch = _torch()
    g, tg = ndgrad.Generator(), torch.Generator()
    _same_error(lambda: g.set_state([1, 2]), lambda: tg.set_state([1, 2]), prefix=False)
    _same_error(
        lambda: g.set_state(ndgrad.zeros(3)), lambda: tg.set_state(torch.zeros(3)), prefix=False
    )
    e = _same_error(
        lambda: g.set_state(ndgrad.zeros(3, dtype=ndgrad.uint8)),
        lambda: tg.set_state(torch.zeros(3, dtype=torch.uint8)),
        prefix=False,
    )
    assert "size to be 3" in str(e)
    assert "hint:" in str(e)


def test_manual_seed_seeds_the_default_generator_as_torch_does():
    torch = _torch()
    assert ndgrad.manual_seed(7) is ndgrad.default_generator
    assert ndgrad.initial_seed() == 7
    assert ndgrad.manual_seed(-1).initial_seed() == torch.manual_seed(-1).initial_seed()
    assert ndgrad.manual_seed(2**64 - 1).initial_seed() == 2**64 - 1
    _same_error(lambda: ndgrad.manual_seed(2**64), lambda: torch.manual_seed(2**64))
    _same_error(
        lambda: ndgrad.Generator().manual_seed(1.0), lambda: torch.Generator().manual_seed(1.0)
    )
    ndgrad.manual_seed(42)
    a = (ndgrad.rand(3).tolist(), ndgrad.empty(3).normal_().tolist(), ndgrad.randperm(9).tolist())
    ndgrad.manual_seed(42)
    b = (ndgrad.rand(3).tolist(), ndgrad.empty(3).normal_().tolist(), ndgrad.randperm(9).tolist())
    assert a == b


def test_seed_draws_a_fresh_seed_and_reports_it():
    s = ndgrad.seed()
    assert ndgrad.initial_seed() == s
    assert 0 <= s < 2**64


RANDOM_CALLS = {
    "rand": lambda g: ndgrad.rand(3, generator=g),
    "randn": lambda g: ndgrad.randn(3, generator=g),
    "randint": lambda g: ndgrad.randint(0, 100, (3,), generator=g),
    "randperm": lambda g: ndgrad.randperm(10, generator=g),
    "normal_floats": lambda g: ndgrad.normal(0.0, 1.0, (3,), generator=g),
    "normal_tensors": lambda g: ndgrad.normal(ndgrad.zeros(3), ndgrad.ones(3), generator=g),
    "bernoulli": lambda g: ndgrad.bernoulli(ndgrad.full((8,), 0.5), generator=g),
    "multinomial": lambda g: ndgrad.multinomial(ndgrad.ones(10), 5, generator=g),
    "poisson": lambda g: ndgrad.poisson(ndgrad.full((5,), 4.0), g),
    "rand_like": lambda g: ndgrad.rand_like(ndgrad.zeros(3), generator=g),
    "randn_like": lambda g: ndgrad.randn_like(ndgrad.zeros(3), generator=g),
    "randint_like": lambda g: ndgrad.randint_like(ndgrad.zeros(3), 100, generator=g),
    "uniform_": lambda g: ndgrad.empty(3).uniform_(generator=g),
    "normal_": lambda g: ndgrad.empty(3).normal_(generator=g),
    "bernoulli_": lambda g: ndgrad.empty(8).bernoulli_(generator=g),
    "random_": lambda g: ndgrad.empty(3).random_(generator=g),
    "exponential_": lambda g: ndgrad.empty(3).exponential_(generator=g),
    "geometric_": lambda g: ndgrad.empty(3).geometric_(0.2, generator=g),
    "cauchy_": lambda g: ndgrad.empty(3).cauchy_(generator=g),
    "log_normal_": lambda g: ndgrad.empty(3).log_normal_(generator=g),
}


@pytest.mark.parametrize("name", sorted(RANDOM_CALLS))
def test_every_random_function_takes_a_generator_and_repeats_under_the_same_seed(name):
    call = RANDOM_CALLS[name]
    a = call(ndgrad.Generator().manual_seed(3)).tolist()
    b = call(ndgrad.Generator().manual_seed(3)).tolist()
    assert a == b
    ndgrad.manual_seed(3)
    c = call(None).tolist()
    ndgrad.manual_seed(3)
    assert call(None).tolist() == c


def test_a_generator_that_is_not_one_is_refused_with_a_type_error():
    torch = _torch()
    _same_error(
        lambda: ndgrad.rand(2, generator=1), lambda: torch.rand(2, generator=1), prefix=False
    )
    with pytest.raises(TypeError, match="generator"):
        ndgrad.empty(2).normal_(generator="seed")


# --------------------------------------------------------------------------------------------
# rand, randn, randint, randperm and the *_like ones.


@pytest.mark.parametrize(
    "call",
    [
        "rand(size=())",
        "rand(size=(2, 3))",
        "randn(size=())",
        "randn(size=[2, 3])",
        "randn(2, 3)",
        "randn((2, 3))",
        "rand(())",
        "randint(10, (3,))",
        "randint(3, 10, (2, 2))",
        "randint(3, 10, size=(3,))",
        "randint(10, size=(3,))",
        "randint(high=10, size=(3,))",
        "randint(low=2, high=10, size=(3,))",
        "randperm(5)",
        "randperm(0)",
        "randperm(5, dtype=LIB.float32)",
        "normal(0.0, 1.0, (2, 3))",
        "normal(0.0, 1.0, size=(2,))",
        "rand(2, dtype=LIB.float64)",
        "randn(2, dtype=LIB.complex64)",
        "rand(2, dtype=LIB.float16)",
        "randint(0, 3, (2,), dtype=LIB.int32)",
        "randint(0, 2, (2,), dtype=LIB.bool)",
        "randint(0, 10, (3,), dtype=LIB.float32)",
    ],
)
def test_random_factories_give_torchs_shapes_and_dtypes(call):
    torch = _torch()
    n = eval("LIB." + call, {"LIB": ndgrad})
    t = eval("LIB." + call, {"LIB": torch})
    assert tuple(n.shape) == tuple(t.shape)
    assert n.dtype.name == str(t.dtype).removeprefix("torch.")
    assert n.is_leaf
    assert not n.requires_grad


@pytest.mark.parametrize(
    "call",
    [
        "randn(2, size=(3,))",
        "randn()",
        "rand(2.5)",
        "rand(-1)",
        "rand(2, dtype=LIB.int64)",
        "rand(2, dtype=LIB.bool)",
        "randn(2, dtype=LIB.int64)",
        "randint(10)",
        "randint(5, 3, (3,))",
        "randint(3, 3, (3,))",
        "randint(0, 300, (3,), dtype=LIB.uint8)",
        "randint(-129, 0, (3,), dtype=LIB.int8)",
        "randint(0, 3, (3,), dtype=LIB.bool)",
        "randint(0, 2**63, (3,))",
        "randint(0, 3, (3,), requires_grad=True)",
        "randperm(-1)",
        "randperm(3.0)",
        "randperm(3, dtype=LIB.bool)",
        "randperm(3, requires_grad=True)",
    ],
)
def test_random_factory_errors_have_torchs_classes(call):
    torch = _torch()
    prefix = not call.startswith(("randn(2, size", "randn()", "rand(2.5", "randint(10)"))
    prefix = prefix and "2**63" not in call and "randperm(3.0" not in call
    _same_error(
        lambda: eval("LIB." + call, {"LIB": ndgrad}),
        lambda: eval("LIB." + call, {"LIB": torch}),
        prefix=prefix,
    )


def test_random_factories_take_requires_grad_for_floating_dtypes():
    torch = _torch()
    for call in (
        "rand(2, requires_grad=True)",
        "randn(2, 3, requires_grad=True)",
        "randperm(3, dtype=LIB.float32, requires_grad=True)",
        "randint(0, 9, (3,), dtype=LIB.float32, requires_grad=True)",
        "normal(0.0, 1.0, (2,), requires_grad=True)",
    ):
        n = eval("LIB." + call, {"LIB": ndgrad})
        t = eval("LIB." + call, {"LIB": torch})
        assert n.requires_grad, call
        assert t.requires_grad, call
        assert n.is_leaf, call


def test_rand_lies_in_the_unit_interval_for_every_float_dtype():
    for d in (ndgrad.float16, ndgrad.float32, ndgrad.float64):
        u = ndgrad.rand(200_000, dtype=d).numpy()
        assert u.min() >= 0, d
        assert u.max() < 1, d
        assert abs(float(u.astype(np.float64).mean()) - 0.5) < 0.01


def test_complex_randn_splits_unit_variance_between_the_parts_as_torch():
    z = ndgrad.randn(200_000, dtype=ndgrad.complex128).numpy()
    assert abs(z.real.var() - 0.5) < 0.01
    assert abs(z.imag.var() - 0.5) < 0.01
    u = ndgrad.rand(1000, dtype=ndgrad.complex64).numpy()
    assert u.real.min() >= 0
    assert u.real.max() < 1
    assert u.imag.min() >= 0
    assert u.imag.max() < 1


def test_randint_covers_its_half_open_range():
    r = ndgrad.randint(3, 7, (2000,))
    assert r.dtype is ndgrad.int64
    assert set(r.tolist()) == {3, 4, 5, 6}
    big = ndgrad.randint(2**62, 2**63 - 1, (5,))
    assert all(2**62 <= v < 2**63 for v in big.tolist())


def test_randperm_is_a_permutation():
    p = ndgrad.randperm(50)
    assert sorted(p.tolist()) == list(range(50))
    assert p.dtype is ndgrad.int64


def test_like_random_factories_follow_the_input_and_take_torchs_keywords():
    torch = _torch()
    x, tx = ndgrad.ones(2, 3, dtype=ndgrad.float64), torch.ones(2, 3, dtype=torch.float64)
    for name, args in (
        ("rand_like", ()),
        ("randn_like", ()),
        ("randint_like", (10,)),
        ("randint_like", (3, 10)),
    ):
        n, t = getattr(ndgrad, name)(x, *args), getattr(torch, name)(tx, *args)
        assert tuple(n.shape) == tuple(t.shape)
        assert n.dtype.name == str(t.dtype)[6:]
        n = getattr(ndgrad, name)(x, *args, dtype=ndgrad.float32, requires_grad=True)
        assert n.dtype is ndgrad.float32
        assert n.requires_grad
    r = ndgrad.randint_like(x, low=2, high=5)
    assert set(r.tolist()[0]) <= {2.0, 3.0, 4.0}
    assert ndgrad.randint_like(ndgrad.ones(2, dtype=ndgrad.int32), 10).dtype is ndgrad.int32
    ints, tints = ndgrad.ones(2, dtype=ndgrad.int64), torch.ones(2, dtype=torch.int64)
    _same_error(lambda: ndgrad.rand_like(ints), lambda: torch.rand_like(tints))
    _same_error(lambda: ndgrad.randn_like(ints), lambda: torch.randn_like(tints))
    _same_error(lambda: ndgrad.rand_like([1.0]), lambda: torch.rand_like([1.0]))
    assert _strides(ndgrad.rand_like(x.t())) == tuple(torch.rand_like(tx.t()).stride())


# --------------------------------------------------------------------------------------------
# normal, bernoulli, poisson, multinomial.


@pytest.mark.parametrize(
    "call",
    [
        "normal(LIB.zeros(3), LIB.ones(3))",
        "normal(LIB.zeros(3), 2.0)",
        "normal(0.0, LIB.ones(3))",
        "normal(mean=LIB.zeros(2), std=1.0)",
        "normal(LIB.zeros(2))",
        "normal(LIB.zeros(2, 3), LIB.ones(3))",
        "normal(LIB.zeros(2, dtype=LIB.float64), LIB.ones(2))",
        "normal(LIB.zeros(2), LIB.ones(2, dtype=LIB.float64))",
        "normal(0.0, LIB.ones(2, dtype=LIB.float64))",
        "normal(LIB.zeros(2, dtype=LIB.complex64), 1.0)",
        "normal(0.0, 1.0, (2,), dtype=LIB.float64)",
        "bernoulli(LIB.full((4,), 0.5))",
        "bernoulli(LIB.zeros(2, dtype=LIB.float64), 0.5)",
        "bernoulli(LIB.zeros(2, dtype=LIB.int64), 0.5)",
        "poisson(LIB.tensor([1.0, 5.0]))",
        "multinomial(LIB.tensor([0.1, 0.2, 0.7]), 2)",
        "multinomial(LIB.tensor([0.1, 0.2, 0.7]), 4, True)",
        "multinomial(LIB.ones(2, 3), 2)",
        "multinomial(LIB.ones(0, 3), 1)",
        "multinomial(LIB.ones(2, 3, dtype=LIB.float64), 3, replacement=True)",
    ],
)
def test_normal_bernoulli_poisson_multinomial_give_torchs_shapes_and_dtypes(call):
    torch = _torch()
    n = eval("LIB." + call, {"LIB": ndgrad})
    t = eval("LIB." + call, {"LIB": torch})
    assert tuple(n.shape) == tuple(t.shape)
    assert n.dtype.name == str(t.dtype).removeprefix("torch.")


@pytest.mark.parametrize(
    "call",
    [
        "normal(0.0, 1.0)",
        "normal(LIB.zeros(3), -LIB.ones(3))",
        "normal(0.0, -1.0, (2,))",
        "normal(LIB.zeros(3), -1.0)",
        "normal(LIB.zeros(2), LIB.ones(3))",
        "normal(LIB.zeros(2, dtype=LIB.int64), LIB.ones(2))",
        "normal(0.0, LIB.ones(2, dtype=LIB.int64))",
        "normal(LIB.zeros(2), 1.0, dtype=LIB.float64)",
        "normal(2, 3, size=(2,), dtype=LIB.int64)",
        "bernoulli(LIB.tensor([2.0]))",
        "bernoulli(LIB.tensor([-0.5]))",
        "bernoulli(LIB.tensor([float('nan')]))",
        "bernoulli(LIB.tensor([1, 0]))",
        "bernoulli(LIB.zeros(2), 1.5)",
        "bernoulli(0.5)",
        "poisson(LIB.tensor([-1.0]))",
        "poisson(LIB.tensor([1, 5]))",
        "multinomial(LIB.tensor([0.1, 0.9]), 3)",
        "multinomial(LIB.tensor([0.1, 0.9]), 0)",
        "multinomial(LIB.tensor([0.1, 0.9]), -1)",
        "multinomial(LIB.tensor([0.0, 0.0, 0.0]), 1)",
        "multinomial(LIB.tensor([-1.0, 0.0, 1.0]), 1)",
        "multinomial(LIB.tensor([float('nan'), 0.0, 1.0]), 1)",
        "multinomial(LIB.tensor([float('inf'), 0.0, 1.0]), 1)",
        "multinomial(LIB.tensor([1, 2]), 1)",
        "multinomial(LIB.tensor(1.0), 1)",
        "multinomial(LIB.ones(2, 3, 4), 1)",
        "multinomial(LIB.ones(2, 0), 1)",
        "multinomial(LIB.ones(2**24 + 1), 1, True)",
        "multinomial(LIB.ones(3), 2, out=LIB.empty(2))",
    ],
)
def test_normal_bernoulli_poisson_multinomial_errors_have_torchs_classes(call):
    torch = _torch()
    prefix = call != "normal(0.0, 1.0)" and "dtype=LIB.float64)" not in call
    prefix = prefix and "bernoulli(0.5)" not in call and "size=(2,), dtype" not in call
    _same_error(
        lambda: eval("LIB." + call, {"LIB": ndgrad}),
        lambda: eval("LIB." + call, {"LIB": torch}),
        prefix=prefix,
    )


def test_normal_follows_mean_and_std():
    z = ndgrad.normal(ndgrad.full((100_000,), 3.0, dtype=ndgrad.float64), 2.0).numpy()
    assert abs(z.mean() - 3.0) < 0.05
    assert abs(z.std() - 2.0) < 0.05
    z = ndgrad.normal(-1.0, 0.5, size=(100_000,)).numpy()
    assert abs(z.mean() + 1.0) < 0.02
    assert abs(z.std() - 0.5) < 0.02
    s = ndgrad.normal(ndgrad.zeros(2), ndgrad.tensor([0.0, 1.0]))
    assert s.tolist()[0] == 0.0


@pytest.mark.parametrize(
    ("make", "backward_name"),
    [
        (lambda m, s: ndgrad.normal(m, s), "NormalBackward3"),
        (lambda m, s: ndgrad.normal(m, 2.0), "NormalBackward1"),
        (lambda m, s: ndgrad.normal(1.0, s), "NormalBackward2"),
        (lambda m, s: ndgrad.bernoulli(s * 0.5), "BernoulliBackward0"),
        (lambda m, s: ndgrad.poisson(s), "PoissonBackward0"),
    ],
)
def test_random_ops_of_tensors_that_require_grad_record_a_zero_gradient_node(make, backward_name):
    torch = _torch()
    m = ndgrad.zeros(3, requires_grad=True)
    s = ndgrad.ones(3, requires_grad=True)
    y = make(m, s)
    assert y.grad_fn is not None
    assert y.grad_fn.name() == backward_name
    y.sum().backward()
    got = [t.grad for t in (m, s) if t.grad is not None]
    assert got
    assert all(g.tolist() == [0.0, 0.0, 0.0] for g in got)
    tm = torch.zeros(3, requires_grad=True)
    ts = torch.ones(3, requires_grad=True)
    ty = {
        "NormalBackward3": lambda: torch.normal(tm, ts),
        "NormalBackward1": lambda: torch.normal(tm, 2.0),
        "NormalBackward2": lambda: torch.normal(1.0, ts),
        "BernoulliBackward0": lambda: torch.bernoulli(ts * 0.5),
        "PoissonBackward0": lambda: torch.poisson(ts),
    }[backward_name]()
    assert ty.grad_fn.name() == backward_name


def test_normal_with_out_writes_into_it_and_refuses_inputs_that_require_grad():
    torch = _torch()
    out = ndgrad.empty(3)
    assert ndgrad.normal(ndgrad.zeros(3), 1.0, out=out) is out
    big = ndgrad.empty(5)
    with pytest.warns(UserWarning, match="was resized"):
        ndgrad.normal(ndgrad.zeros(3), ndgrad.ones(3), out=big)
    assert tuple(big.shape) == (3,)
    _same_error(
        lambda: ndgrad.normal(ndgrad.zeros(2, requires_grad=True), 1.0, out=ndgrad.empty(2)),
        lambda: torch.normal(torch.zeros(2, requires_grad=True), 1.0, out=torch.empty(2)),
    )
    o = ndgrad.empty(2, dtype=ndgrad.float64)
    assert ndgrad.normal(0.0, 1.0, (2,), out=o) is o


def test_bernoulli_gives_zeros_and_ones_with_the_given_probabilities():
    b = ndgrad.bernoulli(ndgrad.tensor([0.0, 1.0, 0.0, 1.0]))
    assert b.tolist() == [0.0, 1.0, 0.0, 1.0]
    freq = ndgrad.bernoulli(ndgrad.full((100_000,), 0.3)).numpy().mean()
    assert abs(freq - 0.3) < 0.01
    x = ndgrad.zeros(10_000)
    assert abs(x.bernoulli(0.8).numpy().mean() - 0.8) < 0.02
    assert ndgrad.bernoulli(x, p=0.0).tolist() == [0.0] * 10_000


def test_poisson_rates_give_matching_means_and_zero_rates_give_zeros():
    s = ndgrad.poisson(ndgrad.full((100_000,), 4.0, dtype=ndgrad.float64)).numpy()
    assert abs(s.mean() - 4.0) < 0.05
    assert ndgrad.poisson(ndgrad.zeros(3)).tolist() == [0.0, 0.0, 0.0]


def test_multinomial_without_replacement_draws_distinct_categories_zeros_last():
    for _ in range(20):
        d = ndgrad.multinomial(ndgrad.tensor([[1.0, 2.0, 3.0, 4.0]] * 3), 4)
        assert all(sorted(row) == [0, 1, 2, 3] for row in d.tolist())
    assert ndgrad.multinomial(ndgrad.tensor([0.0, 0.0, 1.0]), 1).tolist() == [2]
    assert ndgrad.multinomial(ndgrad.tensor([0.0, 0.0, 1.0]), 2).tolist()[0] == 2


def test_multinomial_with_replacement_never_draws_a_zero_weight_and_follows_the_weights():
    w = ndgrad.tensor([0.0, 1.0, 0.0, 3.0, 0.0])
    d = ndgrad.multinomial(w, 40_000, replacement=True).numpy()
    assert set(np.unique(d).tolist()) == {1, 3}
    assert abs((d == 3).mean() - 0.75) < 0.01
    assert w.multinomial(3, True).shape == (3,)


def test_multinomial_without_replacement_follows_sequential_draw_probabilities():
    # P(first draw = i) = w_i / sum(w)
    draws = np.array([ndgrad.multinomial(ndgrad.tensor([1.0, 3.0]), 1).item() for _ in range(4000)])
    assert abs((draws == 1).mean() - 0.75) < 0.03


# --------------------------------------------------------------------------------------------
# In-place random methods.

INPLACE = [
    ("uniform_", (), "UniformBackward0"),
    ("uniform_", (-2.0, 3.0), "UniformBackward0"),
    ("normal_", (), "NormalBackward0"),
    ("normal_", (1.0, 0.5), "NormalBackward0"),
    ("bernoulli_", (), "BernoulliBackward2"),
    ("bernoulli_", (0.2,), "BernoulliBackward2"),
    ("bernoulli_", ("probs",), "BernoulliBackward1"),
    ("random_", (), "RandomBackward2"),
    ("random_", (10,), "RandomBackward1"),
    ("random_", (2, 10), "RandomBackward0"),
    ("exponential_", (), "ExponentialBackward0"),
    ("geometric_", (0.3,), "GeometricBackward0"),
    ("cauchy_", (), "CauchyBackward0"),
    ("log_normal_", (), "LogNormalBackward0"),
]


def _args(lib, args, n=4):
    return tuple(lib.full((n,), 0.5) if a == "probs" else a for a in args)


@pytest.mark.parametrize(("name", "args", "node"), INPLACE)
def test_in_place_random_methods_write_into_memory_so_views_see_it_and_bump_the_version(
    name, args, node
):
    x = ndgrad.zeros(4) - 7.0  # no random method yields exactly -7 everywhere
    view = x[1:3]
    before = x._version
    out = getattr(x, name)(*_args(ndgrad, args))
    assert out is x
    assert x._version > before
    assert view.tolist() == x.tolist()[1:3]
    assert x.tolist() != [-7.0] * 4
    assert not x.requires_grad
    assert x.grad_fn is None


@pytest.mark.parametrize(("name", "args", "node"), INPLACE)
def test_in_place_random_methods_refuse_a_leaf_that_requires_grad_like_torch(name, args, node):
    torch = _torch()
    a, ta = ndgrad.zeros(4, requires_grad=True), torch.zeros(4, requires_grad=True)
    _same_error(
        lambda: getattr(a, name)(*_args(ndgrad, args)),
        lambda: getattr(ta, name)(*_args(torch, args)),
    )
    _same_error(
        lambda: getattr(a[:2], name)(*_args(ndgrad, args, 2)),
        lambda: getattr(ta[:2], name)(*_args(torch, args, 2)),
    )


@pytest.mark.parametrize(("name", "args", "node"), INPLACE)
def test_in_place_random_methods_fill_leaves_under_no_grad_as_nn_init_does(name, args, node):
    a = ndgrad.zeros(4, requires_grad=True)
    with ndgrad.no_grad():
        getattr(a, name)(*_args(ndgrad, args))
    assert a.is_leaf
    assert a.requires_grad
    assert a._version == 1


@pytest.mark.parametrize(("name", "args", "node"), INPLACE)
def test_in_place_random_on_a_non_leaf_cuts_its_history_with_torchs_node(name, args, node):
    torch = _torch()
    a = ndgrad.ones(4, requires_grad=True)
    b = a * 3
    getattr(b, name)(*_args(ndgrad, args))
    assert b.requires_grad
    assert b.grad_fn.name() == node
    (b * 2).sum().backward()
    assert a.grad.tolist() == [0.0] * 4
    ta = torch.ones(4, requires_grad=True)
    tb = ta * 3
    getattr(tb, name)(*_args(torch, args))
    assert tb.grad_fn.name() == node


@pytest.mark.parametrize(
    ("name", "args", "dtype"),
    [
        ("uniform_", (3, 2), "float32"),
        ("uniform_", (), "int64"),
        ("uniform_", (), "bool"),
        ("normal_", (0, -1), "float32"),
        ("normal_", (), "int32"),
        ("bernoulli_", (1.5,), "float32"),
        ("bernoulli_", (-0.1,), "float32"),
        ("bernoulli_", ("probs2",), "float32"),
        ("bernoulli_", ("bad_probs",), "float32"),
        ("bernoulli_", ("int_probs",), "float32"),
        ("bernoulli_", (), "complex64"),
        ("random_", (5, 3), "float32"),
        ("random_", (0,), "float32"),
        ("random_", (-3,), "float32"),
        ("random_", (0, 300), "int8"),
        ("random_", (-1, 3), "uint8"),
        ("random_", (0, 2**16), "int16"),
        ("random_", (0, 2**32), "int32"),
        ("random_", (0, 3), "bool"),
        ("random_", (), "complex64"),
        ("exponential_", (-1,), "float32"),
        ("exponential_", (0,), "float32"),
        ("exponential_", (-1.5,), "float32"),
        ("exponential_", (), "int64"),
        ("exponential_", (), "int32"),
        ("exponential_", (), "bool"),
        ("exponential_", (), "complex64"),
        ("geometric_", (0,), "float32"),
        ("geometric_", (1,), "float32"),
        ("geometric_", (1.5,), "float32"),
        ("geometric_", (0.5,), "complex64"),
        ("geometric_", (0.5,), "bool"),
        ("cauchy_", (0, -1), "float32"),
        ("cauchy_", (0, 0), "float32"),
        ("cauchy_", (), "int64"),
        ("cauchy_", (), "int16"),
        ("cauchy_", (), "uint8"),
        ("cauchy_", (), "complex64"),
        ("log_normal_", (0, -1), "float32"),
        ("log_normal_", (0, 0), "float32"),
        ("log_normal_", (), "int32"),
        ("log_normal_", (), "complex64"),
    ],
)
def test_in_place_random_argument_and_dtype_errors_match_torch(name, args, dtype):
    torch = _torch()

    def run(lib):
        extra = {
            "probs2": lib.full((2,), 0.5),
            "bad_probs": lib.tensor([2.0, 0.0, 0.0, 0.0]),
            "int_probs": lib.tensor([1, 0, 1, 0]),
        }
        x = lib.zeros(4, dtype=getattr(lib, "bool" if dtype == "bool" else dtype))
        return getattr(x, name)(*(extra.get(a, a) if isinstance(a, str) else a for a in args))

    _same_error(lambda: run(ndgrad), lambda: run(torch), prefix=args != ("probs2",))


def test_geometric_needs_p_like_torch():
    torch = _torch()
    _same_error(
        lambda: ndgrad.empty(2).geometric_(), lambda: torch.empty(2).geometric_(), prefix=False
    )


def test_uniform_takes_from_and_to_by_name_and_stays_in_its_half_open_range():
    x = ndgrad.empty(100_000).uniform_(**{"from": 2.0, "to": 3.0}).numpy()
    assert x.min() >= 2.0
    assert x.max() < 3.0
    assert ndgrad.empty(3).uniform_(2, 2).tolist() == [2.0, 2.0, 2.0]
    y = ndgrad.empty(100_000, dtype=ndgrad.float16).uniform_(0, 1).numpy()
    assert y.max() < 1


def test_random_ranges_follow_torch_for_every_dtype():
    assert set(ndgrad.empty(1000).random_(3).tolist()) == {0.0, 1.0, 2.0}
    assert set(ndgrad.empty(1000).random_(to=3).tolist()) == {0.0, 1.0, 2.0}
    assert set(ndgrad.empty(1000).random_(3, to=5).tolist()) == {3.0, 4.0}
    f = ndgrad.empty(1000).random_().numpy()
    assert f.min() >= 0
    assert f.max() <= 2**24
    assert (f == np.round(f)).all()
    assert ndgrad.empty(1000, dtype=ndgrad.float64).random_().numpy().max() > 2**30
    assert set(ndgrad.empty(100, dtype=ndgrad.bool).random_().tolist()) == {False, True}
    u = ndgrad.empty(1000, dtype=ndgrad.uint8).random_().numpy()
    assert u.max() > 200
    big = ndgrad.empty(100, dtype=ndgrad.int64).random_(2**62, None).numpy()
    assert (big >= 2**62).all()


def test_random_beyond_float_precision_warns_like_torch():
    torch = _torch()
    with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^24\), 2\^24\]"):
        ndgrad.empty(3).random_(0, 2**25)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        torch.empty(3).random_(0, 2**25)
    assert any("out of bounds" in str(x.message) for x in w)


def test_distributions_have_their_means():
    n = 200_000
    e = ndgrad.empty(n, dtype=ndgrad.float64).exponential_(2.0).numpy()
    assert abs(e.mean() - 0.5) < 0.01
    assert e.min() >= 0
    g = ndgrad.empty(n, dtype=ndgrad.float64).geometric_(0.25).numpy()
    assert abs(g.mean() - 4.0) < 0.05
    assert g.min() >= 1
    ln = ndgrad.empty(n, dtype=ndgrad.float64).log_normal_(0.0, 0.5).numpy()
    assert abs(np.log(ln).std() - 0.5) < 0.01
    c = ndgrad.empty(n, dtype=ndgrad.float64).cauchy_(1.0, 2.0).numpy()
    assert abs(np.median(c) - 1.0) < 0.05
    z = ndgrad.empty(n, dtype=ndgrad.complex128).normal_(1.0, 2.0).numpy()
    assert abs(z.real.mean() - 1.0) < 0.02
    assert abs(z.real.var() - 2.0) < 0.05


# --------------------------------------------------------------------------------------------
# out=, size=, new_*, *_like and memory formats.


def test_out_receives_the_result_and_is_returned_with_views_seeing_it():
    out = ndgrad.empty(2, 3)
    row = out[0]
    before = out._version
    assert ndgrad.ones(2, 3, out=out) is out
    assert row.tolist() == [1.0, 1.0, 1.0]
    assert out._version > before
    assert ndgrad.zeros(2, 3, out=ndgrad.empty(2, 3, dtype=ndgrad.int64)).dtype is ndgrad.int64


@pytest.mark.parametrize(
    "call",
    [
        "zeros(4, out=OUT)",
        "ones(4, out=OUT)",
        "empty(4, out=OUT)",
        "full((4,), 2.0, out=OUT)",
        "rand(4, out=OUT)",
        "randn(4, out=OUT)",
        "randint(3, (4,), out=OUT)",
        "arange(4, out=OUT)",
        "linspace(0, 1, 4, out=OUT)",
        "eye(2, out=OUT)",
        "normal(0.0, 1.0, (4,), out=OUT)",
    ],
)
def test_an_out_of_the_wrong_shape_is_resized_and_warns_only_where_torch_does(call):
    torch = _torch()
    res = {}
    for lib in (ndgrad, torch):
        out = lib.empty(2, 3)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = eval("LIB." + call, {"LIB": lib, "OUT": out})
        assert r is out
        res[lib.__name__] = (tuple(out.shape), any("resized" in str(x.message) for x in w))
    assert res["ndgrad"] == res["torch"]


@pytest.mark.parametrize(
    "call",
    [
        "zeros(2, 3, out=LIB.empty(2, 3, requires_grad=True))",
        "ones(2, 3, out=LIB.empty(2, 3, requires_grad=True))",
        "zeros(2, 3, dtype=LIB.float64, out=LIB.empty(2, 3))",
        "ones(2, 3, dtype=LIB.float64, out=LIB.empty(2, 3))",
        "rand(2, 3, dtype=LIB.float64, out=LIB.empty(2, 3))",
        "randint(3, (2, 3), dtype=LIB.float64, out=LIB.empty(2, 3))",
        "randn(2, out=LIB.empty(2, dtype=LIB.int64))",
    ],
)
def test_out_errors_have_torchs_classes_and_messages(call):
    torch = _torch()
    _same_error(
        lambda: eval("LIB." + call, {"LIB": ndgrad}),
        lambda: eval("LIB." + call, {"LIB": torch}),
        prefix="requires_grad" not in call,
    )


def test_out_that_requires_grad_is_filled_under_no_grad_and_requires_grad_sets_it():
    p = ndgrad.empty(2, 3, requires_grad=True)
    with ndgrad.no_grad():
        assert ndgrad.zeros(2, 3, out=p) is p
    assert p.tolist() == [[0.0] * 3] * 2
    t = ndgrad.empty(2, 3)
    assert ndgrad.zeros(2, 3, out=t, requires_grad=True).requires_grad


def test_full_with_an_int_out_truncates_as_torch():
    torch = _torch()
    n = ndgrad.full((2,), 3.5, out=ndgrad.empty(2, dtype=ndgrad.int64))
    t = torch.full((2,), 3.5, out=torch.empty(2, dtype=torch.int64))
    assert n.tolist() == t.tolist()


@pytest.mark.parametrize(
    "call",
    [
        "zeros(size=(2, 3))",
        "ones(size=(2, 3))",
        "empty(size=(2, 3))",
        "zeros(size=())",
        "full(size=(2,), fill_value=3.0)",
        "zeros([2, 3])",
        "zeros(LIB.Size([2, 3]))",
        "zeros(LIB.tensor(3))",
        "zeros(2, 3, requires_grad=True)",
        "ones(2, dtype=LIB.float64, requires_grad=True)",
        "full((2,), 1 + 2j)",
        "full((2,), True)",
        "full((2,), 7)",
        "eye(2, 3, dtype=LIB.int64)",
        "arange(end=5)",
        "arange(start=1, end=5)",
        "arange(LIB.tensor(3))",
        "arange(5.0, requires_grad=True)",
        "linspace(0, 10, 3, dtype=LIB.int64)",
    ],
)
def test_factories_take_torchs_keywords_and_give_its_shapes_dtypes_and_flags(call):
    torch = _torch()
    n = eval("LIB." + call, {"LIB": ndgrad})
    t = eval("LIB." + call, {"LIB": torch})
    assert tuple(n.shape) == tuple(t.shape)
    assert n.dtype.name == str(t.dtype).removeprefix("torch.")
    assert n.requires_grad == t.requires_grad
    if "empty" not in call:
        assert n.tolist() == t.tolist()


@pytest.mark.parametrize(
    "call",
    [
        "zeros(2, size=(2, 3))",
        "zeros()",
        "zeros(2.0)",
        "zeros(-1)",
        "ones(2, -1)",
        "zeros((2,), (3,))",
        "zeros(2, dtype=LIB.int64, requires_grad=True)",
        "arange(5, requires_grad=True)",
        "arange(0, 5, 0)",
        "arange(0, 5, -1)",
        "arange(float('inf'))",
        "linspace(0, 1, -1)",
        "eye(-1)",
        "eye(2, -1)",
        "zeros(2, pin_memory=True)",
        "tensor([1.5], pin_memory=True)",
        "zeros(2**62, 4)",
        "zeros(10**10, 10**10)",
        "zeros_like([1])",
        "empty(2, memory_format=LIB.preserve_format)",
        "empty(2, memory_format=LIB.channels_last)",
        "zeros_like(LIB.ones(2, 3), memory_format=LIB.channels_last)",
    ],
)
def test_factory_errors_have_torchs_classes(call):
    torch = _torch()
    prefix = not any(
        s in call for s in ("size=(2, 3)", "zeros()", "2.0)", "(2,), (3,)", "requires_grad")
    )
    _same_error(
        lambda: eval("LIB." + call, {"LIB": ndgrad}),
        lambda: eval("LIB." + call, {"LIB": torch}),
        prefix=prefix,
    )


def test_an_impossible_allocation_raises_runtime_error_naming_the_bytes_with_a_hint():
    e = _error(lambda: ndgrad.zeros(10**12))
    assert isinstance(e, RuntimeError)
    assert not isinstance(e, MemoryError)
    assert "4000000000000 bytes" in str(e)
    assert "hint:" in str(e)
    torch = _torch()
    _same_error(lambda: ndgrad.zeros(10**12), lambda: torch.zeros(10**12), prefix=False)


@pytest.mark.parametrize(
    "call",
    [
        "new_zeros(2)",
        "new_zeros((2, 3))",
        "new_zeros(size=(2,))",
        "new_ones(2, dtype=LIB.int64)",
        "new_full((2,), 3)",
        "new_full((2,), True)",
        "new_full(size=(2,), fill_value=4)",
        "new_empty(2)",
        "new_tensor([1, 2])",
        "new_tensor([1.0, 2.0])",
        "new_tensor([1, 2], requires_grad=True)",
        "new_zeros(2, requires_grad=True)",
    ],
)
def test_new_methods_default_to_the_dtype_and_device_of_self(call):
    torch = _torch()
    for src in ("ones(2, 3, dtype=LIB.float64)", "tensor([1, 2])"):
        if "requires_grad" in call and "[1, 2])" in src:
            continue
        n = eval(f"LIB.{src}.{call}", {"LIB": ndgrad})
        t = eval(f"LIB.{src}.{call}", {"LIB": torch})
        assert tuple(n.shape) == tuple(t.shape)
        assert n.dtype.name == str(t.dtype).removeprefix("torch.")
        assert n.requires_grad == t.requires_grad
        assert n.is_leaf
        if "empty" not in call:
            assert n.tolist() == t.tolist()


def test_new_tensor_of_a_tensor_warns_as_torch_and_copies():
    x = ndgrad.ones(2, requires_grad=True)
    src = ndgrad.tensor([1.0, 2.0])
    with pytest.warns(UserWarning, match="sourceTensor.detach"):
        c = x.new_tensor(src)
    assert c.tolist() == [1.0, 2.0]
    assert not c.requires_grad
    src[0] = 5.0
    assert c.tolist() == [1.0, 2.0]


def test_like_factories_take_dtype_requires_grad_and_memory_format():
    torch = _torch()
    x, tx = ndgrad.ones(2, 3, dtype=ndgrad.float64), torch.ones(2, 3, dtype=torch.float64)
    for name in ("zeros_like", "ones_like", "empty_like"):
        n = getattr(ndgrad, name)(x, dtype=ndgrad.float32, requires_grad=True)
        assert n.dtype is ndgrad.float32
        assert n.requires_grad
        assert n.is_leaf
        for fmt in ("preserve_format", "contiguous_format"):
            a = getattr(ndgrad, name)(x.t(), memory_format=getattr(ndgrad, fmt))
            b = getattr(torch, name)(tx.t(), memory_format=getattr(torch, fmt))
            assert _strides(a) == tuple(b.stride()), (name, fmt)
    f = ndgrad.full_like(x, 7, dtype=ndgrad.int64)
    assert f.dtype is ndgrad.int64
    assert f.tolist() == [[7] * 3] * 2
    img, timg = ndgrad.ones(1, 2, 3, 4), torch.ones(1, 2, 3, 4)
    cl = ndgrad.zeros_like(img, memory_format=ndgrad.channels_last)
    assert _strides(cl) == tuple(torch.zeros_like(timg, memory_format=torch.channels_last).stride())
    e = ndgrad.empty(1, 2, 3, 4, memory_format=ndgrad.channels_last)
    assert _strides(e) == tuple(torch.empty(1, 2, 3, 4, memory_format=torch.channels_last).stride())
    assert repr(ndgrad.preserve_format) == "ndgrad.preserve_format"
    with pytest.raises(TypeError, match="memory_format"):
        ndgrad.zeros_like(x, memory_format="C")


def test_empty_strided_has_the_given_strides_and_torchs_errors():
    torch = _torch()
    for size, stride in (((2, 3), (1, 2)), ((2, 3), (3, 1)), ((2, 3), (0, 1)), ((2, 0), (5, 1))):
        n = ndgrad.empty_strided(size, stride, dtype=ndgrad.float64)
        t = torch.empty_strided(size, stride, dtype=torch.float64)
        assert tuple(n.shape) == tuple(t.shape)
        assert n.dtype is ndgrad.float64
        if 0 not in size:
            assert _strides(n) == tuple(t.stride())
    _same_error(
        lambda: ndgrad.empty_strided((2, 3), (1,)), lambda: torch.empty_strided((2, 3), (1,))
    )
    _same_error(
        lambda: ndgrad.empty_strided((2, 3), (-1, 1)), lambda: torch.empty_strided((2, 3), (-1, 1))
    )


# --------------------------------------------------------------------------------------------
# tensor() errors and predicates.


@pytest.mark.parametrize(
    "data",
    [
        None,
        [None],
        [1, None],
        [[1, 2], [3]],
        [[[1], [2]], [[3], [4, 5]]],
        [[1, 2], 3],
        "abc",
        ["a"],
        [1, "a"],
        {1: 2},
        object(),
        [2**70],
        2**70,
    ],
    ids=repr,
)
def test_tensor_of_data_that_cannot_make_a_tensor_raises_torchs_class(data):
    torch = _torch()
    prefix = not (isinstance(data, list) and data == [[1, 2], 3])
    e = _same_error(lambda: ndgrad.tensor(data), lambda: torch.tensor(data), prefix=prefix)
    assert "hint:" in str(e)


def test_tensor_of_a_list_that_nests_deeper_in_one_place_raises_type_error():
    torch = _torch()
    _same_error(lambda: ndgrad.tensor([1, [2, 3]]), lambda: torch.tensor([1, [2, 3]]), prefix=False)


@pytest.mark.parametrize("data", [["1.5"], [None], None, [[1, 2], [3]]], ids=repr)
def test_tensor_with_a_dtype_checks_the_data_as_torch(data):
    torch = _torch()
    _same_error(
        lambda: ndgrad.tensor(data, dtype=ndgrad.float32),
        lambda: torch.tensor(data, dtype=torch.float32),
    )


def test_tensor_takes_a_range_and_mixed_bools_and_ints():
    torch = _torch()
    for data in (range(3), [True, 2], [[1, 2], [3, 4.5]], [], [[], []]):
        n, t = ndgrad.tensor(data), torch.tensor(data)
        assert n.tolist() == t.tolist()
        assert n.dtype.name == str(t.dtype)[6:]
        assert tuple(n.shape) == tuple(t.shape)


def test_predicates_match_torch():
    torch = _torch()
    for make in ("tensor([1.5])", "tensor([1])", "tensor([1j])", "tensor(True)"):
        n = eval("LIB." + make, {"LIB": ndgrad})
        t = eval("LIB." + make, {"LIB": torch})
        assert ndgrad.is_floating_point(n) == torch.is_floating_point(t)
        assert ndgrad.is_complex(n) == torch.is_complex(t)
        assert ndgrad.is_tensor(n)
        assert ndgrad.numel(n) == torch.numel(t)
    assert ndgrad.is_nonzero(ndgrad.tensor([0.0])) is False
    assert ndgrad.is_nonzero(ndgrad.tensor(1.5)) is True
    assert ndgrad.tensor(False).is_nonzero() is False
    assert ndgrad.is_nonzero(ndgrad.tensor(float("nan"))) is torch.is_nonzero(
        torch.tensor(float("nan"))
    )
    for data in ([1, 2], []):
        _same_error(
            lambda d=data: ndgrad.is_nonzero(ndgrad.tensor(d)),
            lambda d=data: torch.is_nonzero(torch.tensor(d)),
        )
    _same_error(lambda: ndgrad.is_floating_point(1.0), lambda: torch.is_floating_point(1.0))
    _same_error(lambda: ndgrad.numel([1]), lambda: torch.numel([1]))
    assert ndgrad.is_tensor([1]) is torch.is_tensor([1]) is False
