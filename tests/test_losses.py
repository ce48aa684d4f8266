"""Hand tests of nn.functional's losses: numerical care (+-1000, -inf logits, BCE's clamp),
PyTorch's errors and warnings, and the paths the op-table samples do not reach."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ndgrad
import ndgrad.nn.functional as F  # noqa: N812 - PyTorch's habit

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((4, 5))
TARGET = np.array([1, 0, 4, 2])


def pair(x, requires_grad=True):
    t = torch.tensor(x)
    if requires_grad:
        t.requires_grad_(True)
    return ndgrad.tensor(x, requires_grad=requires_grad), t


def compare(ours, theirs, *arrays, grads=(0,), rtol=1e-10):
    """Values and the gradients of the positions ``grads`` equal PyTorch's."""
    a = [
        ndgrad.tensor(x, requires_grad=i in grads) if x.dtype.kind == "f" else ndgrad.tensor(x)
        for i, x in enumerate(arrays)
    ]
    b = [
        torch.tensor(x, requires_grad=i in grads) if x.dtype.kind == "f" else torch.tensor(x)
        for i, x in enumerate(arrays)
    ]
    out, tout = ours(*a), theirs(*b)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=rtol, atol=1e-12)
    v = np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape))
    gs = ndgrad.autograd.grad(out, [a[i] for i in grads], ndgrad.tensor(v))
    tgs = torch.autograd.grad(tout, [b[i] for i in grads], torch.tensor(v))
    for g, tg in zip(gs, tgs):
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=rtol, atol=1e-12)
    return out


# ---------------------------------------------------------------- numerical care


def test_cross_entropy_is_finite_at_plus_minus_1000():
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]])
    out = compare(F.cross_entropy, TF.cross_entropy, x, np.array([0, 1]))
    assert np.isfinite(out.item())


def test_cross_entropy_with_minus_inf_logits_is_finite_where_the_math_is():
    x = np.array([[0.5, -np.inf, 1.0, -np.inf], [-np.inf, 2.0, 0.0, 1.0]])
    for kw in ({}, {"reduction": "none"}, {"weight": None, "ignore_index": 3}):
        out = compare(
            lambda a, t, kw=kw: F.cross_entropy(a, t, **kw),
            lambda a, t, kw=kw: TF.cross_entropy(a, t, **kw),
            x,
            np.array([2, 1]),
        )
        assert np.isfinite(out.detach().numpy()).all()
    xk = np.moveaxis(np.stack([x, x[::-1]]), 0, -1)  # (2, 4, 2): the K-dim path
    compare(F.cross_entropy, TF.cross_entropy, xk, np.array([[2, 1], [1, 2]]))


def test_binary_cross_entropy_with_logits_is_stable_at_plus_minus_1000():
    x = np.array([1000.0, -1000.0, 1000.0, -1000.0, 3.0])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    pw = np.array([2.0, 2.0, 0.5, 0.5, 1.5])
    out = compare(F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, x, t)
    assert out.item() == pytest.approx(TF.binary_cross_entropy_with_logits(
        torch.tensor(x), torch.tensor(t)).item())  # fmt: skip
    compare(
        lambda a, b, w: F.binary_cross_entropy_with_logits(a, b, pos_weight=w),
        lambda a, b, w: TF.binary_cross_entropy_with_logits(a, b, pos_weight=w),
        x,
        t,
        pw,
    )


def test_binary_cross_entropy_clamps_its_logs_at_minus_100_with_finite_gradients():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.3])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.4])
    out = compare(F.binary_cross_entropy, TF.binary_cross_entropy, x, t, grads=(0, 1))
    last = -(0.4 * np.log(0.3) + 0.6 * np.log(0.7))
    assert out.item() == pytest.approx((100.0 + 100.0 + last) / 5)  # log(0) clamped at -100


def test_soft_margin_losses_are_finite_where_pytorch_overflows():
    # PyTorch computes log1p(exp(-y x)): inf (and a NaN gradient) once -y x passes ~710; the
    # stable softplus gives the exact value. Elsewhere the two agree.
    x = np.array([[3.0, -1.0, 2.0]])
    y = np.array([[-1.0, 1.0, 1.0]])
    compare(F.soft_margin_loss, TF.soft_margin_loss, x, y)
    compare(F.multilabel_soft_margin_loss, TF.multilabel_soft_margin_loss, x, (y > 0) * 1.0)
    a = ndgrad.tensor([1000.0, -1000.0], requires_grad=True)
    loss = F.soft_margin_loss(a, ndgrad.tensor([-1.0, -1.0]), reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(1000.0)
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 0.0])


# ---------------------------------------------------------------- nll_loss / cross_entropy


@pytest.mark.parametrize("fn", [F.nll_loss, F.cross_entropy])
def test_out_of_range_targets_raise_index_error_as_pytorch(fn):
    x = ndgrad.tensor(LOGITS)
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        fn(x, ndgrad.tensor([0, 5, 1, 1]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds."):
        fn(x, ndgrad.tensor([0, -1, 1, 1]))
    fn(x, ndgrad.tensor([0, -1, 1, 1]), ignore_index=-1)  # ignored: no error


@pytest.mark.parametrize("fn", [F.nll_loss, F.cross_entropy])
def test_shape_and_dtype_mismatches_raise_pytorchs_errors(fn):
    x = ndgrad.tensor(LOGITS)
    with pytest.raises(ValueError, match=r"Expected input batch_size \(4\) to match target"):
        fn(x, ndgrad.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Int"):
        fn(x, ndgrad.tensor([0, 1, 1, 1], dtype=ndgrad.int32))
    with pytest.raises(RuntimeError, match="defined either for all 5 classes or no classes"):
        fn(x, ndgrad.tensor(TARGET), weight=ndgrad.ones(3))
    with pytest.raises(RuntimeError, match=r"Expected target size \[4, 2\], got \[4, 3\]"):
        fn(ndgrad.zeros(4, 5, 2), ndgrad.zeros(4, 3, dtype=ndgrad.int64))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        fn(x, ndgrad.tensor(TARGET), reduction="foo")


def test_cross_entropy_label_smoothing_must_be_in_the_unit_interval():
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(ndgrad.tensor(LOGITS), ndgrad.tensor(TARGET), label_smoothing=1.5)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_with_weights_and_ignored_targets_matches_pytorch(reduction, smoothing):
    w = np.array([0.5, 2.0, 1.0, 1.5, 0.7])
    t = np.array([1, -100, 4, 2])
    kw = {"reduction": reduction, "label_smoothing": smoothing}
    compare(
        lambda a, b, c: F.cross_entropy(a, b, c, **kw),
        lambda a, b, c: TF.cross_entropy(a, b, c, **kw),
        LOGITS,
        t,
        w,
    )
    x3 = RNG.standard_normal((2, 5, 3))
    t3 = np.array([[1, -100, 4], [0, 0, 3]])
    compare(
        lambda a, b, c: F.cross_entropy(a, b, c, **kw),
        lambda a, b, c: TF.cross_entropy(a, b, c, **kw),
        x3,
        t3,
        w,
    )


def test_cross_entropy_with_every_target_ignored_gives_nan_for_mean_as_pytorch():
    t = np.full(4, -100)
    ours = F.cross_entropy(ndgrad.tensor(LOGITS), ndgrad.tensor(t))
    theirs = TF.cross_entropy(torch.tensor(LOGITS), torch.tensor(t))
    assert np.isnan(ours.item()) and np.isnan(theirs.item())  # noqa: PT018


def test_cross_entropy_takes_probabilities_as_targets():
    p = RNG.dirichlet(np.ones(5), 4)
    for kw in ({}, {"label_smoothing": 0.2}, {"reduction": "none"}):
        compare(
            lambda a, b, kw=kw: F.cross_entropy(a, b, **kw),
            lambda a, b, kw=kw: TF.cross_entropy(a, b, **kw),
            LOGITS,
            p,
            grads=(0, 1),
        )


def test_cross_entropy_second_derivatives_match_pytorch():
    for kw in ({}, {"label_smoothing": 0.1}, {"weight": np.array([1.0, 2.0, 0.5, 1.0, 1.0])}):
        a, b = pair(LOGITS)
        kt = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        kn = {k: ndgrad.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        (g,) = ndgrad.autograd.grad(
            F.cross_entropy(a, ndgrad.tensor(TARGET), **kn), a, create_graph=True
        )
        (tg,) = torch.autograd.grad(
            TF.cross_entropy(b, torch.tensor(TARGET), **kt), b, create_graph=True
        )
        w = np.linspace(-1, 1, LOGITS.size).reshape(LOGITS.shape)
        (gg,) = ndgrad.autograd.grad((g * ndgrad.tensor(w)).sum(), a)
        (tgg,) = torch.autograd.grad((tg * torch.tensor(w)).sum(), b)
        np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-9, atol=1e-12)


def test_cross_entropy_float32_stays_float32():
    x = ndgrad.tensor(LOGITS.astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(x, ndgrad.tensor(TARGET))
    loss.backward()
    assert loss.dtype is ndgrad.float32
    assert x.grad.dtype is ndgrad.float32


def test_nll_loss_of_one_sample_and_spatial_inputs_matches_pytorch():
    compare(F.nll_loss, TF.nll_loss, LOGITS[0], np.array(3))
    compare(
        lambda a, b: F.nll_loss(a, b, reduction="none"),
        lambda a, b: TF.nll_loss(a, b, reduction="none"),
        RNG.standard_normal((2, 3, 2, 2)),
        np.array([[[0, 2], [1, -100]], [[2, 2], [0, 1]]]),
    )


# ---------------------------------------------------------------- legacy arguments, warnings


@pytest.mark.parametrize(
    ("size_average", "reduce", "expected"),
    [(None, False, "none"), (False, None, "sum"), (True, True, "mean"), (False, False, "none")],
)
def test_size_average_and_reduce_warn_and_choose_the_reduction_as_pytorch(
    size_average, reduce, expected
):
    x, t = ndgrad.tensor(LOGITS), ndgrad.tensor(TARGET)
    msg = f"size_average and reduce args will be deprecated, please use reduction='{expected}'"
    for fn, tfn, args in (
        (F.cross_entropy, TF.cross_entropy, (LOGITS, TARGET)),
        (F.mse_loss, TF.mse_loss, (LOGITS, LOGITS[::-1].copy())),
        (F.l1_loss, TF.l1_loss, (LOGITS, LOGITS[::-1].copy())),
        (F.soft_margin_loss, TF.soft_margin_loss, (LOGITS, np.sign(LOGITS))),
    ):
        with pytest.warns(UserWarning, match=msg):
            out = fn(*map(ndgrad.tensor, args), size_average=size_average, reduce=reduce)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tout = tfn(*map(torch.tensor, args), size_average=size_average, reduce=reduce)
        np.testing.assert_allclose(out.numpy(), tout.numpy(), rtol=1e-12)
    del x, t


def test_a_target_of_another_size_warns_about_broadcasting():
    with pytest.warns(UserWarning, match="This will likely lead to incorrect results due to"):
        F.mse_loss(ndgrad.ones(2, 3), ndgrad.ones(3))


def test_kl_div_mean_warns_and_batchmean_divides_by_the_batch():
    x = np.log(RNG.dirichlet(np.ones(3), 2))
    t = RNG.dirichlet(np.ones(3), 2)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(ndgrad.tensor(x), ndgrad.tensor(t))
    compare(
        lambda a, b: F.kl_div(a, b, reduction="batchmean"),
        lambda a, b: TF.kl_div(a, b, reduction="batchmean"),
        x,
        t,
        grads=(0, 1),
    )


def test_mse_l1_and_huber_weights_follow_pytorchs_normalisation():
    x, t, w = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2)), RNG.uniform(0.5, 2, (3, 2))
    for name in ("mse_loss", "l1_loss", "huber_loss"):
        compare(
            lambda a, b, c, n=name: getattr(F, n)(a, b, weight=c),
            lambda a, b, c, n=name: getattr(TF, n)(a, b, weight=c),
            x,
            t,
            w,
        )
    with pytest.raises(ValueError, match="Weights and input must have the same size."):
        F.mse_loss(ndgrad.tensor(x), ndgrad.tensor(t), weight=ndgrad.ones(2))


# ---------------------------------------------------------------- other losses' errors


def test_binary_cross_entropy_refuses_inputs_outside_zero_one_and_other_target_sizes():
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(ndgrad.tensor([1.5]), ndgrad.tensor([1.0]))
    with pytest.raises(ValueError, match="that is different to the input size"):
        F.binary_cross_entropy(ndgrad.tensor([0.5]), ndgrad.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(ndgrad.tensor([0.5]), ndgrad.tensor([1.0, 0.0]))


def test_regression_losses_refuse_bad_beta_and_delta():
    x = ndgrad.ones(3)
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match="huber_loss does not support non-positive values"):
        F.huber_loss(x, x, delta=0.0)


def test_gaussian_nll_loss_checks_var_and_clamps_it_without_touching_its_gradient():
    x, t = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2))
    v = np.array([[1e-9, 0.5], [2.0, 1e-8], [0.3, 1.0]])  # two entries below eps
    compare(F.gaussian_nll_loss, TF.gaussian_nll_loss, x, t, v, grads=(0, 1, 2))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(ndgrad.tensor(x), ndgrad.tensor(t), ndgrad.ones(3, 3))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(ndgrad.tensor(x), ndgrad.tensor(t), -ndgrad.ones(3, 2))


def test_margin_losses_raise_pytorchs_errors():
    with pytest.raises(RuntimeError, match="All input tensors should have same dimension"):
        F.margin_ranking_loss(ndgrad.ones(3), ndgrad.ones(3, 1), ndgrad.ones(3))
    with pytest.raises(RuntimeError, match="argument #2 'target' is out of range"):
        F.multilabel_margin_loss(ndgrad.ones(2, 3), ndgrad.tensor([[0, 5, -1], [1, -1, 0]]))
    with pytest.raises(RuntimeError, match="inconsistent target size"):
        F.multilabel_margin_loss(ndgrad.ones(2, 3), ndgrad.tensor([[0, 1, -1]]))
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(ndgrad.ones(2, 3), ndgrad.tensor([0, 5]))
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(ndgrad.ones(2, 3), ndgrad.tensor([0, 1]), p=3)
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input tensors"):
        F.cosine_embedding_loss(ndgrad.ones(3), ndgrad.ones(2, 3), ndgrad.ones(2))
    with pytest.raises(RuntimeError, match="anchor 2D, positive 1D, and negative 2D inputs"):
        F.triplet_margin_loss(ndgrad.ones(2, 3), ndgrad.ones(3), ndgrad.ones(2, 3))
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        F.triplet_margin_with_distance_loss(
            ndgrad.ones(2, 3), ndgrad.ones(2, 3), ndgrad.ones(2, 3), margin=0
        )


def test_triplet_margin_with_distance_loss_takes_any_distance():
    a, p, n = (RNG.standard_normal((3, 4)) for _ in range(3))

    def l1(u, v):
        return (u - v).abs().sum(-1)

    def tl1(u, v):
        return (u - v).abs().sum(-1)

    compare(
        lambda x, y, z: F.triplet_margin_with_distance_loss(
            x, y, z, distance_function=l1, margin=3.0
        ),
        lambda x, y, z: TF.triplet_margin_with_distance_loss(
            x, y, z, distance_function=tl1, margin=3.0
        ),
        a,
        p,
        n,
        grads=(0, 1, 2),
    )


def test_poisson_nll_loss_full_adds_stirling_where_the_target_exceeds_one():
    x = RNG.uniform(0.1, 2.0, 6)
    t = np.array([0.0, 0.5, 1.0, 1.5, 3.0, 7.0])
    for kw in ({"full": True}, {"full": True, "log_input": False}):
        compare(
            lambda a, b, kw=kw: F.poisson_nll_loss(a, b, **kw),
            lambda a, b, kw=kw: TF.poisson_nll_loss(a, b, **kw),
            x,
            t,
        )


def test_top_level_losses_take_atens_integer_reductions():
    x, t = RNG.standard_normal((3, 4)), RNG.uniform(0, 1, (3, 4))
    y = np.array([1.0, -1.0, 1.0])
    for r in (0, 1, 2):
        cases = [
            ("binary_cross_entropy_with_logits", (x, t), (None, None, r)),
            ("kl_div", (x, t), (r,)),
            ("hinge_embedding_loss", (x, np.sign(t - 0.5)), (1.0, r)),
            ("margin_ranking_loss", (x[:, 0], x[:, 1], y), (0.5, r)),
            ("poisson_nll_loss", (x, t), (True, False, 1e-8, r)),
            ("cosine_embedding_loss", (x, t, y), (0.0, r)),
            ("triplet_margin_loss", (x, t, x[::-1].copy()), (1.0, 2.0, 1e-6, False, r)),
        ]
        for name, arrays, rest in cases:
            ours = getattr(ndgrad, name)(*map(ndgrad.tensor, arrays), *rest)
            theirs = getattr(torch, name)(*map(torch.tensor, arrays), *rest)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, err_msg=name)


def test_integer_targets_are_not_differentiable_and_floats_are():
    x = ndgrad.tensor(LOGITS, requires_grad=True)
    loss = F.cross_entropy(x, ndgrad.tensor(TARGET))
    assert loss.requires_grad
    p = ndgrad.tensor(RNG.dirichlet(np.ones(5), 4), requires_grad=True)
    (g,) = ndgrad.autograd.grad(F.cross_entropy(ndgrad.tensor(LOGITS), p), p)
    assert g.shape == p.shape
