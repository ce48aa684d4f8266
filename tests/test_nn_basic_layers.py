"""ndgrad.nn's linear, flatten, activation and loss layers and nn.utils against torch's, in
float64: the same repr, state_dict keys, outputs and gradients."""

import math
import warnings

import numpy as np
import pytest

import ndgrad
from ndgrad import nn


@pytest.fixture
def torch():
    """torch, for the tests that compare with it (the others run without it)."""
    return pytest.importorskip("torch")


RNG = np.random.default_rng(20261203)


def _lib_value(lib, v):
    """numpy arrays become ``lib`` tensors; anything else is passed as it is."""
    return lib.tensor(v) if isinstance(v, np.ndarray) else v


def _build(lib, name, args, kwargs):
    args = [_lib_value(lib, a) for a in args]
    kwargs = {k: _lib_value(lib, v) for k, v in kwargs.items()}
    return getattr(lib.nn, name)(*args, **kwargs)


def _run(lib, mod, arrays, grads_for, cotangent_seed=3):
    """Outputs of ``mod(*arrays)`` and the gradients of the float inputs named in
    ``grads_for`` and of every parameter, under a fixed random cotangent."""
    ins = [lib.tensor(a, requires_grad=i in grads_for) for i, a in enumerate(arrays)]
    out = mod(*ins)
    g = np.random.default_rng(cotangent_seed).standard_normal(tuple(out.shape))
    (out * lib.tensor(g)).sum().backward()
    grads = [ins[i].grad.numpy() for i in grads_for]
    grads += [p.grad.numpy() for p in mod.parameters() if p.grad is not None]
    return out.detach().numpy(), grads


def _same_as_torch(name, args, kwargs, arrays, grads_for=(0,), rtol=1e-9, atol=1e-11):
    torch = pytest.importorskip("torch")
    t_mod = _build(torch, name, args, kwargs).double()
    n_mod = _build(ndgrad, name, args, kwargs).double()
    assert repr(n_mod) == repr(t_mod)
    assert list(n_mod.state_dict()) == list(t_mod.state_dict())
    n_mod.load_state_dict(
        {k: ndgrad.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()}
    )
    t_out, t_grads = _run(torch, t_mod, arrays, grads_for)
    n_out, n_grads = _run(ndgrad, n_mod, arrays, grads_for)
    np.testing.assert_allclose(n_out, t_out, rtol=rtol, atol=atol)
    assert len(n_grads) == len(t_grads)
    for n, t in zip(n_grads, t_grads):
        np.testing.assert_allclose(n, t, rtol=rtol, atol=atol)


def _normal(*shape):
    return RNG.standard_normal(shape)


# ------------------------------------------------------------------------------ linear
@pytest.mark.parametrize("shape", [(3,), (4, 3), (2, 5, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias):
    _same_as_torch("Linear", (3, 2), {"bias": bias}, [_normal(*shape)])


def test_bilinear_matches_torch():
    _same_as_torch("Bilinear", (3, 4, 2), {}, [_normal(5, 3), _normal(5, 4)], grads_for=(0, 1))
    _same_as_torch("Bilinear", (3, 4, 2), {"bias": False}, [_normal(3), _normal(4)], (0, 1))


def test_identity_matches_torch():
    _same_as_torch("Identity", (3,), {"unused": 1}, [_normal(2, 3)])


@pytest.mark.parametrize(("in_f", "out_f"), [(400, 300), (9, 2000)])
def test_linear_default_init_is_torchs_uniform(in_f, out_f):
    m = nn.Linear(in_f, out_f)
    bound = 1 / math.sqrt(in_f)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.99 * bound
    assert abs(w.std() / (bound / math.sqrt(3)) - 1) < 0.02
    assert np.abs(b).max() <= bound
    assert m.weight.dtype == ndgrad.float32


def test_linear_takes_dtype_and_reset_parameters_redraws():
    m = nn.Linear(3, 2, dtype=ndgrad.float64, device="cpu")
    assert m.weight.dtype == ndgrad.float64
    assert m.bias.dtype == ndgrad.float64
    before = m.weight.detach().numpy().copy()
    m.reset_parameters()
    assert not np.array_equal(before, m.weight.detach().numpy())


def test_lazy_linear_infers_in_features_and_becomes_a_linear(torch):
    m = nn.LazyLinear(4)
    t = torch.nn.LazyLinear(4)
    assert repr(m) == repr(t)
    assert isinstance(m.weight, nn.UninitializedParameter)
    y = m(ndgrad.ones(2, 7))
    assert y.shape == (2, 4)
    assert type(m) is nn.Linear
    assert m.in_features == 7
    assert m.weight.shape == (4, 7)
    assert type(m.weight) is nn.Parameter
    assert [k for k, _ in m.named_parameters()] == ["weight", "bias"]
    assert np.abs(m.weight.detach().numpy()).max() <= 1 / math.sqrt(7)
    y.sum().backward()
    assert m.weight.grad.shape == (4, 7)


def test_lazy_linear_loads_a_state_dict_before_its_first_call():
    src = nn.Linear(5, 3)
    m = nn.LazyLinear(3)
    m.load_state_dict(src.state_dict())
    assert type(m) is nn.Linear
    assert m.in_features == 5
    np.testing.assert_array_equal(m.weight.detach().numpy(), src.weight.detach().numpy())


# ------------------------------------------------------------------------------ flatten
@pytest.mark.parametrize(
    ("name", "args", "shape"),
    [
        ("Flatten", (), (2, 3, 4, 5)),
        ("Flatten", (0, 2), (2, 3, 4, 5)),
        ("Flatten", (-3, -2), (2, 3, 4, 5)),
        ("Unflatten", (1, (3, 4)), (2, 12, 5)),
        ("Unflatten", (-1, [2, -1]), (2, 12)),
    ],
)
def test_flatten_and_unflatten_match_torch(name, args, shape):
    _same_as_torch(name, args, {}, [_normal(*shape)])


def test_unflatten_checks_its_size_argument_like_torch():
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints"):
        nn.Unflatten(1, (2, 2.5))
    with pytest.raises(TypeError, match="unflattened_size must be a tuple of ints"):
        nn.Unflatten(1, 4)


# ------------------------------------------------------------------------------ activations
ACTIVATIONS = [
    ("ReLU", (), {}),
    ("ReLU6", (), {}),
    ("ELU", (), {}),
    ("ELU", (0.5,), {}),
    ("SELU", (), {}),
    ("CELU", (1.5,), {}),
    ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}),
    ("SiLU", (), {}),
    ("Mish", (), {}),
    ("Softplus", (), {}),
    ("Softplus", (2.0, 1.0), {}),
    ("Softsign", (), {}),
    ("Softshrink", (), {}),
    ("Softshrink", (0.3,), {}),
    ("Hardshrink", (), {}),
    ("Hardshrink", (0.2,), {}),
    ("Tanhshrink", (), {}),
    ("Hardtanh", (), {}),
    ("Hardtanh", (-0.5, 2.0), {}),
    ("Hardsigmoid", (), {}),
    ("Hardswish", (), {}),
    ("LeakyReLU", (), {}),
    ("LeakyReLU", (0.2,), {}),
    ("PReLU", (), {}),
    ("PReLU", (3, 0.1), {}),
    ("LogSigmoid", (), {}),
    ("GLU", (), {}),
    ("GLU", (0,), {}),
    ("Threshold", (0.1, -2.0), {}),
    ("Sigmoid", (), {}),
    ("Tanh", (), {}),
    ("Softmax", (), {"dim": 1}),
    ("Softmax", (), {"dim": -1}),
    ("LogSoftmax", (), {"dim": 1}),
    ("Softmin", (), {"dim": 0}),
    ("Softmax2d", (), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), ACTIVATIONS)
def test_activation_matches_torch(name, args, kwargs):
    x = _normal(2, 3, 4) * 2
    _same_as_torch(name, args, kwargs, [x])


INPLACE = [
    ("ReLU", (), {}),
    ("ReLU6", (), {}),
    ("ELU", (), {}),
    ("SELU", (), {}),
    ("CELU", (), {}),
    ("SiLU", (), {}),
    ("Mish", (), {}),
    ("Hardtanh", (), {}),
    ("Hardsigmoid", (), {}),
    ("Hardswish", (), {}),
    ("LeakyReLU", (0.1,), {}),
    ("Threshold", (0.1, 5.0), {}),
    ("RReLU", (), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), INPLACE)
def test_inplace_activation_overwrites_its_input_and_prints_like_torch(name, args, kwargs, torch):
    t_mod = _build(torch, name, args, {**kwargs, "inplace": True}).eval()
    n_mod = _build(ndgrad, name, args, {**kwargs, "inplace": True}).eval()
    assert repr(n_mod) == repr(t_mod)
    x = _normal(3, 4)
    t_x = torch.tensor(x, requires_grad=True)
    n_x = ndgrad.tensor(x, requires_grad=True)
    t_y, n_y = t_x * 1, n_x * 1
    t_out, n_out = t_mod(t_y), n_mod(n_y)
    assert n_out is n_y
    assert n_y._version == 1
    np.testing.assert_allclose(n_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-9)
    t_out.sum().backward()
    n_out.sum().backward()
    np.testing.assert_allclose(n_x.grad.numpy(), t_x.grad.numpy(), rtol=1e-9)


def test_rrelu_in_eval_matches_torch_and_in_training_slopes_lie_in_range(torch):
    x = -ndgrad.ones(10_000, dtype=ndgrad.float64)
    y = nn.RReLU(0.1, 0.3)(x).numpy()
    assert (y <= -0.1).all()
    assert (y >= -0.3).all()
    assert y.std() > 0.03
    x = _normal(4, 5)
    t_x, n_x = torch.tensor(x, requires_grad=True), ndgrad.tensor(x, requires_grad=True)
    t_eval = torch.nn.RReLU(0.1, 0.3).eval()(t_x)
    n_eval = nn.RReLU(0.1, 0.3).eval()(n_x)
    np.testing.assert_allclose(n_eval.detach().numpy(), t_eval.detach().numpy(), rtol=1e-12)
    t_eval.sum().backward()
    n_eval.sum().backward()
    np.testing.assert_allclose(n_x.grad.numpy(), t_x.grad.numpy(), rtol=1e-12)
    assert repr(nn.RReLU(0.1, 0.3)) == repr(torch.nn.RReLU(0.1, 0.3))


def test_activation_reprs_with_non_default_settings_match_torch(torch):
    specs = [
        ("Hardtanh", (-2.0, 3.0), {"inplace": True}),
        ("ELU", (0.3,), {"inplace": True}),
        ("Softmax", (), {}),
        ("RReLU", (0.2, 0.4), {}),
        ("Threshold", (1, 2), {}),
        ("PReLU", (4,), {}),
        ("Softplus", (), {"beta": 3, "threshold": 5}),
        ("GELU", (), {"approximate": "none"}),
    ]
    for name, args, kwargs in specs:
        assert repr(_build(ndgrad, name, args, kwargs)) == repr(_build(torch, name, args, kwargs))


def test_softmax_without_dim_warns_and_picks_torchs_dimension(torch):
    for shape in [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        x = _normal(*shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = torch.nn.Softmax()(torch.tensor(x)).numpy()
            t_log = torch.nn.LogSoftmax()(torch.tensor(x)).numpy()
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            n = nn.Softmax()(ndgrad.tensor(x)).numpy()
        with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
            n_log = nn.LogSoftmax()(ndgrad.tensor(x)).numpy()
        np.testing.assert_allclose(n, t, rtol=1e-6)
        np.testing.assert_allclose(n_log, t_log, rtol=1e-6)


def test_hardtanh_refuses_an_empty_range_and_softmax2d_a_vector():
    with pytest.raises(AssertionError, match=r"max_val \(0\) must be greater than min_val \(1\)"):
        nn.Hardtanh(1, 0)
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 1D"):
        nn.Softmax2d()(ndgrad.ones(3))


# ------------------------------------------------------------------------------ losses
def _probs(*shape):
    return RNG.uniform(0.05, 0.95, shape)


def _signs(*shape):
    return RNG.choice([-1.0, 1.0], shape)


def _classes(n, c):
    return RNG.integers(0, c, n)


def _log_probs(n, c):
    x = _normal(n, c)
    return x - np.log(np.exp(x).sum(1, keepdims=True))


def _log_probs_2d(*shape):
    x = _normal(*shape)
    return x - np.log(np.exp(x).sum(1, keepdims=True))


def _cases():
    w3, w5 = RNG.uniform(0.5, 2.0, 3), RNG.uniform(0.5, 2.0, 5)
    ml_target = np.array([[3, 0, -1, 1, 2], [1, -1, 0, 0, 0], [4, 2, 1, 0, -1]])
    p = _probs(4, 3)
    return [
        ("MSELoss", {}, [_normal(4, 3), _normal(4, 3)], (0, 1)),
        ("L1Loss", {}, [_normal(4, 3), _normal(4, 3)], (0, 1)),
        ("SmoothL1Loss", {"beta": 0.5}, [_normal(4, 3), _normal(4, 3)], (0, 1)),
        ("HuberLoss", {"delta": 0.7}, [_normal(4, 3), _normal(4, 3)], (0, 1)),
        ("SoftMarginLoss", {}, [_normal(4, 3), _signs(4, 3)], (0,)),
        ("CrossEntropyLoss", {}, [_normal(4, 5), _classes(4, 5)], (0,)),
        (
            "CrossEntropyLoss",
            {"weight": w5, "label_smoothing": 0.1, "ignore_index": 2},
            [_normal(6, 5), np.array([0, 2, 4, 1, 2, 3])],
            (0,),
        ),
        ("CrossEntropyLoss", {}, [_normal(4, 5, 2), _classes((4, 2), 5)], (0,)),
        ("CrossEntropyLoss", {}, [_normal(4, 5), _probs(4, 5)], (0,)),
        ("NLLLoss", {}, [_log_probs(4, 5), _classes(4, 5)], (0,)),
        ("NLLLoss", {"weight": w5, "ignore_index": 1}, [_log_probs(6, 5), _classes(6, 5)], (0,)),
        ("NLLLoss2d", {}, [_log_probs_2d(2, 3, 2, 2), RNG.integers(0, 3, (2, 2, 2))], (0,)),
        ("BCELoss", {}, [_probs(4, 3), _probs(4, 3)], (0,)),
        ("BCELoss", {"weight": w3}, [_probs(4, 3), RNG.integers(0, 2, (4, 3)) * 1.0], (0,)),
        ("BCEWithLogitsLoss", {}, [_normal(4, 3), _probs(4, 3)], (0, 1)),
        (
            "BCEWithLogitsLoss",
            {"weight": w3, "pos_weight": w3[::-1].copy()},
            [_normal(4, 3), _probs(4, 3)],
            (0,),
        ),
        ("KLDivLoss", {}, [_log_probs(4, 3), p / p.sum(1, keepdims=True)], (0, 1)),
        ("KLDivLoss", {"log_target": True}, [_log_probs(4, 3), _log_probs(4, 3)], (0, 1)),
        ("PoissonNLLLoss", {}, [_normal(4, 3), RNG.poisson(2.0, (4, 3)) * 1.0], (0,)),
        (
            "PoissonNLLLoss",
            {"log_input": False, "full": True},
            [_probs(4, 3) * 3, RNG.poisson(2.0, (4, 3)) * 1.0],
            (0,),
        ),
        ("GaussianNLLLoss", {}, [_normal(4, 3), _normal(4, 3), _probs(4, 3)], (0, 1, 2)),
        ("GaussianNLLLoss", {"full": True}, [_normal(4, 3), _normal(4, 3), _probs(4, 1)], (0, 2)),
        ("MarginRankingLoss", {"margin": 0.3}, [_normal(5), _normal(5), _signs(5)], (0, 1)),
        ("HingeEmbeddingLoss", {"margin": 0.5}, [_normal(4, 3), _signs(4, 3)], (0,)),
        (
            "MultiLabelSoftMarginLoss",
            {"weight": w5},
            [_normal(4, 5), RNG.integers(0, 2, (4, 5)) * 1.0],
            (0,),
        ),
        ("MultiLabelMarginLoss", {}, [_normal(3, 5), ml_target], (0,)),
        ("MultiMarginLoss", {}, [_normal(4, 5), _classes(4, 5)], (0,)),
        (
            "MultiMarginLoss",
            {"p": 2, "margin": 0.5, "weight": w5},
            [_normal(4, 5), _classes(4, 5)],
            (0,),
        ),
        ("CosineEmbeddingLoss", {"margin": 0.1}, [_normal(4, 3), _normal(4, 3), _signs(4)], (0, 1)),
        ("TripletMarginLoss", {}, [_normal(4, 3), _normal(4, 3), _normal(4, 3)], (0, 1, 2)),
        (
            "TripletMarginLoss",
            {"margin": 0.5, "p": 1.0, "swap": True},
            [_normal(4, 3), _normal(4, 3), _normal(4, 3)],
            (0, 1, 2),
        ),
        (
            "TripletMarginWithDistanceLoss",
            {},
            [_normal(4, 3), _normal(4, 3), _normal(4, 3)],
            (0, 1, 2),
        ),
    ]


CASES = _cases()


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
@pytest.mark.filterwarnings("ignore:`NLLLoss2d` has been deprecated")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    ("name", "kwargs", "arrays", "grads_for"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_loss_matches_torch(name, kwargs, arrays, grads_for, reduction):
    _same_as_torch(name, (), {**kwargs, "reduction": reduction}, arrays, grads_for)


def test_kl_div_batchmean_matches_torch():
    p = _probs(4, 3)
    _same_as_torch(
        "KLDivLoss", (), {"reduction": "batchmean"}, [_log_probs(4, 3), p / p.sum(1, keepdims=True)]
    )


@pytest.mark.parametrize(
    ("name", "kwargs", "arrays"),
    [
        ("CosineSimilarity", {}, [_normal(4, 3), _normal(4, 3)]),
        ("CosineSimilarity", {"dim": 0, "eps": 1e-6}, [_normal(4, 3), _normal(4, 3)]),
        ("PairwiseDistance", {}, [_normal(4, 3), _normal(4, 3)]),
        ("PairwiseDistance", {"p": 1.0, "keepdim": True}, [_normal(4, 3), _normal(4, 3)]),
    ],
)
def test_distance_layers_match_torch(name, kwargs, arrays):
    _same_as_torch(name, (), kwargs, arrays, grads_for=(0, 1))


def test_loss_weights_are_buffers_that_follow_the_module(torch):
    w = ndgrad.tensor([1.0, 2.0, 3.0])
    t_names = list(torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(3)).state_dict())
    loss = nn.BCEWithLogitsLoss(weight=w, pos_weight=ndgrad.ones(3))
    assert list(loss.state_dict()) == ["weight", "pos_weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=ndgrad.ones(3)).state_dict()) == t_names
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    loss.double()
    assert loss.weight.dtype == ndgrad.float64
    assert loss.pos_weight.dtype == ndgrad.float64


def test_legacy_size_average_and_reduce_become_a_reduction_with_torchs_warning():
    for size_average, reduce, expected in [(False, None, "sum"), (None, False, "none")]:
        with pytest.warns(UserWarning, match=f"please use reduction='{expected}' instead"):
            loss = nn.MSELoss(size_average=size_average, reduce=reduce)
        assert loss.reduction == expected


def test_deprecated_nll_loss_2d_warns_like_torch():
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        nn.NLLLoss2d()


def test_loss_constructor_checks_match_torch():
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="expected margin to be greater than 0, got 0 instead"):
        nn.TripletMarginLoss(margin=0)
    with pytest.raises(ValueError, match="expected weight to be None or 1D tensor, got 2D"):
        nn.MultiMarginLoss(weight=ndgrad.ones(2, 2))


def test_a_small_network_trains_like_torch_for_three_steps(torch):
    def train(lib, sd):
        net = lib.nn.Sequential(
            lib.nn.Linear(3, 8), lib.nn.Tanh(), lib.nn.Linear(8, 4), lib.nn.LogSoftmax(dim=1)
        ).double()
        net.load_state_dict({k: lib.tensor(v) for k, v in sd.items()})
        x = lib.tensor(np.linspace(-1, 1, 30).reshape(10, 3))
        y = lib.tensor(np.arange(10) % 4)
        losses = []
        for _ in range(3):
            net.zero_grad()
            loss = lib.nn.NLLLoss()(net(x), y)
            loss.backward()
            lib.nn.utils.clip_grad_norm_(net.parameters(), 0.5)
            with lib.no_grad():
                for p in net.parameters():
                    p -= 0.5 * p.grad
            losses.append(loss.item())
        return losses, net

    start = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 4)).double()
    sd = {k: v.numpy() for k, v in start.state_dict().items()}
    t_losses, t_net = train(torch, sd)
    n_losses, n_net = train(ndgrad, sd)
    np.testing.assert_allclose(n_losses, t_losses, rtol=1e-10)
    for (k, n), (_, t) in zip(n_net.state_dict().items(), t_net.state_dict().items()):
        np.testing.assert_allclose(n.numpy(), t.numpy(), rtol=1e-9, err_msg=k)


# ------------------------------------------------------------------------------ nn.utils
def _with_grads(lib, grads):
    params = []
    for g in grads:
        p = lib.nn.Parameter(lib.zeros(*g.shape, dtype=lib.float64))
        p.grad = None if g is None else lib.tensor(g)
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, torch):
    grads = [_normal(3, 2), _normal(4), _normal(1)]
    t_params, n_params = _with_grads(torch, grads), _with_grads(ndgrad, grads)
    t_params.append(torch.nn.Parameter(torch.zeros(2, dtype=torch.float64)))  # no grad
    n_params.append(nn.Parameter(ndgrad.zeros(2, dtype=ndgrad.float64)))
    t_norm = torch.nn.utils.clip_grad_norm_(t_params, max_norm, norm_type=norm_type)
    n_norm = nn.utils.clip_grad_norm_(n_params, max_norm, norm_type=norm_type)
    assert isinstance(n_norm, ndgrad.Tensor)
    assert n_norm.shape == ()
    np.testing.assert_allclose(n_norm.numpy(), t_norm.numpy(), rtol=1e-12)
    for n, t in zip(n_params[:3], t_params[:3]):
        np.testing.assert_allclose(n.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    assert n_params[3].grad is None


def test_clip_grad_norm_of_a_single_tensor_and_of_nothing():
    p = nn.Parameter(ndgrad.zeros(2))
    p.grad = ndgrad.tensor([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        nn.utils.clip_grad_norm_((q for q in []), 1.0)


def test_clip_grad_norm_raises_on_a_non_finite_norm_only_when_asked():
    p = nn.Parameter(ndgrad.zeros(2))
    p.grad = ndgrad.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    total = nn.utils.clip_grad_norm_([p], 1.0)
    assert math.isinf(total.item())


def test_clip_grad_value_matches_torch(torch):
    grads = [_normal(3, 2) * 3, _normal(5) * 3]
    t_params, n_params = _with_grads(torch, grads), _with_grads(ndgrad, grads)
    torch.nn.utils.clip_grad_value_(t_params, 1.2)
    assert nn.utils.clip_grad_value_(n_params, 1.2) is None
    for n, t in zip(n_params, t_params):
        np.testing.assert_array_equal(n.grad.numpy(), t.grad.numpy())


def test_parameters_to_vector_and_back_match_torch(torch):
    t_mod, n_mod = torch.nn.Linear(3, 2).double(), nn.Linear(3, 2).double()
    n_mod.load_state_dict(
        {k: ndgrad.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()}
    )
    t_vec = torch.nn.utils.parameters_to_vector(t_mod.parameters())
    n_vec = nn.utils.parameters_to_vector(n_mod.parameters())
    np.testing.assert_array_equal(n_vec.detach().numpy(), t_vec.detach().numpy())
    n_vec.sum().backward()  # differentiable: every parameter receives ones
    assert n_mod.weight.grad.tolist() == [[1.0] * 3] * 2
    new = np.arange(8.0)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), t_mod.parameters())
    w = n_mod.weight
    nn.utils.vector_to_parameters(ndgrad.tensor(new), n_mod.parameters())
    assert n_mod.weight is w
    np.testing.assert_array_equal(n_mod.weight.detach().numpy(), t_mod.weight.detach().numpy())
    np.testing.assert_array_equal(n_mod.bias.detach().numpy(), t_mod.bias.detach().numpy())
    with pytest.raises(TypeError, match="expected torch.Tensor, but got"):
        nn.utils.vector_to_parameters([1.0], n_mod.parameters())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch_with_gradients(batch_first, padding_side, torch):
    from ndgrad.nn.utils.rnn import pad_sequence

    arrays = [_normal(3, 2), _normal(1, 2), _normal(4, 2)]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    n_in = [ndgrad.tensor(a, requires_grad=True) for a in arrays]
    kw = {"batch_first": batch_first, "padding_value": -1.5, "padding_side": padding_side}
    t_out = torch.nn.utils.rnn.pad_sequence(t_in, **kw)
    n_out = pad_sequence(n_in, **kw)
    np.testing.assert_array_equal(n_out.detach().numpy(), t_out.detach().numpy())
    g = _normal(*t_out.shape)
    (t_out * torch.tensor(g)).sum().backward()
    (n_out * ndgrad.tensor(g)).sum().backward()
    for n, t in zip(n_in, t_in):
        np.testing.assert_array_equal(n.grad.numpy(), t.grad.numpy())


def test_pad_sequence_errors_match_torch():
    from ndgrad.nn.utils.rnn import pad_sequence, unpad_sequence

    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right"):
        pad_sequence([ndgrad.ones(2)], padding_side="middle")
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        pad_sequence([])
    seqs = [ndgrad.ones(3, 2), ndgrad.zeros(1, 2)]
    back = unpad_sequence(pad_sequence(seqs), ndgrad.tensor([3, 1]))
    assert [tuple(s.shape) for s in back] == [(3, 2), (1, 2)]


def _packed_parts(p):
    def arr(t):
        return None if t is None else t.detach().numpy()

    return [arr(p.data), arr(p.batch_sizes), arr(p.sorted_indices), arr(p.unsorted_indices)]


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_packed_sequence_match_torch_with_gradients(
    enforce_sorted, batch_first, torch
):
    from ndgrad.nn.utils import rnn

    lengths = [4, 3, 3, 1] if enforce_sorted else [2, 4, 1, 3]
    x = _normal(4, 4, 2) if batch_first else _normal(4, 4, 2).transpose(1, 0, 2).copy()
    t_x, n_x = torch.tensor(x, requires_grad=True), ndgrad.tensor(x, requires_grad=True)
    kw = {"batch_first": batch_first, "enforce_sorted": enforce_sorted}
    t_p = torch.nn.utils.rnn.pack_padded_sequence(t_x, torch.tensor(lengths), **kw)
    n_p = rnn.pack_padded_sequence(n_x, ndgrad.tensor(lengths), **kw)
    assert type(n_p).__name__ == "PackedSequence"
    for n, t in zip(_packed_parts(n_p), _packed_parts(t_p)):
        assert (n is None) == (t is None)
        if n is not None:
            np.testing.assert_array_equal(n, t)
    t_out, t_len = torch.nn.utils.rnn.pad_packed_sequence(
        t_p, batch_first=batch_first, padding_value=-1.0, total_length=6
    )
    n_out, n_len = rnn.pad_packed_sequence(
        n_p, batch_first=batch_first, padding_value=-1.0, total_length=6
    )
    np.testing.assert_array_equal(n_out.detach().numpy(), t_out.detach().numpy())
    np.testing.assert_array_equal(n_len.numpy(), t_len.numpy())
    g = _normal(*t_out.shape)
    (t_out * torch.tensor(g)).sum().backward()
    (n_out * ndgrad.tensor(g)).sum().backward()
    np.testing.assert_array_equal(n_x.grad.numpy(), t_x.grad.numpy())


def test_pack_sequence_and_unpack_sequence_round_trip_like_torch(torch):
    from ndgrad.nn.utils import rnn

    arrays = [_normal(2, 3), _normal(5, 3), _normal(1, 3)]
    t_p = torch.nn.utils.rnn.pack_sequence([torch.tensor(a) for a in arrays], False)
    n_p = rnn.pack_sequence([ndgrad.tensor(a) for a in arrays], enforce_sorted=False)
    for n, t in zip(_packed_parts(n_p), _packed_parts(t_p)):
        np.testing.assert_array_equal(n, t)
    back = rnn.unpack_sequence(n_p)
    for b, a in zip(back, arrays):
        np.testing.assert_array_equal(b.numpy(), a)
    assert n_p.double().data.dtype == ndgrad.float64
    assert not n_p.is_cuda


def test_packing_errors_match_torch():
    from ndgrad.nn.utils import rnn

    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        rnn.pack_sequence([ndgrad.ones(1), ndgrad.ones(2)])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        rnn.pack_padded_sequence(ndgrad.zeros(3, 2), [3, 0])
    packed = rnn.pack_sequence([ndgrad.ones(3), ndgrad.ones(2)])
    with pytest.raises(ValueError, match="but got total_length=2 and max sequence length being 3"):
        rnn.pad_packed_sequence(packed, total_length=2)
