"""ndgrad.optim against torch.optim: the same parameters after every step, state dicts, errors."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import ndgrad
from ndgrad import optim

RTOL, ATOL = 1e-10, 1e-12

A = np.array(
    [[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [2.0, 0.3, 0.7], [-1.0, 1.0, 1.0], [0.2, 0.1, -0.4]]
)
B = np.array([1.0, -2.0, 0.5, 3.0, -1.0])
X0 = np.array([-1.2, 1.0])  # Rosenbrock's classic start
W0 = np.array([0.3, -0.2, 0.8])


def objective(x, w, sign=1.0):
    """Rosenbrock in ``x`` plus a least-squares term in ``w`` (works for torch and ndgrad)."""
    rosen = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    lib = ndgrad if isinstance(x, ndgrad.Tensor) else _torch()
    r = lib.tensor(A) @ w - lib.tensor(B)
    return sign * (rosen + (r * r).sum())


def _torch():
    return pytest.importorskip("torch")


def _params(lib):
    x = lib.tensor(X0.copy(), dtype=lib.float64, requires_grad=True)
    w = lib.tensor(W0.copy(), dtype=lib.float64, requires_grad=True)
    return x, w


def _np(t):
    return t.detach().numpy().copy()


def _trajectory(lib, name, kwargs, steps, groups=None, sign=1.0):
    x, w = _params(lib)
    params = [x, w] if groups is None else [{"params": [x], **groups[0]}, {"params": [w]}]
    opt = getattr(lib.optim, name)(params, **kwargs)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        objective(x, w, sign).backward()
        opt.step()
        out.append((_np(x), _np(w)))
    return out, opt


def _assert_same_trajectory(theirs, ours):
    assert len(theirs) == len(ours)
    for x, w in ours:  # a diverging run would compare infinities (or nans) and prove nothing
        assert np.abs(x).max() < 1e3
        assert np.abs(w).max() < 1e3
    for i, ((tx, tw), (nx, nw)) in enumerate(zip(theirs, ours)):
        np.testing.assert_allclose(nx, tx, rtol=RTOL, atol=ATOL, err_msg=f"x after step {i + 1}")
        np.testing.assert_allclose(nw, tw, rtol=RTOL, atol=ATOL, err_msg=f"w after step {i + 1}")


CASES = [
    ("SGD", {"lr": 1e-3}),
    ("SGD", {"lr": 1e-3, "momentum": 0.9}),
    ("SGD", {"lr": 1e-3, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 1e-3, "momentum": 0.8, "dampening": 0.3, "maximize": True}),
    ("Adam", {"lr": 1e-2}),
    ("Adam", {"lr": 1e-2, "amsgrad": True, "weight_decay": 0.05}),
    ("Adam", {"lr": 1e-2, "betas": (0.8, 0.9), "eps": 1e-6, "maximize": True}),
    ("Adam", {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 1e-2}),
    ("AdamW", {"lr": 1e-2, "amsgrad": True, "weight_decay": 0.2}),
    ("NAdam", {"lr": 1e-2}),
    ("NAdam", {"lr": 1e-2, "weight_decay": 0.1, "momentum_decay": 1e-2}),
    ("NAdam", {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 1e-3}),
    ("RAdam", {"lr": 1e-3, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 1e-3, "weight_decay": 0.1, "maximize": True}),
    ("Adamax", {"lr": 1e-2}),
    ("Adamax", {"lr": 1e-2, "weight_decay": 0.1, "betas": (0.7, 0.99)}),
    ("RMSprop", {"lr": 1e-3}),
    ("RMSprop", {"lr": 1e-3, "centered": True}),
    ("RMSprop", {"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 1e-3, "centered": True, "momentum": 0.5, "alpha": 0.9}),
    ("Adagrad", {"lr": 1e-1}),
    ("Adagrad", {"lr": 1e-1, "lr_decay": 0.05, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"lr": 1e-1, "weight_decay": 0.1, "eps": 1e-6}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}),
    ("Rprop", {"lr": 1e-2}),
    ("Rprop", {"lr": 1e-3, "etas": (0.3, 1.5), "step_sizes": (1e-4, 0.05)}),
    # maximize on the negated objective: the same path as minimising it
    ("NAdam", {"lr": 1e-2, "maximize": True}),
    ("Adamax", {"lr": 1e-2, "maximize": True}),
    ("RMSprop", {"lr": 1e-3, "centered": True, "maximize": True}),
    ("Adagrad", {"lr": 1e-1, "maximize": True}),
    ("Adadelta", {"maximize": True}),
    ("Rprop", {"lr": 1e-2, "maximize": True}),
]


def _case_id(case):
    name, kwargs = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_optimizer_matches_torch_after_every_step(case):
    torch = _torch()
    name, kwargs = case
    kwargs = dict(kwargs)
    sign = -1.0 if kwargs.get("maximize") else 1.0
    theirs, _ = _trajectory(torch, name, kwargs, 25, sign=sign)
    ours, _ = _trajectory(ndgrad, name, kwargs, 25, sign=sign)
    _assert_same_trajectory(theirs, ours)


@pytest.mark.parametrize(
    "case",
    [("Adam", {"lr": 1e-2}), ("NAdam", {"lr": 1e-2}), ("RAdam", {"lr": 1e-3}), ("Adamax", {})]
    + [("Adagrad", {"lr": 0.1}), ("RMSprop", {"centered": True}), ("Rprop", {})]
    + [("Adadelta", {}), ("SGD", {"momentum": 0.9})],
    ids=_case_id,
)
def test_float32_runs_round_like_torchs(case):
    # float32 parameters and float32 step / mu_product scalars, as PyTorch keeps them
    torch = _torch()
    name, kwargs = case
    results = []
    for lib in (torch, ndgrad):
        x = lib.tensor(X0.astype(np.float32), requires_grad=True)
        opt = getattr(lib.optim, name)([x], **kwargs)
        for _ in range(20):
            opt.zero_grad()
            ((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2).backward()
            opt.step()
        results.append(_np(x))
    assert results[1].dtype == np.float32
    np.testing.assert_allclose(results[1], results[0], rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_per_group_options_match_torch(name):
    torch = _torch()
    kwargs = {"lr": 1e-2}
    if name == "SGD":
        kwargs["momentum"] = 0.9
    groups = [{"lr": 3e-3, "weight_decay": 0.1}]
    theirs, _ = _trajectory(torch, name, kwargs, 10, groups=groups)
    ours, _ = _trajectory(ndgrad, name, kwargs, 10, groups=groups)
    _assert_same_trajectory(theirs, ours)


@pytest.mark.parametrize("name", sorted({c[0] for c in CASES}))
def test_state_dict_has_torchs_layout_and_values(name):
    torch = _torch()
    kwargs = {"momentum": 0.9} if name == "SGD" else {}  # plain SGD keeps no state
    _, theirs = _trajectory(torch, name, kwargs, 3)
    _, ours = _trajectory(ndgrad, name, kwargs, 3)
    t_sd, n_sd = theirs.state_dict(), ours.state_dict()
    assert n_sd["param_groups"] == t_sd["param_groups"]
    assert sorted(n_sd["state"]) == sorted(t_sd["state"]) == [0, 1]
    for index, t_state in t_sd["state"].items():
        n_state = n_sd["state"][index]
        assert sorted(n_state) == sorted(t_state)
        for key, value in t_state.items():
            assert isinstance(n_state[key], ndgrad.Tensor), key
            assert str(n_state[key].dtype).split(".")[-1] == str(value.dtype).split(".")[-1]
            np.testing.assert_allclose(n_state[key].numpy(), value.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted({c[0] for c in CASES}))
def test_repr_matches_torch(name):
    torch = _torch()
    _, theirs = _trajectory(torch, name, {}, 0)
    _, ours = _trajectory(ndgrad, name, {}, 0)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c[0] in ("SGD", "Adam", "NAdam", "RMSprop", "Adagrad", "Rprop")][1::2],
    ids=_case_id,
)
def test_state_dict_round_trip_mid_run_continues_like_an_uninterrupted_run(case):
    name, kwargs = case
    sign = -1.0 if kwargs.get("maximize") else 1.0
    whole, _ = _trajectory(ndgrad, name, dict(kwargs), 12, sign=sign)
    first, opt = _trajectory(ndgrad, name, dict(kwargs), 6, sign=sign)
    saved = copy.deepcopy(opt.state_dict())
    x = ndgrad.tensor(first[-1][0], requires_grad=True)
    w = ndgrad.tensor(first[-1][1], requires_grad=True)
    resumed = getattr(optim, name)([x, w], **kwargs)
    resumed.load_state_dict(saved)
    rest = []
    for _ in range(6):
        resumed.zero_grad()
        objective(x, w, sign).backward()
        resumed.step()
        rest.append((_np(x), _np(w)))
    # Bit for bit, except NAdam: loading casts ``mu_product`` (a float32 scalar) to the
    # parameter's dtype, as PyTorch's load_state_dict does; the run then rounds differently.
    rtol = 1e-9 if name == "NAdam" else 0.0
    for (ex, ew), (gx, gw) in zip(whole[6:], rest):
        np.testing.assert_allclose(gx, ex, rtol=rtol, atol=0)
        np.testing.assert_allclose(gw, ew, rtol=rtol, atol=0)
    if name == "NAdam":
        assert resumed.state[x]["mu_product"].dtype == ndgrad.float64
        assert resumed.state[x]["step"].dtype == ndgrad.float32


def test_loading_a_torch_state_dict_continues_torchs_run():
    torch = _torch()
    t_hist, t_opt = _trajectory(torch, "Adam", {"lr": 1e-2, "amsgrad": True}, 4)
    sd = t_opt.state_dict()
    converted = {
        "state": {
            i: {k: ndgrad.tensor(v.numpy()) for k, v in s.items()} for i, s in sd["state"].items()
        },
        "param_groups": sd["param_groups"],
    }
    x = ndgrad.tensor(t_hist[-1][0], requires_grad=True)
    w = ndgrad.tensor(t_hist[-1][1], requires_grad=True)
    opt = optim.Adam([x, w])
    opt.load_state_dict(converted)
    assert opt.param_groups[0]["lr"] == 1e-2
    assert opt.param_groups[0]["amsgrad"]
    assert opt.param_groups[0]["params"] == [x, w]
    tx, tw = (torch.tensor(t_hist[-1][i], requires_grad=True) for i in (0, 1))
    t_opt2 = torch.optim.Adam([tx, tw])
    t_opt2.load_state_dict(sd)
    for _ in range(3):
        for o, (p, q) in ((opt, (x, w)), (t_opt2, (tx, tw))):
            o.zero_grad()
            objective(p, q).backward()
            o.step()
        np.testing.assert_allclose(_np(x), _np(tx), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(_np(w), _np(tw), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SGD", {"lr": 0.05, "momentum": 0.5}),
        ("Adam", {"lr": 0.05, "amsgrad": True}),
        ("AdamW", {"lr": 0.05}),
        ("NAdam", {"lr": 0.05}),
        ("RAdam", {"lr": 0.05}),
        ("Adamax", {"lr": 0.05}),
        ("RMSprop", {"lr": 0.05, "centered": True, "momentum": 0.5}),
        ("Adagrad", {"lr": 0.05, "initial_accumulator_value": 0.1}),
        ("Adadelta", {}),
        ("Rprop", {"lr": 0.05}),
        ("LBFGS", {"line_search_fn": "strong_wolfe", "max_iter": 4}),
    ],
)
def test_complex_parameters_follow_torch_through_their_real_view(name, kwargs):
    torch = _torch()
    z0 = np.array([1 + 2j, -1j, 0.5 - 0.5j])
    target = np.array([0.5 + 0j, 1 + 1j, -2 + 0.1j])
    results = []
    for lib in (torch, ndgrad):
        z = lib.tensor(z0.copy(), requires_grad=True)
        opt = getattr(lib.optim, name)([z], **kwargs)

        def closure(z=z, opt=opt, lib=lib):
            opt.zero_grad()
            loss = ((z - lib.tensor(target)).abs() ** 3).sum()
            loss.backward()
            return loss

        for _ in range(8):
            opt.step(closure)
        results.append(_np(z))
    np.testing.assert_allclose(results[1], results[0], rtol=RTOL, atol=ATOL)
    assert np.abs(results[1] - z0).max() > 1e-3  # it moved


def test_the_parameters_of_an_nn_module_are_optimised():
    if not hasattr(ndgrad.nn, "Linear"):
        pytest.skip("ndgrad.nn.Linear is not there yet")
    ndgrad.manual_seed(0)
    model = ndgrad.nn.Linear(3, 2)
    opt = optim.AdamW(model.named_parameters(), lr=0.1)
    before = [p.detach().clone() for p in model.parameters()]
    model(ndgrad.ones(4, 3)).pow(2).sum().backward()
    opt.step()
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    for p, b in zip(model.parameters(), before):
        assert not np.allclose(p.detach().numpy(), b.numpy())
        assert p.is_leaf


# ---------------------------------------------------------------- LBFGS


def _rosenbrock_lbfgs(lib, steps, **kwargs):
    x = lib.tensor(X0.copy(), dtype=lib.float64, requires_grad=True)
    opt = lib.optim.LBFGS([x], **kwargs)

    def closure():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        return loss

    out = []
    for _ in range(steps):
        loss = opt.step(closure)
        out.append((_np(x), float(loss.detach())))
    return out, opt.state[x]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"lr": 0.5, "max_iter": 7},
        {"line_search_fn": "strong_wolfe"},
        {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 10},
    ],
    ids=["plain", "lr-max_iter", "strong_wolfe", "strong_wolfe-short-history"],
)
def test_lbfgs_matches_torch_on_rosenbrock(kwargs):
    # The same path (the same number of evaluations and iterations); the values agree to ~1e-9
    # only, as Rosenbrock's ill-conditioning amplifies last-bit differences of the two
    # autograds' gradients (1e-15 after the first step). The least-squares test is exact.
    torch = _torch()
    theirs, t_state = _rosenbrock_lbfgs(torch, 6, **kwargs)
    ours, n_state = _rosenbrock_lbfgs(ndgrad, 6, **kwargs)
    for i, ((tx, tl), (nx, nl)) in enumerate(zip(theirs, ours)):
        np.testing.assert_allclose(nx, tx, rtol=1e-7, atol=1e-12, err_msg=f"step {i + 1}")
        assert nl == pytest.approx(tl, rel=1e-7, abs=1e-12)
    assert n_state["func_evals"] == t_state["func_evals"]
    assert n_state["n_iter"] == t_state["n_iter"]
    assert len(n_state["old_dirs"]) == len(t_state["old_dirs"])


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_matches_torch_on_least_squares_to_1e_10(line_search_fn):
    torch = _torch()
    results = []
    for lib in (torch, ndgrad):
        x, w = _params(lib)
        opt = lib.optim.LBFGS([w, x], max_iter=5, history_size=4, line_search_fn=line_search_fn)

        def closure(x=x, w=w, opt=opt, lib=lib):
            opt.zero_grad()
            r = lib.tensor(A) @ w - lib.tensor(B)
            loss = (r * r).sum() + ((x - 1) ** 2).sum()
            loss.backward()
            return loss

        steps = []
        for _ in range(4):
            opt.step(closure)
            steps.append((_np(x), _np(w)))
        results.append((steps, opt.state[w]["func_evals"]))
    _assert_same_trajectory(results[0][0], results[1][0])
    assert results[1][1] == results[0][1]


def test_lbfgs_with_strong_wolfe_reaches_rosenbrocks_minimum():
    out, _ = _rosenbrock_lbfgs(ndgrad, 8, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(out[-1][0], [1.0, 1.0], atol=1e-4)


def test_lbfgs_refuses_parameter_groups_and_unknown_line_searches():
    a = ndgrad.zeros(1, requires_grad=True)
    b = ndgrad.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = optim.LBFGS([a], line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = ((a - 1) ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


def test_lbfgs_default_max_eval_is_five_quarters_of_max_iter():
    a = ndgrad.zeros(1, requires_grad=True)
    assert optim.LBFGS([a]).defaults["max_eval"] == 25
    assert optim.LBFGS([a], max_iter=7).defaults["max_eval"] == 8


# ---------------------------------------------------------------- the Optimizer contract


def test_an_empty_parameter_list_is_refused():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)


def test_a_single_tensor_as_params_is_a_type_error():
    p = ndgrad.zeros(2, requires_grad=True)
    with pytest.raises(
        TypeError,
        match="params argument given to the optimizer should be an iterable of Tensors or dicts, "
        "but got torch.FloatTensor",
    ):
        optim.Adam(p)


def test_a_parameter_in_two_groups_is_refused():
    p = ndgrad.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


def test_a_non_leaf_tensor_is_refused():
    p = ndgrad.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([p * 2], lr=0.1)


def test_a_set_of_parameters_in_a_group_is_refused():
    p = ndgrad.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="optimizer parameters need to be organized in ordered"):
        optim.SGD([{"params": {p}}], lr=0.1)


def test_a_non_tensor_parameter_is_refused():
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the"):
        optim.SGD([1.0], lr=0.1)


def test_duplicate_parameters_in_a_group_warn():
    p = ndgrad.zeros(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([p, p], lr=0.1)


def test_named_parameters_are_recorded_as_param_names():
    p = ndgrad.zeros(2, requires_grad=True)
    opt = optim.SGD([("weight", p)], lr=0.1)
    assert opt.param_groups[0]["params"] == [p]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1.0}, "Invalid learning rate: -1.0"),
        ({"momentum": -0.5}, "Invalid momentum value: -0.5"),
        ({"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
        ({"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
        (
            {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
            "Nesterov momentum requires a momentum and zero dampening",
        ),
    ],
)
def test_sgd_refuses_invalid_hyperparameters_with_torchs_messages(kwargs, message):
    p = ndgrad.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=message):
        optim.SGD([p], **kwargs)


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("Adam", {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
        ("Adam", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
        ("AdamW", {"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
        ("NAdam", {"momentum_decay": -1.0}, "Invalid momentum_decay value: -1.0"),
        ("RMSprop", {"alpha": -1.0}, "Invalid alpha value: -1.0"),
        ("Adagrad", {"lr_decay": -1.0}, "Invalid lr_decay value: -1.0"),
        ("Adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
        ("Rprop", {"etas": (1.5, 1.2)}, "Invalid eta values: 1.5, 1.2"),
    ],
)
def test_invalid_hyperparameters_raise_torchs_value_errors(name, kwargs, message):
    p = ndgrad.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)([p], **kwargs)
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=message):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)


@pytest.mark.parametrize(
    ("name", "flag"),
    [
        ("SGD", "foreach"),
        ("SGD", "fused"),
        ("SGD", "differentiable"),
        ("Adam", "capturable"),
        ("AdamW", "fused"),
        ("Adamax", "foreach"),
        ("RMSprop", "capturable"),
        ("Adagrad", "fused"),
        ("Adadelta", "differentiable"),
        ("NAdam", "foreach"),
        ("RAdam", "capturable"),
        ("Rprop", "foreach"),
    ],
)
def test_implementation_flags_set_to_true_are_refused_not_ignored(name, flag):
    p = ndgrad.zeros(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match=f"{name}\\({flag}=True\\) is not supported"):
        getattr(optim, name)([p], **{flag: True})
    getattr(optim, name)([p], **{flag: False})  # False (or None) is what ndgrad does


def test_a_param_group_asking_for_foreach_is_refused():
    p = ndgrad.zeros(2, requires_grad=True)
    q = ndgrad.zeros(2, requires_grad=True)
    opt = optim.Adam([p])
    with pytest.raises(NotImplementedError, match="foreach"):
        opt.add_param_group({"params": [q], "foreach": True})


def test_step_updates_in_place_without_recording_history():
    p = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    before = p
    opt = optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    assert p is before
    assert p.is_leaf
    assert p.grad_fn is None
    assert p.requires_grad
    assert opt.state[p]["exp_avg"].grad_fn is None


def test_the_closure_runs_with_grad_enabled_and_its_loss_is_returned():
    p = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    seen = []

    def closure():
        seen.append(ndgrad.is_grad_enabled())
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with ndgrad.no_grad():
        loss = opt.step(closure)
    assert seen == [True]
    assert loss.item() == 5.0
    np.testing.assert_allclose(p.detach().numpy(), [0.8, 1.6], rtol=1e-6)


def test_parameters_without_gradients_are_skipped():
    p = ndgrad.tensor([1.0], requires_grad=True)
    q = ndgrad.tensor([2.0], requires_grad=True)
    opt = optim.Adam([p, q], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    assert q.item() == 2.0
    assert q not in opt.state
    assert p in opt.state


@pytest.mark.parametrize("name", ["SGD", "Adam", "NAdam", "RAdam", "Adamax", "RMSprop", "Rprop"])
def test_a_tensor_learning_rate_gives_torchs_steps(name):
    torch = _torch()
    results = []
    for lib in (torch, ndgrad):
        x, w = _params(lib)
        opt = getattr(lib.optim, name)([x, w], lr=lib.tensor(1e-3, dtype=lib.float64))
        for _ in range(8):
            opt.zero_grad()
            objective(x, w).backward()
            opt.step()
        results.append((_np(x), _np(w)))
    _assert_same_trajectory([results[0]], [results[1]])


def test_zero_grad_detaches_a_gradient_that_has_history():
    p = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward(create_graph=True)
    assert p.grad.grad_fn is not None
    opt.zero_grad(set_to_none=False)
    assert p.grad.grad_fn is None
    assert p.grad.tolist() == [0.0, 0.0]


def test_zero_grad_sets_to_none_by_default_or_to_zeros():
    p = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None
    assert p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_step_pre_and_post_hooks_run_around_step_and_can_be_removed():
    p = ndgrad.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    calls = []
    h0 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(args[0] is o))
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", p.item())))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", p.item())))
    hg = optim.optimizer.register_optimizer_step_pre_hook(
        lambda o, args, kwargs: calls.append("global")
    )
    p.grad = ndgrad.tensor([1.0])
    opt.step()
    assert calls[:3] == ["global", True, ("pre", 1.0)]  # args start with the optimiser
    assert calls[3] == ("post", pytest.approx(0.9))
    for handle in (h0, h1, h2, hg):
        handle.remove()
    opt.step()
    assert len(calls) == 4


def test_a_pre_hook_may_replace_the_arguments_of_step():
    p = ndgrad.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        return ndgrad.tensor(42.0)

    opt.register_step_pre_hook(lambda o, args, kwargs: ((o,), {"closure": closure}))
    p.grad = ndgrad.tensor([0.0])
    assert opt.step().item() == 42.0
    opt.register_step_pre_hook(lambda o, args, kwargs: "nonsense")
    with pytest.raises(RuntimeError, match="must return None or a tuple of"):
        opt.step()


def test_add_param_group_fills_in_the_defaults():
    p = ndgrad.zeros(2, requires_grad=True)
    q = ndgrad.zeros(3, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": q, "lr": 0.01})
    group = opt.param_groups[1]
    assert group["params"] == [q]
    assert group["lr"] == 0.01
    assert group["momentum"] == 0.9


def test_adagrad_creates_its_state_in_the_constructor_as_torch_does():
    p = ndgrad.zeros(2, dtype=ndgrad.float64, requires_grad=True)
    opt = optim.Adagrad([p], initial_accumulator_value=0.25)
    assert opt.state[p]["sum"].tolist() == [0.25, 0.25]
    assert opt.state[p]["step"].item() == 0.0


def test_step_is_a_float32_tensor_unless_the_default_dtype_is_float64():
    p = ndgrad.zeros(2, dtype=ndgrad.float64, requires_grad=True)
    opt = optim.Adam([p])
    p.grad = ndgrad.ones(2, dtype=ndgrad.float64)
    opt.step()
    assert opt.state[p]["step"].dtype == ndgrad.float32
    previous = ndgrad.get_default_dtype()
    ndgrad.set_default_dtype(ndgrad.float64)
    try:
        q = ndgrad.zeros(2, requires_grad=True)
        opt = optim.Adam([q])
        q.grad = ndgrad.ones(2)
        opt.step()
        assert opt.state[q]["step"].dtype == ndgrad.float64
    finally:
        ndgrad.set_default_dtype(previous)


def test_load_state_dict_checks_the_groups_with_torchs_messages():
    p = ndgrad.zeros(2, requires_grad=True)
    q = ndgrad.zeros(2, requires_grad=True)
    one = optim.SGD([p, q], lr=0.1)
    two = optim.SGD([{"params": [p]}, {"params": [q]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        one.load_state_dict(two.state_dict())
    small = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        one.load_state_dict(small.state_dict())


def test_load_state_dict_casts_state_to_the_parameters_dtype_but_keeps_step():
    p = ndgrad.zeros(2, dtype=ndgrad.float64, requires_grad=True)
    opt = optim.Adam([p])
    sd = {
        "state": {
            0: {
                "step": ndgrad.tensor(3.0),
                "exp_avg": ndgrad.ones(2),
                "exp_avg_sq": ndgrad.ones(2),
            }
        },
        "param_groups": opt.state_dict()["param_groups"],
    }
    opt.load_state_dict(sd)
    assert opt.state[p]["exp_avg"].dtype == ndgrad.float64
    assert opt.state[p]["step"].dtype == ndgrad.float32


def test_a_plain_number_step_from_an_old_state_dict_becomes_a_tensor():
    p = ndgrad.zeros(2, requires_grad=True)
    opt = optim.Adam([p])
    sd = {
        "state": {0: {"step": 3, "exp_avg": ndgrad.zeros(2), "exp_avg_sq": ndgrad.zeros(2)}},
        "param_groups": opt.state_dict()["param_groups"],
    }
    opt.load_state_dict(sd)
    assert isinstance(opt.state[p]["step"], ndgrad.Tensor)
    assert opt.state[p]["step"].item() == 3.0


def test_a_subclass_with_its_own_step_gets_the_hooks():
    class Halve(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {})

        def step(self, closure=None):
            with ndgrad.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        p.mul_(0.5)

    p = ndgrad.tensor([4.0], requires_grad=True)
    opt = Halve([p])
    called = []
    opt.register_step_post_hook(lambda o, a, k: called.append(True))
    opt.step()
    assert p.item() == 2.0
    assert called == [True]


def test_optimizers_keep_working_under_warnings_as_errors():
    p = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in sorted({c[0] for c in CASES}):
            opt = getattr(optim, name)([p])
            p.grad = ndgrad.tensor([0.5, -0.5])
            opt.step()


def test_a_direct_subclass_may_keep_a_foreach_option_of_its_own():
    class Custom(optim.Optimizer):
        def __init__(self, params, foreach=True):
            super().__init__(params, {"foreach": foreach})

        def step(self, closure=None):
            return None

    opt = Custom([ndgrad.zeros(1, requires_grad=True)])
    assert opt.param_groups[0]["foreach"] is True
