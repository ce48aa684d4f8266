"""ndgrad.optim.lr_scheduler against torch: the same lr (and momentum) sequences to 1e-12."""

from __future__ import annotations

import copy
import warnings

import pytest

import ndgrad
from ndgrad import optim
from ndgrad.optim import lr_scheduler

STEPS = 30


def _optimizer(lib, name="SGD"):
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    groups = [{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.05}]
    if name == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups, lr=0.1)


def _record(opt):
    out = []
    for g in opt.param_groups:
        out.append(float(g["lr"]))
        out.append(float(g["betas"][0] if "betas" in g else g.get("momentum", 0.0)))
    return out


def _sequence(lib, make, optimizer="SGD", metrics=None, steps=STEPS):
    opt = _optimizer(lib, optimizer)
    sched = make(lib.optim.lr_scheduler, opt)
    seen = [_record(opt)]
    for i in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
        seen.append(_record(opt) + [float(v) for v in sched.get_last_lr()])
    return seen


def _assert_same(theirs, ours):
    assert len(theirs) == len(ours)
    for i, (t, n) in enumerate(zip(theirs, ours)):
        assert n == pytest.approx(t, rel=1e-12, abs=1e-15), f"after step {i}"


def _torch():
    return pytest.importorskip("torch")


SCHEDULERS = {
    "StepLR": lambda ls, opt: ls.StepLR(opt, step_size=3, gamma=0.5),
    "MultiStepLR": lambda ls, opt: ls.MultiStepLR(opt, milestones=[3, 7, 7, 12], gamma=0.3),
    "ExponentialLR": lambda ls, opt: ls.ExponentialLR(opt, gamma=0.9),
    "CosineAnnealingLR": lambda ls, opt: ls.CosineAnnealingLR(opt, T_max=10, eta_min=0.01),
    "CosineAnnealingWarmRestarts": lambda ls, opt: ls.CosineAnnealingWarmRestarts(
        opt, T_0=5, T_mult=2, eta_min=1e-3
    ),
    "CosineAnnealingWarmRestarts-T_mult=1": lambda ls, opt: ls.CosineAnnealingWarmRestarts(
        opt, T_0=4
    ),
    "LambdaLR": lambda ls, opt: ls.LambdaLR(opt, [lambda e: 0.95**e, lambda e: 1.0 / (e + 1)]),
    "MultiplicativeLR": lambda ls, opt: ls.MultiplicativeLR(opt, lambda e: 0.97),
    "LinearLR": lambda ls, opt: ls.LinearLR(opt, start_factor=0.25, end_factor=0.9, total_iters=8),
    "ConstantLR": lambda ls, opt: ls.ConstantLR(opt, factor=0.5, total_iters=4),
    "PolynomialLR": lambda ls, opt: ls.PolynomialLR(opt, total_iters=20, power=2.0),
    "OneCycleLR": lambda ls, opt: ls.OneCycleLR(opt, max_lr=[0.5, 1.0], total_steps=30),
    "OneCycleLR-three-phase-linear": lambda ls, opt: ls.OneCycleLR(
        opt,
        max_lr=0.4,
        epochs=4,
        steps_per_epoch=8,
        pct_start=0.25,
        anneal_strategy="linear",
        three_phase=True,
        div_factor=10.0,
    ),
    "CyclicLR-triangular2": lambda ls, opt: ls.CyclicLR(
        opt, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=4, mode="triangular2"
    ),
    "CyclicLR-exp_range": lambda ls, opt: ls.CyclicLR(
        opt,
        base_lr=0.01,
        max_lr=0.1,
        step_size_up=3,
        step_size_down=5,
        mode="exp_range",
        gamma=0.95,
    ),
    "CyclicLR-scale_fn": lambda ls, opt: ls.CyclicLR(
        opt,
        base_lr=0.01,
        max_lr=0.1,
        step_size_up=2,
        scale_fn=lambda x: 1.0 / (x + 1),
        scale_mode="iterations",
        cycle_momentum=False,
    ),
    "SequentialLR": lambda ls, opt: ls.SequentialLR(
        opt,
        [ls.LinearLR(opt, start_factor=0.1, total_iters=5), ls.ExponentialLR(opt, gamma=0.9)],
        milestones=[5],
    ),
    "SequentialLR-three": lambda ls, opt: ls.SequentialLR(
        opt,
        [
            ls.ConstantLR(opt, factor=0.2, total_iters=3),
            ls.CosineAnnealingLR(opt, T_max=8),
            ls.StepLR(opt, step_size=4, gamma=0.5),
        ],
        milestones=[4, 14],
    ),
    "ChainedScheduler": lambda ls, opt: ls.ChainedScheduler(
        [ls.ConstantLR(opt, factor=0.5, total_iters=6), ls.ExponentialLR(opt, gamma=0.9)]
    ),
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_lr_sequence_matches_torch(name):
    torch = _torch()
    make = SCHEDULERS[name]
    messages = []
    for lib in (torch, ndgrad):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            messages.append(([str(w.message) for w in caught], _sequence(lib, make)))
    assert messages[1][0] == messages[0][0]  # the same warnings (none, in the right order)
    _assert_same(messages[0][1], messages[1][1])


@pytest.mark.parametrize(
    "name", ["StepLR", "CosineAnnealingLR", "ExponentialLR", "LinearLR", "CyclicLR-triangular2"]
)
def test_resuming_with_last_epoch_matches_torch(name):
    torch = _torch()
    make = SCHEDULERS[name]
    runs = []
    for lib in (torch, ndgrad):
        opt = _optimizer(lib)
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]
        sched = make(_with_last_epoch(lib.optim.lr_scheduler, 6), opt)
        seen = [sched.get_last_lr()]
        for _ in range(10):
            opt.step()
            sched.step()
            seen.append(_record(opt) + [float(v) for v in sched.get_last_lr()])
        runs.append(seen)
    _assert_same(runs[0], runs[1])


class _with_last_epoch:  # noqa: N801 - reads as a function at the call site
    """The scheduler module, with ``last_epoch`` passed to every constructor."""

    def __init__(self, module, last_epoch):
        self.module, self.last_epoch = module, last_epoch

    def __getattr__(self, name):
        cls = getattr(self.module, name)
        return lambda *args, **kwargs: cls(*args, last_epoch=self.last_epoch, **kwargs)


@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR-triangular2"])
def test_cycled_momentum_moves_adams_beta1_as_torch_does(name):
    torch = _torch()
    make = SCHEDULERS[name]
    _assert_same(_sequence(torch, make, "Adam"), _sequence(ndgrad, make, "Adam"))


METRICS = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.8, 0.81, 0.82, 0.83, 0.84] * 3


@pytest.mark.parametrize(
    "kwargs",
    [
        {"patience": 2},
        {"patience": 1, "cooldown": 2, "factor": 0.5, "min_lr": [0.01, 0.02]},
        {"mode": "max", "threshold_mode": "abs", "threshold": 0.01, "patience": 0},
    ],
    ids=["min-rel", "cooldown-min_lr", "max-abs"],
)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    torch = _torch()

    def make(ls, opt):
        return ls.ReduceLROnPlateau(opt, **kwargs)

    theirs = _sequence(torch, make, metrics=METRICS)
    ours = _sequence(ndgrad, make, metrics=METRICS)
    _assert_same(theirs, ours)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR"])
def test_step_with_an_epoch_uses_the_closed_form_and_warns(name):
    torch = _torch()
    values = []
    for lib in (torch, ndgrad):
        opt = _optimizer(lib)
        sched = SCHEDULERS[name](lib.optim.lr_scheduler, opt)
        opt.step()
        got = []
        for epoch in (7, 2, 13):
            with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)`"):
                sched.step(epoch)
            got.append(sched.get_last_lr())
        values.append(got)
    _assert_same(values[0], values[1])


def test_warm_restarts_accept_fractional_epochs_like_torch():
    torch = _torch()
    values = []
    for lib in (torch, ndgrad):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
        got = []
        for epoch in (0.5, 1.25, 3.5, 9.75, 20.0):
            sched.step(epoch)
            got.append(sched.get_last_lr() + [sched.T_cur, sched.T_i, sched.last_epoch])
        values.append(got)
    _assert_same(values[0], values[1])


@pytest.mark.parametrize(
    "name", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "CyclicLR-exp_range"]
)
def test_scheduler_state_dict_round_trip_continues_the_same_sequence(name):
    make = SCHEDULERS[name]
    whole = _sequence(ndgrad, make, steps=20)
    opt = _optimizer(ndgrad)
    sched = make(lr_scheduler, opt)
    for _ in range(10):
        opt.step()
        sched.step()
    saved_sched = copy.deepcopy(sched.state_dict())
    saved_opt = copy.deepcopy(opt.state_dict())
    assert "optimizer" not in saved_sched
    opt2 = _optimizer(ndgrad)
    sched2 = make(lr_scheduler, opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    rest = []
    for _ in range(10):
        opt2.step()
        sched2.step()
        rest.append(_record(opt2) + [float(v) for v in sched2.get_last_lr()])
    assert rest == whole[11:]


def test_lambda_lr_state_dict_keeps_callable_objects_state_not_functions():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate**epoch

    opt = _optimizer(ndgrad)
    sched = lr_scheduler.LambdaLR(opt, [Decay(), lambda e: 1.0])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.5}, None]
    sd["lr_lambdas"][0]["rate"] = 0.25
    sched.load_state_dict(sd)
    assert sched.lr_lambdas[0].rate == 0.25


def test_stepping_the_scheduler_before_the_optimizer_warns():
    opt = _optimizer(ndgrad)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before"):
        sched.step()


def test_stepping_in_the_right_order_does_not_warn():
    opt = _optimizer(ndgrad)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.step()
            sched.step()


def test_calling_get_lr_outside_step_warns():
    opt = _optimizer(ndgrad)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_a_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="int is not an Optimizer"):
        lr_scheduler.StepLR(3, step_size=1)


def test_resuming_without_initial_lr_is_a_key_error():
    opt = _optimizer(ndgrad)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups"):
        lr_scheduler.StepLR(opt, step_size=1, last_epoch=3)


def test_scheduler_argument_errors_match_torch():
    opt = _optimizer(ndgrad)
    with pytest.raises(ValueError, match="Constant multiplicative factor expected"):
        lr_scheduler.ConstantLR(opt, factor=2.0)
    with pytest.raises(ValueError, match="Starting multiplicative factor expected"):
        lr_scheduler.LinearLR(opt, start_factor=0.0)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 3"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0] * 3)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode median is unknown!"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="median")
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        lr_scheduler.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        lr_scheduler.OneCycleLR(opt, max_lr=[0.1], total_steps=5)
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        lr_scheduler.ChainedScheduler([lr_scheduler.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="Sequential Schedulers expects number of schedulers"):
        lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2)], milestones=[3])
    plain = optim.Adagrad([ndgrad.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        lr_scheduler.CyclicLR(plain, 0.01, 0.1)


def test_one_cycle_refuses_to_step_past_total_steps():
    opt = _optimizer(ndgrad)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=2)
    opt.step()
    sched.step()
    sched.step()
    with pytest.raises(ValueError, match="Tried to step 3 times. The specified number of total"):
        sched.step()


def test_a_tensor_lr_is_updated_in_place():
    p = ndgrad.zeros(2, requires_grad=True)
    lr = ndgrad.tensor(0.1, dtype=ndgrad.float64)
    opt = optim.SGD([p], lr=lr)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr
    assert lr.item() == pytest.approx(0.05)
    assert isinstance(sched.get_last_lr()[0], ndgrad.Tensor)
