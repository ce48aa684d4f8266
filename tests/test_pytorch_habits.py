"""Habits of PyTorch code that must work unchanged with ``import ndgrad as torch``.

erf without SciPy, a CI that installs into a fresh environment, silent floating-point edge cases,
PyTorch's exception classes for conversions and devices, copy / deepcopy / pickle, arrays for
plotting libraries, the legacy names (``FloatTensor``, ``Variable``, ``python -m ndgrad``) and the
operators ``//`` and ``%``. Each compares with PyTorch where it is installed.
"""

from __future__ import annotations

import copy
import importlib.metadata
import math
import multiprocessing
import operator
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import ndgrad
from ndgrad import _backend

ROOT = Path(__file__).resolve().parents[1]

# What a user's pytest needs, since pytest runs each test with the warning filters it saw before
# collecting (See Note [Floating-point warnings] in ndgrad/_backend): the nan/inf cases below
# would otherwise list NumPy's RuntimeWarnings in the summary.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning:ndgrad")


def _run_python(code: str, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *flags, "-c", code], capture_output=True, text=True, timeout=120
    )


# ------------------------------------------------------------------ erf without SciPy


def test_erf_fallback_returns_an_array_of_the_input_dtype_even_for_0d_input():
    for dtype in (np.float32, np.float64):
        for x in (np.array(0.5, dtype=dtype), np.array([0.5, -1.0], dtype=dtype)):
            out = _backend._erf_math(x)
            assert type(out) is np.ndarray
            assert out.dtype == dtype
            assert out.shape == x.shape
            np.testing.assert_allclose(out, np.vectorize(math.erf)(x), rtol=1e-6)


def test_erf_of_a_0d_tensor_works_when_scipy_is_absent(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy", None)  # `import scipy` now raises ImportError
    monkeypatch.setitem(sys.modules, "scipy.special", None)
    monkeypatch.setattr(_backend, "_ERF", [])  # forget the erf found by an earlier call
    x = ndgrad.tensor(0.5, requires_grad=True)
    y = ndgrad.erf(x)
    assert y.shape == ()
    assert y.dtype is ndgrad.float32
    assert y.item() == pytest.approx(math.erf(0.5), rel=1e-6)
    y.backward()
    assert x.grad.item() == pytest.approx(2 / math.sqrt(math.pi) * math.exp(-0.25), rel=1e-6)
    assert _backend._ERF == [None]  # the fallback was used


def test_erf_works_in_a_fresh_interpreter_without_scipy():
    code = (
        "import sys; sys.modules['scipy'] = None; sys.modules['scipy.special'] = None\n"
        "import ndgrad\n"
        "print(ndgrad.erf(ndgrad.tensor(0.5)).item(), ndgrad.erf(ndgrad.tensor([0.5])).dtype)"
    )
    r = _run_python(code)
    assert r.returncode == 0, r.stderr
    value, dtype = r.stdout.split()
    assert float(value) == pytest.approx(math.erf(0.5), rel=1e-6)
    assert dtype == "ndgrad.float32"


def test_scipy_is_not_a_dependency_of_ndgrad():
    requires = importlib.metadata.requires("ndgrad") or []
    core = [r for r in requires if "extra ==" not in r]
    assert not any(r.lower().startswith("scipy") for r in core), core


# ------------------------------------------------------------------ CI runs the README in a venv


def test_ci_script_runs_the_readmes_commands_in_a_fresh_virtual_environment():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in script
    assert "-m venv" in script
    assert "/bin/activate" in script
    assert "--upgrade" not in script  # the venv's own pip, as a user's new machine has
    for command in ("pip install . && ndgrad demo", 'pip install ".[test]" && pytest'):
        assert command in readme
        assert command in script
    venv, first, second = (
        script.index("-m venv"),
        script.index("pip install . && ndgrad demo"),
        script.index('pip install ".[test]" && pytest'),
    )
    assert venv < first < second
    assert script.rstrip().endswith('pip install ".[test]" && pytest')  # pytest's summary last
    r = subprocess.run(["bash", "-n", str(ROOT / ".ci" / "run")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


# ------------------------------------------------------------------ floating-point edge cases


def _edge_cases(lib):
    x = lib.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    outs = [
        lib.sqrt(x),
        lib.log(x),
        x / 0,
        lib.tensor(0.0) / 0,
        x**0.5,
        lib.pow(x, -1.0),
        lib.exp(x * 1000),
        lib.rsqrt(x),
        lib.log1p(x - 1),
    ]
    lib.sqrt(x).sum().backward()  # d/dx sqrt at 0 is inf, at -1 nan
    return [o.detach().numpy() for o in outs] + [x.grad.numpy()]


@pytest.fixture
def runtime_warnings_are_errors():
    """Every warning raises, then ndgrad's filter goes first again, as its import puts it.

    (pytest runs each test in a fresh copy of the filters it saw before collecting, so the filter
    ndgrad installed when it was imported during collection is not there: See Note
    [Floating-point warnings] in ndgrad/_backend.)
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _backend.silence_floating_point_warnings()
        yield


@pytest.mark.usefixtures("runtime_warnings_are_errors")
def test_nan_and_inf_edge_cases_are_silent_in_forward_and_backward():
    _edge_cases(ndgrad)  # would raise RuntimeWarning-as-error if NumPy's warnings leaked
    a = ndgrad.tensor([1.0, 2.0], requires_grad=True)
    (a / ndgrad.zeros(2)).sum().backward()  # d/da (a / 0) = 1 / 0 = inf
    assert np.isinf(a.grad.numpy()).all()
    b = ndgrad.tensor([0.0, 4.0], requires_grad=True)
    (ndgrad.sqrt(b) * ndgrad.log(b)).sum().backward()  # 0 * -inf and inf * -inf: nan
    assert np.isnan(b.grad[0].item())


@pytest.mark.usefixtures("runtime_warnings_are_errors")
def test_a_users_own_numpy_warnings_still_reach_the_user():
    with pytest.raises(RuntimeWarning, match="invalid value"):
        np.sqrt(np.array(-1.0))


def test_edge_cases_give_pytorchs_nan_and_inf():
    torch = pytest.importorskip("torch")
    for ours, theirs in zip(_edge_cases(ndgrad), _edge_cases(torch)):
        np.testing.assert_array_equal(ours, theirs)


def test_edge_cases_are_silent_even_under_python_dash_w_error():
    code = (
        "import numpy as np, ndgrad\n"
        "x = ndgrad.tensor([-1.0, 0.0], requires_grad=True)\n"
        "ndgrad.sqrt(x).sum().backward(); ndgrad.log(x); x / 0; ndgrad.exp(x * 1e5)\n"
        "try:\n"
        "    np.log(np.zeros(1))\n"
        "except RuntimeWarning:\n"
        "    print('user warned')\n"
    )
    r = _run_python(code, "-W", "error::RuntimeWarning")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "user warned"


# ------------------------------------------------------------------ PyTorch's exception classes


def _error_class(fn):
    try:
        fn()
    except Exception as e:
        return type(e)
    return None


@pytest.mark.parametrize(
    ("convert", "expected"),
    [(float, ValueError), (int, ValueError), (complex, ValueError), (bool, RuntimeError)],
    ids=["float", "int", "complex", "bool"],
)
def test_converting_a_many_element_tensor_to_a_python_number_raises_pytorchs_class(
    convert, expected
):
    with pytest.raises(expected) as info:
        convert(ndgrad.ones(2))
    assert "hint:" in str(info.value)
    torch = pytest.importorskip("torch")
    assert _error_class(lambda: convert(torch.ones(2))) is expected


def test_one_element_tensors_convert_to_python_numbers():
    assert float(ndgrad.tensor([2.5])) == 2.5
    assert int(ndgrad.tensor(3.7)) == 3
    assert bool(ndgrad.tensor([0.0])) is False


def test_setting_a_complex_value_into_a_real_tensor_raises_runtime_error():
    x = ndgrad.ones(2)
    with pytest.raises(RuntimeError, match="cannot be converted"):
        x[0] = 1j
    assert x.tolist() == [1.0, 1.0]
    torch = pytest.importorskip("torch")
    t = torch.ones(2)

    def put():
        t[0] = 1j

    assert _error_class(put) is RuntimeError


@pytest.mark.skipif(ndgrad.cuda.is_available(), reason="a GPU backend is available here")
@pytest.mark.parametrize(
    "move",
    [
        lambda t: t.cuda(),
        lambda t: t.cuda(0),
        lambda t: t.to("cuda"),
        lambda t: t.to(device="cuda:0"),
    ],
    ids=["cuda()", "cuda(0)", "to('cuda')", "to(device='cuda:0')"],
)
def test_asking_for_cuda_without_a_gpu_raises_pytorchs_assertion_error(move):
    with pytest.raises(AssertionError, match="not compiled with CUDA enabled") as info:
        move(ndgrad.ones(2))
    assert "ndgrad" in str(info.value)
    assert "hint:" in str(info.value)
    assert isinstance(info.value, RuntimeError)  # what earlier ndgrad code caught
    with pytest.raises(AssertionError):
        ndgrad.zeros(2, device="cuda")
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():  # torch.ones(2).cuda(0) raises a RuntimeError: caught too
        assert isinstance(info.value, _error_class(lambda: move(torch.ones(2))))


# ------------------------------------------------------------------ copy, deepcopy, pickle


def _leaf_with_grad(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    return x


def test_copy_of_a_leaf_shares_memory_and_keeps_requires_grad_but_not_grad():
    x = _leaf_with_grad(ndgrad)
    c = copy.copy(x)
    assert c is not x
    assert c.is_leaf
    assert c.requires_grad
    assert c.grad is None
    with ndgrad.no_grad():
        c[0] = 5.0
    assert x[0].item() == 5.0  # as PyTorch: the copy shares the storage
    torch = pytest.importorskip("torch")
    t = _leaf_with_grad(torch)
    tc = copy.copy(t)
    assert tc.requires_grad
    assert tc.grad is None
    assert tc.data_ptr() == t.data_ptr()


def test_deepcopy_of_a_leaf_keeps_requires_grad_and_grad_in_new_memory():
    x = _leaf_with_grad(ndgrad)
    d = copy.deepcopy(x)
    assert d.is_leaf
    assert d.requires_grad
    assert d.grad.tolist() == [2.0, 2.0]
    assert d.grad is not x.grad
    with ndgrad.no_grad():
        d[0] = 5.0
        d.grad[0] = 7.0
    assert x.tolist() == [1.0, 2.0]
    assert x.grad.tolist() == [2.0, 2.0]
    torch = pytest.importorskip("torch")
    td = copy.deepcopy(_leaf_with_grad(torch))
    assert td.requires_grad
    assert td.is_leaf
    assert td.grad.tolist() == [2.0, 2.0]


def test_deepcopy_of_a_non_leaf_raises_pytorchs_runtime_error():
    y = ndgrad.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(y)
    torch = pytest.importorskip("torch")
    ty = torch.tensor([1.0], requires_grad=True) * 2
    assert _error_class(lambda: copy.deepcopy(ty)) is RuntimeError


def test_deepcopy_keeps_memory_shared_between_a_tensor_and_its_view():
    a = ndgrad.ones(3)
    a2, v2 = copy.deepcopy((a, a[1:]))
    v2[0] = 5.0
    assert a2.tolist() == [1.0, 5.0, 1.0]
    assert a.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trip_keeps_data_dtype_and_requires_grad(protocol):
    for t in (
        _leaf_with_grad(ndgrad),
        ndgrad.tensor(3),
        ndgrad.zeros(2, 3, dtype=ndgrad.float64),
        ndgrad.tensor([True, False]),
        ndgrad.arange(6.0).reshape(2, 3).t(),
        ndgrad.tensor([1 + 2j]),
    ):
        u = pickle.loads(pickle.dumps(t, protocol=protocol))
        assert type(u) is ndgrad.Tensor
        assert u.dtype is t.dtype
        assert tuple(u.shape) == tuple(t.shape)
        assert u.tolist() == t.tolist()
        assert u.requires_grad == t.requires_grad
        assert u.is_leaf
        assert u.grad is None


def test_pickling_a_computed_tensor_gives_a_leaf_that_requires_grad_as_pytorch():
    y = ndgrad.tensor([1.0, 2.0], requires_grad=True) * 2
    u = pickle.loads(pickle.dumps(y))
    assert u.tolist() == [2.0, 4.0]
    assert u.requires_grad
    assert u.is_leaf
    assert u.grad_fn is None
    torch = pytest.importorskip("torch")
    tu = pickle.loads(pickle.dumps(torch.tensor([1.0, 2.0], requires_grad=True) * 2))
    assert (tu.requires_grad, tu.is_leaf) == (u.requires_grad, u.is_leaf)


def test_a_pickled_view_loads_as_a_tensor_of_its_own_as_pytorch():
    a = ndgrad.ones(3)
    a2, v2, e2 = pickle.loads(pickle.dumps((a, a[1:], ndgrad.ones(3).expand(2, 3))))
    v2[0] = 5.0
    e2[0, 0] = 2.0
    assert a2.tolist() == [1.0, 1.0, 1.0]
    assert e2.tolist() == [[2.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    torch = pytest.importorskip("torch")
    ta = torch.ones(3)
    ta2, tv2 = pickle.loads(pickle.dumps((ta, ta[1:])))
    tv2[0] = 5.0
    assert ta2.tolist() == a2.tolist()


@pytest.mark.timeout(120)
def test_tensors_travel_to_worker_processes():
    ctx = multiprocessing.get_context("spawn")
    xs = [ndgrad.tensor([1.0, -2.0]), ndgrad.arange(3), ndgrad.ones(2, requires_grad=True)]
    with ctx.Pool(1) as pool:
        out = pool.map(operator.neg, xs)
    assert [o.tolist() for o in out] == [[-1.0, 2.0], [0, -1, -2], [-1.0, -1.0]]
    assert out[2].requires_grad  # -x of a leaf that requires grad, pickled back as a leaf


def test_tensors_travel_to_joblib_workers():
    joblib = pytest.importorskip("joblib")
    out = joblib.Parallel(n_jobs=2)(joblib.delayed(operator.neg)(ndgrad.ones(2)) for _ in range(2))
    assert [o.tolist() for o in out] == [[-1.0, -1.0]] * 2


# ------------------------------------------------------------------ arrays for plotting libraries


def test_numpy_sees_a_tensor_as_an_array_and_honours_copy():
    x = ndgrad.tensor([1.0, 2.0])
    a = np.asarray(x)
    assert a.dtype == np.float32
    assert np.shares_memory(a, x.numpy())
    assert not np.shares_memory(np.array(x, copy=True), x.numpy())
    assert np.shares_memory(np.array(x, copy=False), x.numpy())
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="copy"):
        np.array(x, dtype=np.float64, copy=False)


def test_numpy_sees_the_gradient_and_the_detached_values_of_a_trained_tensor():
    x = ndgrad.linspace(-1, 1, 5, requires_grad=True)
    (x**2).sum().backward()
    np.testing.assert_allclose(np.asarray(x.detach()), np.linspace(-1, 1, 5), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(x.grad), 2 * np.linspace(-1, 1, 5), rtol=1e-6)


def test_matplotlib_plots_a_tensor_and_its_gradient():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    x = ndgrad.linspace(-1, 1, 5, requires_grad=True)
    (x**2).sum().backward()
    fig, ax = plt.subplots()
    try:
        (line,) = ax.plot(x.detach(), x.grad)
        np.testing.assert_allclose(line.get_ydata(), 2 * np.linspace(-1, 1, 5), rtol=1e-6)
        fig.canvas.draw()
    finally:
        plt.close(fig)


# ------------------------------------------------------------------ legacy names


@pytest.mark.parametrize(
    ("name", "dtype"),
    [
        ("FloatTensor", "float32"),
        ("DoubleTensor", "float64"),
        ("HalfTensor", "float16"),
        ("LongTensor", "int64"),
        ("IntTensor", "int32"),
        ("ShortTensor", "int16"),
        ("CharTensor", "int8"),
        ("ByteTensor", "uint8"),
        ("BoolTensor", "bool"),
    ],
)
def test_legacy_tensor_types_make_and_match_tensors_of_their_dtype(name, dtype):
    cls = getattr(ndgrad, name)
    made = cls([1, 0])
    assert type(made) is ndgrad.Tensor
    assert str(made.dtype) == f"ndgrad.{dtype}"
    assert made.tolist() == [1, 0]
    assert tuple(cls(2, 3).shape) == (2, 3)
    assert cls(2, 3).dtype is made.dtype
    assert tuple(cls(ndgrad.Size([4])).shape) == (4,)
    assert tuple(cls().shape) == (0,)
    assert isinstance(made, cls)
    assert not isinstance(made.to(ndgrad.complex64), cls)
    assert not issubclass(cls, ndgrad.Tensor)
    torch = pytest.importorskip("torch")
    tcls = getattr(torch, name)
    assert str(tcls([1, 0]).dtype) == f"torch.{dtype}"
    assert tcls([1, 0]).tolist() == made.tolist()
    assert isinstance(tcls([1, 0]), tcls)
    assert not issubclass(tcls, torch.Tensor)


def test_legacy_tensor_types_follow_pytorchs_rules_for_their_arguments():
    assert isinstance(ndgrad.ones(2), ndgrad.FloatTensor)
    assert not isinstance(ndgrad.ones(2), ndgrad.DoubleTensor)
    assert isinstance(ndgrad.ones(2).long(), ndgrad.LongTensor)
    assert ndgrad.LongTensor([1.5, 2.0]).tolist() == [1, 2]
    assert ndgrad.FloatTensor((2, 3)).tolist() == [2.0, 3.0]  # a tuple is data, as in PyTorch
    assert ndgrad.DoubleTensor(np.array([1, 2])).dtype is ndgrad.float64
    with pytest.raises(TypeError):
        ndgrad.FloatTensor(ndgrad.tensor([1, 2]))  # a tensor of another dtype
    with pytest.raises(TypeError):
        ndgrad.FloatTensor([1.0], requires_grad=True)
    torch = pytest.importorskip("torch")
    assert torch.FloatTensor((2, 3)).tolist() == [2.0, 3.0]
    assert _error_class(lambda: torch.FloatTensor(torch.tensor([1, 2]))) is TypeError
    assert _error_class(lambda: torch.FloatTensor([1.0], requires_grad=True)) is TypeError


def test_variable_is_a_tensor_as_in_pytorch_today():
    from ndgrad.autograd import Variable

    t = ndgrad.ones(2)
    v = Variable(t, requires_grad=True)
    assert type(v) is ndgrad.Tensor
    assert v is not t
    assert v.requires_grad
    assert v.is_leaf
    assert not t.requires_grad
    with ndgrad.no_grad():
        v[0] = 3.0
    assert t[0].item() == 3.0  # shares memory
    assert isinstance(t, Variable)
    y = ndgrad.ones(2, requires_grad=True) * 2
    assert Variable(y).grad_fn is None
    assert not Variable(y).requires_grad
    (Variable(t, requires_grad=True) * 3).sum().backward()
    with pytest.raises(TypeError, match="Variable data has to be a tensor"):
        Variable([1.0, 2.0])
    with pytest.raises(RuntimeError):
        Variable(ndgrad.tensor([1, 2]), requires_grad=True)
    with pytest.warns(UserWarning, match="volatile"):
        Variable(t, volatile=True)
    torch = pytest.importorskip("torch")
    tv = torch.autograd.Variable(torch.ones(2) * 2)
    assert (tv.requires_grad, tv.is_leaf) == (False, True)
    assert _error_class(lambda: torch.autograd.Variable([1.0])) is TypeError


def test_python_dash_m_ndgrad_runs_the_command_line_tool():
    r = subprocess.run(
        [sys.executable, "-m", "ndgrad", "--version"], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"ndgrad {ndgrad.__version__}"


# ------------------------------------------------------------------ // and %


_INT_CASES = (
    lambda t: t.tensor([7, -7, 3, -3, 0, 5]) // t.tensor([2, 2, -2, -2, 3, -5]),
    lambda t: t.tensor([7, -7, 3, -3, 0, 5]) % t.tensor([2, 2, -2, -2, 3, -5]),
    lambda t: t.fmod(t.tensor([7, -7, 3, -3, 0, 5]), t.tensor([2, 2, -2, -2, 3, -5])),
    lambda t: t.tensor([7, -7]) // 2,
    lambda t: 7 // t.tensor([2, -3]),
    lambda t: 7 % t.tensor([2, -3]),
    lambda t: 7.5 // t.tensor([2, -3]),
    lambda t: t.tensor([7, -7]) % 2.5,
    lambda t: t.tensor([5], dtype=t.uint8) // 2,
    lambda t: t.tensor([-7.0, 7.0, 0.0]) // 0.0,
    lambda t: t.tensor([-7.0, 7.0, 0.0]) % 0.0,
    lambda t: t.fmod(t.tensor([-7.0, 7.0, 0.0]), 0.0),
    lambda t: t.tensor([3.5, -3.5, 1.0]) // t.tensor([-0.5, 0.5, 0.25]),
    lambda t: t.remainder(2, t.tensor([-3.5, 3.5])),
    lambda t: t.tensor([-3.5, 3.5]).fmod(-2),
)


@pytest.mark.parametrize("case", _INT_CASES, ids=range(len(_INT_CASES)))
def test_floor_division_and_remainders_give_pytorchs_values_and_dtypes(case):
    ours = case(ndgrad)
    torch = pytest.importorskip("torch")
    theirs = case(torch)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_floor_division_rounds_toward_minus_infinity_and_remainder_takes_the_divisors_sign():
    x = ndgrad.tensor([-7.0, 7.0, -7.0, 7.0])
    y = ndgrad.tensor([2.0, 2.0, -2.0, -2.0])
    assert (x // y).tolist() == [-4.0, 3.0, 3.0, -4.0]
    assert (x % y).tolist() == [1.0, 1.0, -1.0, -1.0]
    assert ndgrad.fmod(x, y).tolist() == [-1.0, 1.0, -1.0, 1.0]
    assert ((x // y) * y + x % y).tolist() == x.tolist()


@pytest.mark.parametrize(
    "case",
    [
        lambda t: t.tensor([7]) // 0,
        lambda t: t.tensor([7]) % t.tensor([0]),
        lambda t: t.fmod(t.tensor([7]), 0),
    ],
    ids=["floordiv", "mod", "fmod"],
)
def test_integer_division_by_zero_raises_pytorchs_runtime_error(case):
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        case(ndgrad)
    torch = pytest.importorskip("torch")
    assert _error_class(lambda: case(torch)) is RuntimeError


def test_floor_division_of_bools_is_not_implemented_as_in_pytorch():
    with pytest.raises(NotImplementedError, match="Bool"):
        ndgrad.tensor([True]) // True
    with pytest.raises(NotImplementedError, match="Bool"):
        ndgrad.tensor([True]) % True


def test_remainder_and_fmod_gradients_equal_pytorchs():
    torch = pytest.importorskip("torch")
    xs, ys = [-3.5, 3.5, -7.3, 7.3], [2.0, -2.0, 2.0, -2.0]
    for name in ("remainder", "fmod"):
        grads = []
        for lib in (ndgrad, torch):
            x = lib.tensor(xs, dtype=lib.float64, requires_grad=True)
            y = lib.tensor(ys, dtype=lib.float64, requires_grad=True)
            getattr(lib, name)(x, y).sum().backward()
            grads.append((x.grad.tolist(), y.grad.tolist()))
        assert grads[0] == grads[1], name


def test_floor_divide_has_a_zero_gradient_as_torch_div_with_floor_rounding():
    x = ndgrad.tensor([-3.5, 3.5], requires_grad=True)
    y = x // 2
    assert y.requires_grad
    assert y.grad_fn is not None
    (y * x).sum().backward()  # d/dx (floor(x/2) x) = floor(x/2) almost everywhere
    assert x.grad.tolist() == [-2.0, 1.0]
    torch = pytest.importorskip("torch")
    t = torch.tensor([-3.5, 3.5], requires_grad=True)
    (torch.div(t, 2, rounding_mode="floor") * t).sum().backward()
    assert t.grad.tolist() == x.grad.tolist()


def test_in_place_floor_division_and_remainder_record_history():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (ndgrad, torch):
        x = lib.tensor([-3.5, 3.5, 5.25], requires_grad=True)
        y = x * 1
        y %= 2
        y *= x
        z = x * 1
        if lib is ndgrad:
            z //= 2
        else:  # torch's floor_divide_ has no derivative; this is its twin with one (zero)
            z.div_(2, rounding_mode="floor")
        (y + z * x).sum().backward()
        grads.append(x.grad.tolist())
        assert y.grad_fn is not None
    assert grads[0] == grads[1]


def test_operator_methods_exist_in_every_form():
    x = ndgrad.tensor([7.0, -7.0])
    assert x.floor_divide(2).tolist() == (x // 2).tolist() == [3.0, -4.0]
    assert x.remainder(2).tolist() == (x % 2).tolist() == [1.0, 1.0]
    assert x.fmod(2).tolist() == [1.0, -1.0]
    for method, expected in (
        ("floor_divide_", [3.0, -4.0]),
        ("remainder_", [1.0, 1.0]),
        ("fmod_", [1.0, -1.0]),
    ):
        c = x.clone()
        assert getattr(c, method)(2) is c
        assert c.tolist() == expected
    c = x.clone()
    c //= 2
    assert c.tolist() == [3.0, -4.0]
    c = x.clone()
    c %= 2
    assert c.tolist() == [1.0, 1.0]
