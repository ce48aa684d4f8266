"""ndgrad.nn.Module, Parameter and the containers against torch.nn: registration, traversal,
state_dict, conversion, hooks, repr and error messages."""

import copy
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import ndgrad
from ndgrad import nn


@pytest.fixture
def torch():
    """torch, for the tests that compare with it (the others run without it)."""
    return pytest.importorskip("torch")


def _np(t):
    return t.detach().numpy()


def _copy_from_torch(n_mod, t_mod):
    n_mod.load_state_dict({k: ndgrad.tensor(_np(v)) for k, v in t_mod.state_dict().items()})


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


def _same_error(n_fn, t_fn):
    n_type, n_msg = _error(n_fn)
    t_type, t_msg = _error(t_fn)
    assert issubclass(n_type, t_type), (n_type, t_type)
    assert n_msg.replace("ndgrad.", "torch.").startswith(t_msg), (n_msg, t_msg)


# ------------------------------------------------------------------------------ models
def _model(lib):
    """The same nested model built from torch.nn or ndgrad.nn."""

    class Block(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(3, 4)
            self.act = lib.nn.ReLU()
            self.register_buffer("steps", lib.zeros(1))
            self.register_buffer("cache", lib.zeros(2), persistent=False)

        def forward(self, x):
            return self.act(self.fc(x)) * (1 + self.steps)

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = lib.nn.Parameter(lib.ones(1))
            self.block = Block()
            self.head = lib.nn.Sequential(lib.nn.Linear(4, 2), lib.nn.Tanh())
            self.unused = None

        def forward(self, x):
            return self.head(self.block(x)) * self.scale

    return Net()


def _pair(torch):
    t, n = _model(torch), _model(ndgrad)
    _copy_from_torch(n, t)
    return t, n


# ------------------------------------------------------------------------------ Parameter
def test_parameter_prints_like_torch_and_is_a_leaf_tensor(torch):
    t = torch.nn.Parameter(torch.tensor([1.0, 2.5]))
    p = nn.Parameter(ndgrad.tensor([1.0, 2.5]))
    assert repr(p) == repr(t)
    assert isinstance(p, ndgrad.Tensor)
    assert p.is_leaf
    assert p.requires_grad
    assert type(p * 2) is ndgrad.Tensor
    assert type(p.detach()) is ndgrad.Tensor


def test_parameter_of_a_computed_tensor_is_a_leaf_that_shares_its_memory():
    x = ndgrad.ones(3, requires_grad=True)
    y = x * 2
    p = nn.Parameter(y)
    assert p.is_leaf
    assert p.grad_fn is None
    with ndgrad.no_grad():
        y.add_(1)
    assert p.tolist() == [3.0, 3.0, 3.0]


def test_parameter_without_data_is_empty_and_requires_grad_false_is_kept():
    assert nn.Parameter().shape == (0,)
    assert not nn.Parameter(ndgrad.ones(2), requires_grad=False).requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(ndgrad.tensor([1, 2]))


def test_parameter_deepcopies_and_pickles_as_a_parameter():
    p = nn.Parameter(ndgrad.tensor([1.0, 2.0]))
    p.grad = ndgrad.tensor([3.0, 4.0])
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter
    assert q.requires_grad
    assert q.grad.tolist() == [3.0, 4.0]
    assert not np.shares_memory(q.numpy(force=True), p.numpy(force=True))
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is nn.Parameter
    assert r.tolist() == [1.0, 2.0]


def test_gradient_flows_into_a_parameter_used_in_a_graph():
    p = nn.Parameter(ndgrad.tensor([2.0]))
    (p * p).sum().backward()
    assert p.grad.tolist() == [4.0]


# ------------------------------------------------------------------------------ registration
def test_assignment_registers_parameters_modules_and_buffers():
    m = nn.Module()
    m.w = nn.Parameter(ndgrad.ones(2))
    m.sub = nn.Linear(1, 1)
    m.register_buffer("b", ndgrad.zeros(1))
    m.b = ndgrad.ones(1)  # a tensor assigned to a buffer's name stays a buffer
    m.plain = ndgrad.ones(1)  # any other tensor is a plain attribute
    assert list(m._parameters) == ["w"]
    assert list(m._modules) == ["sub"]
    assert list(m._buffers) == ["b"]
    assert m.b.tolist() == [1.0]
    assert "plain" in m.__dict__
    m.w = None
    assert m.w is None
    assert "w" in m._parameters
    m.sub = nn.Parameter(ndgrad.ones(1))  # a parameter replaces a module of the same name
    assert "sub" not in m._modules
    assert "sub" in m._parameters


def test_buffer_marker_registers_a_buffer_with_its_persistence():
    m = nn.Module()
    m.a = nn.Buffer(ndgrad.ones(1))
    m.b = nn.Buffer(ndgrad.ones(1), persistent=False)
    assert type(m.a) is ndgrad.Tensor
    assert list(m.state_dict()) == ["a"]
    assert [k for k, _ in m.named_buffers()] == ["a", "b"]


def test_registration_errors_match_torch(torch):
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ndgrad.ones(1))

    class TEarly(torch.nn.Module):
        def __init__(self):
            self.w = torch.nn.Parameter(torch.ones(1))

    _same_error(Early, TEarly)
    n, t = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    _same_error(
        lambda: setattr(n, "weight", ndgrad.ones(2, 2)),
        lambda: setattr(t, "weight", torch.ones(2, 2)),
    )
    _same_error(
        lambda: n.register_buffer("weight", ndgrad.ones(1)),
        lambda: t.register_buffer("weight", torch.ones(1)),
    )
    _same_error(lambda: n.register_buffer("b", 3), lambda: t.register_buffer("b", 3))
    _same_error(
        lambda: n.register_buffer("a.b", ndgrad.ones(1)),
        lambda: t.register_buffer("a.b", torch.ones(1)),
    )
    _same_error(
        lambda: n.register_parameter("p", ndgrad.ones(1)),
        lambda: t.register_parameter("p", torch.ones(1)),
    )
    _same_error(lambda: n.add_module("x", 3), lambda: t.add_module("x", 3))
    _same_error(lambda: n.add_module("", nn.ReLU()), lambda: t.add_module("", torch.nn.ReLU()))
    _same_error(lambda: n.foo, lambda: t.foo)
    _same_error(lambda: n.get_submodule("a.b"), lambda: t.get_submodule("a.b"))
    _same_error(lambda: n.get_parameter("foo"), lambda: t.get_parameter("foo"))
    _same_error(lambda: n.to(ndgrad.int32), lambda: t.to(torch.int32))

    no_forward = type("NoForward", (nn.Module,), {})
    t_no_forward = type("NoForward", (torch.nn.Module,), {})
    _same_error(lambda: no_forward()(1), lambda: t_no_forward()(1))


def test_non_leaf_parameter_is_refused():
    m = nn.Module()
    p = nn.Parameter(ndgrad.ones(1))
    p._node = (p * 2)._node  # a parameter made non-leaf behind ndgrad's back
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'w'"):
        m.register_parameter("w", p)


def test_delattr_removes_registered_entries():
    m = nn.Linear(2, 2)
    m.register_buffer("b", ndgrad.ones(1))
    del m.bias
    del m.b
    assert "bias" not in m._parameters
    assert "b" not in m._buffers
    with pytest.raises(AttributeError):
        _ = m.bias


def test_dir_lists_parameters_buffers_and_children(torch):
    t, n = _pair(torch)
    names = dir(n)
    for name in ("scale", "block", "head", "forward", "training"):
        assert name in names
    assert set(dir(n.block)) >= {"fc", "act", "steps", "cache"}


def test_get_submodule_get_parameter_and_get_buffer(torch):
    t, n = _pair(torch)
    assert n.get_submodule("head.0") is n.head[0]
    assert n.get_submodule("") is n
    assert n.get_parameter("block.fc.weight") is n.block.fc.weight
    assert n.get_buffer("block.steps") is n.block.steps
    with pytest.raises(AttributeError, match="`act` is not an nn.Parameter"):
        n.get_parameter("block.act")


# ------------------------------------------------------------------------------ traversal
def test_named_members_have_torchs_names_and_order(torch):
    t, n = _pair(torch)
    assert [k for k, _ in n.named_parameters()] == [k for k, _ in t.named_parameters()]
    assert [k for k, _ in n.named_buffers()] == [k for k, _ in t.named_buffers()]
    assert [k for k, _ in n.named_modules()] == [k for k, _ in t.named_modules()]
    assert [k for k, _ in n.named_children()] == [k for k, _ in t.named_children()]
    assert [k for k, _ in n.named_parameters(prefix="net", recurse=False)] == ["net.scale"]
    assert len(list(n.modules())) == len(list(t.modules()))
    assert len(list(n.children())) == 2
    assert [k for k, _ in n.named_modules(prefix="root")] == [
        k for k, _ in t.named_modules(prefix="root")
    ]


def test_shared_parameters_and_modules_are_listed_once_unless_asked(torch):
    def build(lib):
        shared = lib.nn.Linear(2, 2)
        return lib.nn.Sequential(shared, lib.nn.ReLU(), shared)

    t, n = build(torch), build(ndgrad)
    assert [k for k, _ in n.named_parameters()] == [k for k, _ in t.named_parameters()]
    assert [k for k, _ in n.named_parameters(remove_duplicate=False)] == [
        k for k, _ in t.named_parameters(remove_duplicate=False)
    ]
    assert [k for k, _ in n.named_modules(remove_duplicate=False)] == [
        k for k, _ in t.named_modules(remove_duplicate=False)
    ]
    assert list(n.state_dict()) == list(t.state_dict())


def test_deep_module_tree_walks_without_recursion():
    m = nn.Identity()
    for _ in range(3000):
        outer = nn.Module()
        outer.inner = m
        m = outer
    assert len(list(m.modules())) == 3001
    assert len(m.state_dict()) == 0


# ------------------------------------------------------------------------------ modes
def test_train_and_eval_reach_every_submodule(torch):
    t, n = _pair(torch)
    n.eval()
    assert not any(m.training for m in n.modules())
    n.train()
    assert all(m.training for m in n.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        n.train("yes")


def test_requires_grad_and_zero_grad():
    m = nn.Linear(2, 1)
    m(ndgrad.ones(1, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert m.weight.grad.tolist() == [[0.0, 0.0]]
    m.zero_grad()
    assert m.weight.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


# ------------------------------------------------------------------------------ state_dict
def test_state_dict_keys_match_torch_and_values_are_detached(torch):
    t, n = _pair(torch)
    sd = n.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == list(t.state_dict())
    assert all(not v.requires_grad and type(v) is ndgrad.Tensor for v in sd.values())
    assert np.shares_memory(sd["scale"].numpy(), n.scale.numpy(force=True))
    kept = n.state_dict(keep_vars=True)
    assert kept["scale"] is n.scale
    assert list(n.state_dict(prefix="model.")) == list(t.state_dict(prefix="model."))
    assert dict(sd._metadata) == {k: dict(v) for k, v in t.state_dict()._metadata.items()}


def test_load_state_dict_copies_in_place_and_reports_keys(torch):
    t, n = _pair(torch)
    w = n.block.fc.weight
    result = n.load_state_dict(n.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    new = {k: v * 0 + 3 for k, v in n.state_dict().items()}
    n.load_state_dict(new)
    assert n.block.fc.weight is w
    assert float(w.sum()) == 36.0
    assert w.requires_grad
    assert w.grad_fn is None
    partial = {"scale": ndgrad.ones(1), "junk": ndgrad.ones(1)}
    t_res = t.load_state_dict({"scale": torch.ones(1), "junk": torch.ones(1)}, strict=False)
    n_res = n.load_state_dict(partial, strict=False)
    assert n_res.missing_keys == t_res.missing_keys
    assert n_res.unexpected_keys == t_res.unexpected_keys


def test_load_state_dict_error_text_matches_torch(torch):
    t, n = torch.nn.Linear(3, 2), nn.Linear(3, 2)
    bad_t = {"weight": torch.zeros(2, 4), "extra": torch.zeros(1)}
    bad_n = {"weight": ndgrad.zeros(2, 4), "extra": ndgrad.zeros(1)}
    with pytest.raises(RuntimeError) as t_info:
        t.load_state_dict(bad_t)
    with pytest.raises(RuntimeError) as n_info:
        n.load_state_dict(bad_n)
    assert str(n_info.value).replace("ndgrad.Size", "torch.Size") == str(t_info.value)
    assert str(n_info.value).startswith(
        'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". '
    )
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        n.load_state_dict([1, 2])


def test_load_state_dict_with_assign_keeps_the_given_tensors():
    m = nn.Linear(2, 2)
    w = ndgrad.ones(2, 2)
    m.load_state_dict({"weight": w, "bias": ndgrad.zeros(2)}, assign=True)
    assert type(m.weight) is nn.Parameter
    assert m.weight.requires_grad
    assert np.shares_memory(m.weight.numpy(force=True), w.numpy())


def test_load_state_dict_accepts_a_torch_checkpoint_through_numpy_and_gives_the_same_output(torch):
    t, n = _pair(torch)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(
        n(ndgrad.tensor(x)).detach().numpy(), _np(t(torch.tensor(x))), rtol=1e-5, atol=1e-6
    )


def test_state_dict_hooks_run():
    m = nn.Linear(1, 1)
    calls = []
    m.register_state_dict_pre_hook(lambda mod, prefix, keep: calls.append(("save", prefix)))
    m.register_load_state_dict_post_hook(lambda mod, keys: calls.append(("load", keys)))
    m.load_state_dict(m.state_dict())
    assert calls[0] == ("save", "")
    assert calls[1][0] == "load"


# ------------------------------------------------------------------------------ conversion
def test_to_double_keeps_parameter_identity_and_converts_grads_and_buffers(torch):
    m = nn.Sequential(nn.Linear(2, 2))
    m.register_buffer("count", ndgrad.tensor([1, 2]))
    m.register_buffer("f", ndgrad.zeros(1))
    w = m[0].weight
    m(ndgrad.ones(1, 2)).sum().backward()
    assert m.to(ndgrad.float64) is m
    assert m[0].weight is w
    assert type(w) is nn.Parameter
    assert w.dtype == ndgrad.float64
    assert w.grad.dtype == ndgrad.float64
    assert m.count.dtype == ndgrad.int64
    assert m.f.dtype == ndgrad.float64
    m.float()
    assert w.dtype == ndgrad.float32
    assert m.f.dtype == ndgrad.float32
    m.half()
    assert w.dtype == ndgrad.float16
    m.double()
    assert w.dtype == ndgrad.float64
    assert m.count.dtype == ndgrad.int64
    m.to("cpu")
    m.to(ndgrad.device("cpu"), ndgrad.float32)
    assert w.dtype == ndgrad.float32
    m.to(ndgrad.zeros(1, dtype=ndgrad.float64))
    assert w.dtype == ndgrad.float64
    m.type(ndgrad.float32)
    assert m.count.dtype == ndgrad.float32  # type() converts every tensor, as torch's
    assert m.cpu() is m


def test_converted_module_still_trains():
    m = nn.Linear(2, 1).double()
    x = ndgrad.ones(3, 2, dtype=ndgrad.float64)
    m(x).sum().backward()
    assert m.weight.grad.dtype == ndgrad.float64


def test_apply_visits_children_first_like_torch(torch):
    t, n = _pair(torch)
    t_order, n_order = [], []
    t.apply(lambda m: t_order.append(type(m).__name__))
    n.apply(lambda m: n_order.append(type(m).__name__))
    assert n_order == t_order


def test_deepcopy_of_a_module_is_independent():
    m = nn.Linear(2, 2)
    c = copy.deepcopy(m)
    with ndgrad.no_grad():
        c.weight.fill_(0)
    assert float(m.weight.abs().sum()) > 0
    assert type(c.weight) is nn.Parameter


# ------------------------------------------------------------------------------ repr
def test_repr_of_a_nested_model_matches_torch(torch):
    t, n = _pair(torch)
    assert repr(n) == repr(t)


def test_repr_of_containers_and_multiline_extra_repr_matches_torch(torch):
    def build(lib):
        class Multi(lib.nn.Module):
            def extra_repr(self):
                return "first line\nsecond line"

        return lib.nn.Sequential(
            OrderedDict(
                [
                    ("layers", lib.nn.ModuleList([lib.nn.Linear(2, 2) for _ in range(3)])),
                    ("more", lib.nn.ModuleList([lib.nn.ReLU(), lib.nn.ReLU(), lib.nn.Tanh()])),
                    ("empty", lib.nn.ModuleList()),
                    ("acts", lib.nn.ModuleDict({"a": lib.nn.GELU("tanh"), "b": Multi()})),
                    ("flat", lib.nn.Flatten()),
                ]
            )
        )

    assert repr(build(ndgrad)) == repr(build(torch))


def test_parameter_containers_print_like_torch(torch):
    t = torch.nn.ParameterList([torch.zeros(2, 3), torch.nn.Parameter(torch.ones(4))])
    n = nn.ParameterList([ndgrad.zeros(2, 3), nn.Parameter(ndgrad.ones(4))])
    assert repr(n).replace("ndgrad.", "torch.") == repr(t)
    td = torch.nn.ParameterDict({"b": torch.zeros(2), "a": torch.ones(3)})
    nd = nn.ParameterDict({"b": ndgrad.zeros(2), "a": ndgrad.ones(3)})
    assert repr(nd) == repr(td)


# ------------------------------------------------------------------------------ forward hooks
def test_forward_hooks_run_in_torchs_order_and_can_replace_values(torch):
    def run(lib):
        log = []
        m = lib.nn.Identity()
        m.register_forward_pre_hook(lambda mod, args: log.append("pre1") or (args[0] * 2,))
        m.register_forward_pre_hook(lambda mod, args: log.append("pre0"), prepend=True)
        m.register_forward_pre_hook(
            lambda mod, args, kwargs: log.append(("prekw", sorted(kwargs))), with_kwargs=True
        )
        m.register_forward_hook(lambda mod, args, out: log.append("post1") or out + 1)
        m.register_forward_hook(
            lambda mod, args, kwargs, out: log.append("postkw") or None, with_kwargs=True
        )
        m.register_forward_hook(lambda mod, args, out: log.append("post0"), prepend=True)
        out = m(lib.tensor([1.0]))
        return log, out.tolist()

    assert run(ndgrad) == run(torch)


def test_removed_hooks_no_longer_run_and_handles_are_context_managers():
    m = nn.Identity()
    calls = []
    h = m.register_forward_hook(lambda *a: calls.append(1))
    m(ndgrad.ones(1))
    h.remove()
    h.remove()  # twice is harmless
    m(ndgrad.ones(1))
    with m.register_forward_pre_hook(lambda *a: calls.append(2)):
        m(ndgrad.ones(1))
    m(ndgrad.ones(1))
    assert calls == [1, 2]


def test_forward_pre_hook_with_kwargs_must_return_args_and_kwargs():
    m = nn.Identity()
    m.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        m(ndgrad.ones(1))


def test_always_call_forward_hook_runs_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    seen = []
    m.register_forward_hook(lambda mod, a, out: seen.append("always"), always_call=True)
    m.register_forward_hook(lambda mod, a, out: seen.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        m(ndgrad.ones(1))
    assert seen == ["always"]


# ------------------------------------------------------------------------------ backward hooks
def _hooked_run(lib, requires=(True, False), extra=2):
    class Two(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = lib.nn.Parameter(lib.tensor([1.0, 2.0]))

        def forward(self, a, b, k):
            return a * b * self.w * k, a + self.w

    log = []

    def as_list(gs):
        return [None if g is None else g.tolist() for g in gs]

    m = Two()
    m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", as_list(go))))
    m.register_full_backward_hook(
        lambda mod, gi, go: log.append(("full", as_list(gi), as_list(go)))
    )
    a = lib.tensor([1.0, 2.0], requires_grad=requires[0])
    b = lib.tensor([3.0, 4.0], requires_grad=requires[1])
    out = m(a, b, extra)
    out[0].sum().backward()
    grads = [None if t.grad is None else t.grad.tolist() for t in (a, b, m.w)]
    return log, grads


def test_full_backward_hooks_see_torchs_grad_input_and_grad_output(torch):
    assert _hooked_run(ndgrad) == _hooked_run(torch)
    assert _hooked_run(ndgrad, (True, True)) == _hooked_run(torch, (True, True))


def test_full_backward_hook_without_inputs_requiring_grad_fires_at_the_outputs(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = _hooked_run(torch, (False, False))
    with pytest.warns(UserWarning, match="Full backward hook is firing"):
        n = _hooked_run(ndgrad, (False, False))
    assert n == t


def test_backward_hooks_can_replace_gradients_like_torch(torch):
    def run(lib):
        m = lib.nn.Linear(2, 2)
        with lib.no_grad():
            m.weight.copy_(lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
            m.bias.zero_()
        m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 10,))
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0] + 1,))
        x = lib.tensor([[1.0, -1.0]], requires_grad=True)
        (m(x) ** 2).sum().backward()
        return x.grad.tolist(), m.weight.grad.tolist()

    assert run(ndgrad) == run(torch)


def test_backward_hooks_on_nested_modules_run_inner_last_like_torch(torch):
    def run(lib):
        log = []
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Tanh())
        for name, mod in [("net", net), ("lin", net[0]), ("tanh", net[1])]:
            mod.register_full_backward_hook(lambda m, gi, go, name=name: log.append(name))
            mod.register_full_backward_pre_hook(lambda m, go, name=name: log.append("pre-" + name))
        net(lib.ones(1, 2, requires_grad=True)).sum().backward()
        return log

    assert run(ndgrad) == run(torch)


def test_backward_hook_returning_the_wrong_number_of_gradients_raises():
    m = nn.Linear(2, 2)
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    x = ndgrad.ones(1, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but expected 1"):
        m(x).sum().backward()


# ------------------------------------------------------------------------------ containers
def test_sequential_indexing_slicing_and_editing_match_torch(torch):
    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(1, 2), lib.nn.ReLU(), lib.nn.Linear(2, 3))

    def ops(lib, s):
        out = [type(s[-1]).__name__, repr(s[1:]), len(s)]
        s.append(lib.nn.Tanh())
        s.insert(1, lib.nn.Sigmoid())
        s.insert(-1, lib.nn.GELU())
        del s[0]
        out.append(repr(s))
        out.append(type(s.pop(1)).__name__)
        s.extend([lib.nn.ELU()])
        del s[1:3]
        out.append(repr(s))
        out.append(repr(s + build(lib)))
        out.append(repr(build(lib) * 2))
        s[0] = lib.nn.SiLU()
        out.append(repr(s))
        out.append([type(m).__name__ for m in s])
        return out

    assert ops(ndgrad, build(ndgrad)) == ops(torch, build(torch))
    n = build(ndgrad)
    with pytest.raises(IndexError, match="index 5 is out of range"):
        n[5]
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential"):
        n + nn.ModuleList()


def test_sequential_from_an_ordered_dict_uses_its_names():
    s = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert [k for k, _ in s.named_parameters()] == ["fc.weight", "fc.bias"]
    assert s.act is s[1]
    assert s(ndgrad.ones(4, 2)).shape == (4, 3)


def test_module_list_operations_match_torch(torch):
    def ops(lib):
        ml = lib.nn.ModuleList([lib.nn.ReLU(), lib.nn.Tanh()])
        ml.append(lib.nn.Sigmoid())
        ml.extend([lib.nn.GELU()])
        ml.insert(1, lib.nn.ELU())
        ml += [lib.nn.SiLU()]
        out = [repr(ml), repr(ml[1:3]), type(ml[-1]).__name__]
        del ml[0]
        ml.pop(-1)
        ml[0] = lib.nn.ReLU6()
        out += [repr(ml), len(ml), repr(ml + lib.nn.ModuleList([lib.nn.ReLU()]))]
        return out

    assert ops(ndgrad) == ops(torch)
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        nn.ModuleList().extend(5)


def test_module_dict_operations_match_torch(torch):
    def ops(lib):
        md = lib.nn.ModuleDict({"b": lib.nn.ReLU(), "a": lib.nn.Tanh()})
        md.update([("c", lib.nn.GELU())])
        md["d"] = lib.nn.ELU()
        out = [list(md.keys()), "a" in md, repr(md)]
        out.append(type(md.pop("b")).__name__)
        del md["c"]
        out += [list(md), len(md), [type(v).__name__ for v in md.values()]]
        md.clear()
        out.append(len(md))
        return out

    assert ops(ndgrad) == ops(torch)
    with pytest.raises(ValueError, match="has length 3; 2 is required"):
        nn.ModuleDict([("a", nn.ReLU(), 1)])


def test_parameter_list_and_dict_register_their_tensors_as_parameters():
    pl = nn.ParameterList([ndgrad.ones(2)])
    pl.append(nn.Parameter(ndgrad.zeros(3)))
    pl.extend([ndgrad.ones(1)])
    assert [k for k, _ in pl.named_parameters()] == ["0", "1", "2"]
    assert all(type(p) is nn.Parameter for p in pl)
    assert len(pl[1:]) == 2
    assert pl[-1].shape == (1,)
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl()
    pd = nn.ParameterDict(OrderedDict([("z", ndgrad.ones(1)), ("y", ndgrad.ones(2))]))
    pd["x"] = ndgrad.zeros(1)
    assert list(pd) == ["z", "y", "x"]
    assert [k for k, _ in pd.named_parameters()] == ["z", "y", "x"]
    assert pd.get("missing") is None
    assert "x" in pd
    assert pd.popitem()[0] == "x"
    assert pd.setdefault("w", ndgrad.ones(1)).shape == (1,)
    merged = pd | nn.ParameterDict({"q": ndgrad.ones(1)})
    assert list(merged) == ["z", "y", "w", "q"]
    pd.clear()
    assert len(pd) == 0


def test_containers_train_their_parameters():
    net = nn.ModuleDict({"enc": nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 1)])})
    x = ndgrad.ones(3, 2)
    y = net["enc"][1](net["enc"][0](x))
    y.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    assert [k for k, _ in net.named_parameters()] == [
        "enc.0.weight",
        "enc.0.bias",
        "enc.1.weight",
        "enc.1.bias",
    ]


def test_extra_state_is_saved_and_loaded_under_torchs_key(torch):
    def build(lib):
        class Counter(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.nn.Linear(1, 1)
                self.count = 0

            def get_extra_state(self):
                return {"count": self.count}

            def set_extra_state(self, state):
                self.count = state["count"]

        return lib.nn.Sequential(Counter())

    t, n = build(torch), build(ndgrad)
    n[0].count = 7
    sd = n.state_dict()
    assert list(sd) == list(t.state_dict())
    assert sd["0._extra_state"] == {"count": 7}
    fresh = build(ndgrad)
    fresh.load_state_dict(sd)
    assert fresh[0].count == 7
    del sd["0._extra_state"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "0._extra_state"'):
        fresh.load_state_dict(sd)
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "_extra_state"'):
        nn.Linear(1, 1).load_state_dict({**nn.Linear(1, 1).state_dict(), "_extra_state": 1})


def test_set_submodule_replaces_a_module_at_a_dotted_path():
    net = nn.Sequential(nn.Sequential(nn.Linear(2, 2), nn.ReLU()))
    net.set_submodule("0.1", nn.Tanh())
    assert type(net[0][1]) is nn.Tanh
    net.set_submodule("0.extra", nn.GELU())
    assert type(net[0].extra) is nn.GELU
    with pytest.raises(AttributeError, match="has no attribute `missing`"):
        net.set_submodule("0.missing", nn.ReLU(), strict=True)
    with pytest.raises(ValueError, match="Cannot set the submodule without a target name!"):
        net.set_submodule("", nn.ReLU())


def test_global_module_hooks_run_before_each_modules_own_like_torch(torch):
    def run(lib):
        mm = lib.nn.modules.module
        log = []
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Tanh())
        net[0].register_forward_hook(lambda m, a, o: log.append("own-fwd"))
        net[0].register_full_backward_hook(lambda m, gi, go: log.append("own-bwd"))
        handles = [
            mm.register_module_forward_pre_hook(lambda m, a: log.append("pre-" + type(m).__name__)),
            mm.register_module_forward_hook(lambda m, a, o: log.append("fwd-" + type(m).__name__)),
            mm.register_module_full_backward_pre_hook(
                lambda m, go: log.append("bpre-" + type(m).__name__)
            ),
            mm.register_module_full_backward_hook(
                lambda m, gi, go: log.append("bwd-" + type(m).__name__)
            ),
        ]
        try:
            net(lib.ones(1, 2, requires_grad=True)).sum().backward()
        finally:
            for h in handles:
                h.remove()
        net(lib.ones(1, 2))
        return log

    assert run(ndgrad) == run(torch)


def test_global_registration_hooks_can_replace_what_is_registered():
    mm = nn.modules.module
    seen = []
    h1 = mm.register_module_parameter_registration_hook(
        lambda m, name, p: seen.append(("param", name))
    )
    h2 = mm.register_module_buffer_registration_hook(lambda m, name, b: b * 0 + 7)
    h3 = mm.register_module_module_registration_hook(lambda m, name, sub: nn.Tanh())
    try:
        m = nn.Linear(1, 1)
        m.register_buffer("b", ndgrad.ones(1))
        m.act = nn.ReLU()
    finally:
        for h in (h1, h2, h3):
            h.remove()
    assert seen == [("param", "weight"), ("param", "bias")]
    assert m.b.tolist() == [7.0]
    assert type(m.act) is nn.Tanh


def test_state_dict_post_hook_may_edit_the_result_in_place():
    m = nn.Sequential(nn.Linear(1, 1))
    m[0].register_state_dict_post_hook(lambda mod, sd, prefix, meta: sd.pop(prefix + "bias"))
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        m.state_dict()
    m2 = nn.Sequential(nn.Linear(1, 1))
    m2[0].register_state_dict_post_hook(
        lambda mod, sd, prefix, meta: sd.__delitem__(prefix + "bias")
    )
    assert list(m2.state_dict()) == ["0.weight"]


def test_legacy_backward_hook_is_refused_with_the_fix_in_the_message():
    with pytest.raises(NotImplementedError, match="use register_full_backward_hook"):
        nn.Linear(1, 1).register_backward_hook(lambda *a: None)


def test_to_empty_keeps_shapes_and_parameter_identity():
    m = nn.Linear(3, 2)
    w = m.weight
    m.to_empty(device="cpu")
    assert m.weight is w
    assert w.shape == (2, 3)
