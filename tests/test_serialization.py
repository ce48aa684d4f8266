"""ndgrad.save / ndgrad.load: round trips, PyTorch's shapes, and files that try to hurt.

The format is the safetensors layout (8-byte length, JSON header, raw bytes) with ndgrad's
structure in the metadata; the hostile files below are written byte by byte.
"""

import collections
import io
import json
import math
import pickle
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

import ndgrad
from ndgrad.serialization import MAX_HEADER_BYTES, load, save

ALL_DTYPES = [
    ndgrad.bool,
    ndgrad.uint8,
    ndgrad.int8,
    ndgrad.int16,
    ndgrad.int32,
    ndgrad.int64,
    ndgrad.float16,
    ndgrad.float32,
    ndgrad.float64,
    ndgrad.complex64,
    ndgrad.complex128,
]


def _roundtrip(obj, **load_kw):
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    return load(buf, **load_kw)


def _sample(d, shape=(2, 3)):
    rng = np.random.default_rng(0)
    if d is ndgrad.bool:
        a = rng.random(shape) > 0.5
    elif d.is_complex:
        a = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    elif d.is_floating_point:
        a = rng.standard_normal(shape) * 100
    else:
        a = rng.integers(0, 100, shape)
    return ndgrad.from_numpy(np.asarray(a).astype(d.np))


def _same(a, b):
    assert type(a) is type(b)
    assert a.dtype == b.dtype
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def _file(header, data=b"", *, raw_header=None, length=None):
    """A file in the safetensors layout from a header dict (or raw header bytes)."""
    h = raw_header if raw_header is not None else json.dumps(header).encode()
    n = len(h) if length is None else length
    return struct.pack("<Q", n) + h + data


def _ndgrad_file(structure, tensors):
    """Hand-made ndgrad file: tensors is {name: (code, shape, bytes)}, laid out in order."""
    header = {"__metadata__": {"ndgrad.format": "1", "ndgrad.structure": json.dumps(structure)}}
    data, off = b"", 0
    for name, (code, shape, raw) in tensors.items():
        header[name] = {"dtype": code, "shape": shape, "data_offsets": [off, off + len(raw)]}
        data += raw
        off += len(raw)
    return _file(header, data)


def _load_error(raw, match, cls=RuntimeError):
    with pytest.raises(cls, match=match):
        load(io.BytesIO(raw))


# ----------------------------------------------------------------------- round trips


def test_save_and_load_are_wired_into_the_package_if_the_lead_exported_them():
    if hasattr(ndgrad, "save"):
        assert ndgrad.save is save
        assert ndgrad.load is load


@pytest.mark.parametrize("d", ALL_DTYPES, ids=lambda d: d.name)
def test_every_dtype_round_trips_bit_for_bit(d):
    t = _sample(d)
    _same(_roundtrip(t), t)


@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (1,), (2, 1, 3, 1)])
def test_zero_dim_and_empty_shapes_round_trip(shape):
    for d in (ndgrad.float32, ndgrad.complex128, ndgrad.bool):
        t = _sample(d, shape)
        _same(_roundtrip(t), t)


def test_special_floats_round_trip_exactly():
    t = ndgrad.tensor([math.nan, math.inf, -math.inf, -0.0, 5e-324], dtype=ndgrad.float64)
    back = _roundtrip(t).numpy()
    assert np.isnan(back[0])
    assert back[1] == math.inf
    assert back[2] == -math.inf
    assert math.copysign(1.0, back[3]) == -1.0
    assert back[4] == 5e-324


def test_views_and_non_contiguous_tensors_are_saved_as_their_values():
    base = ndgrad.arange(12.0).reshape(3, 4)
    obj = {"t": base.T, "row": base[1], "step": base[:, ::2], "base": base}
    back = _roundtrip(obj)
    for k, v in obj.items():
        _same(back[k], v)
    back["row"][0] = 100.0  # views load as independent copies
    assert back["base"][1, 0].item() == 4.0


def test_the_same_tensor_saved_twice_loads_as_one_object():
    t = ndgrad.ones(3)
    back = _roundtrip({"a": t, "b": [t, t]})
    assert back["a"] is back["b"][0] is back["b"][1]


def test_python_values_and_nesting_round_trip_with_their_types():
    obj = {
        "none": None,
        "flags": (True, False),
        "ints": [0, -1, 2**70],
        "floats": [1.5, -0.0, math.inf, -math.inf],
        "complex": 1 - 2j,
        "text": "día ✓",
        "bytes": b"\x00\xff",
        "nested": {"a": [{"b": ({"c": ndgrad.zeros(1)},)}]},
        "empty": [[], (), {}],
        "size": ndgrad.Size([2, 3]),
        "dtype": ndgrad.float16,
        "device": ndgrad.device("cpu"),
        1: "int key",
        (2, "x"): "tuple key",
        None: "none key",
    }
    back = _roundtrip(obj)
    assert list(back) == list(obj)
    for k in obj:
        if k != "nested":
            assert back[k] == obj[k], k
            assert type(back[k]) is type(obj[k]), k
    assert type(back["flags"][0]) is bool
    assert type(back["ints"][2]) is int
    assert isinstance(back["nested"]["a"][0]["b"], tuple)
    assert math.isnan(_roundtrip(math.nan))
    _same(back["nested"]["a"][0]["b"][0]["c"], obj["nested"]["a"][0]["b"][0]["c"])


def test_a_state_dict_round_trips_as_an_ordered_dict_with_its_metadata():
    sd = collections.OrderedDict([("fc.weight", ndgrad.randn(3, 2)), ("fc.bias", ndgrad.zeros(3))])
    sd._metadata = {"": {"version": 1}, "fc": {"version": 1}}
    back = _roundtrip(sd)
    assert type(back) is collections.OrderedDict
    assert list(back) == ["fc.weight", "fc.bias"]
    assert back._metadata == sd._metadata
    for k in sd:
        _same(back[k], sd[k])


def test_an_optimizer_state_dict_round_trips_with_int_keys():
    sd = {
        "state": {
            0: {"step": ndgrad.tensor(3.0), "exp_avg": ndgrad.ones(2, 2)},
            1: {"momentum_buffer": None},
        },
        "param_groups": [
            {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "foreach": None, "params": [0, 1]}
        ],
    }
    back = _roundtrip(sd)
    assert list(back["state"]) == [0, 1]
    assert back["param_groups"] == sd["param_groups"]
    assert isinstance(back["param_groups"][0]["betas"], tuple)
    _same(back["state"][0]["exp_avg"], sd["state"][0]["exp_avg"])
    assert back["state"][1] == {"momentum_buffer": None}


def test_numpy_arrays_and_scalars_load_as_numpy():
    obj = {"a": np.arange(6, dtype=np.int16).reshape(2, 3), "s": np.float32(2.5)}
    back = _roundtrip(obj)
    assert type(back["a"]) is np.ndarray
    assert back["a"].dtype == np.int16
    np.testing.assert_array_equal(back["a"], obj["a"])
    assert type(back["s"]) is np.float32
    assert back["s"] == 2.5


def test_loaded_tensors_are_fresh_leaves_that_keep_requires_grad_as_torch():
    w = ndgrad.ones(2, requires_grad=True)
    y = w * 2  # a non-leaf loads as a leaf, as in torch
    back = _roundtrip({"w": w, "y": y, "plain": ndgrad.ones(1)})
    for k in ("w", "y"):
        assert back[k].requires_grad
        assert back[k].is_leaf
        assert back[k].grad_fn is None
    assert not back["plain"].requires_grad
    back["y"].sum().backward()
    assert back["y"].grad.tolist() == [1.0, 1.0]
    assert w.grad is None


def test_a_loaded_tensor_owns_writable_memory():
    t = ndgrad.arange(4.0)
    back = _roundtrip(t)
    back.add_(1.0)
    assert back.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_parameters_load_as_parameters_when_ndgrad_has_them():
    nn = ndgrad.nn
    if not hasattr(nn, "Parameter"):
        pytest.skip("ndgrad.nn.Parameter is not there yet")
    p = nn.Parameter(ndgrad.ones(2))
    back = _roundtrip({"p": p})["p"]
    assert isinstance(back, nn.Parameter)
    assert back.requires_grad


def test_a_module_and_its_optimizer_resume_from_a_file(tmp_path):
    nn, optim = ndgrad.nn, ndgrad.optim
    if not (hasattr(nn, "Linear") and hasattr(optim, "Adam")):
        pytest.skip("ndgrad.nn.Linear / ndgrad.optim.Adam are not there yet")

    def step(model, opt):
        opt.zero_grad()
        model(ndgrad.ones(2, 3)).pow(2).sum().backward()
        opt.step()

    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.1)
    step(model, opt)
    save({"model": model.state_dict(), "opt": opt.state_dict()}, tmp_path / "ckpt.nd")
    ckpt = load(tmp_path / "ckpt.nd")
    model2 = nn.Linear(3, 2)
    opt2 = optim.Adam(model2.parameters(), lr=0.1)
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["opt"])
    step(model, opt)
    step(model2, opt2)
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_a_path_and_a_pathlike_both_work(tmp_path):
    sd = {"fc.weight": ndgrad.randn(2, 2), "z": ndgrad.zeros(3, dtype=ndgrad.complex64)}
    save(sd, str(tmp_path / "a.nd"))
    save(sd, tmp_path / "b.nd")
    for name in ("a.nd", "b.nd"):
        back = load(tmp_path / name)
        _same(back["fc.weight"], sd["fc.weight"])
        _same(back["z"], sd["z"])


def test_a_file_written_here_is_read_by_safetensors_where_it_is_installed(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    sd = {"fc.weight": ndgrad.randn(2, 2), "z": ndgrad.zeros(3, dtype=ndgrad.complex64)}
    save(sd, tmp_path / "a.nd")
    raw = st.load_file(str(tmp_path / "a.nd"))
    np.testing.assert_array_equal(raw["fc.weight"], sd["fc.weight"].numpy())
    assert raw["z"].shape == (3, 2)  # complex as (real, imaginary) pairs


def test_a_plain_safetensors_file_loads_as_a_dict_of_tensors():
    raw = _file(
        {
            "__metadata__": {"format": "np"},
            "a": {"dtype": "I16", "shape": [2], "data_offsets": [0, 4]},
            "b": {"dtype": "F32", "shape": [], "data_offsets": [4, 8]},
        },
        np.array([1, -2], "<i2").tobytes() + np.array(0.5, "<f4").tobytes(),
    )
    back = load(io.BytesIO(raw))
    assert back["a"].dtype == ndgrad.int16
    assert back["a"].tolist() == [1, -2]
    assert back["b"].item() == 0.5


def test_several_objects_can_follow_each_other_in_one_stream():
    buf = io.BytesIO()
    save(ndgrad.ones(2), buf)
    save({"k": 3}, buf)
    buf.seek(0)
    assert load(buf).tolist() == [1.0, 1.0]
    assert load(buf) == {"k": 3}


def test_a_non_seekable_stream_loads():
    buf = io.BytesIO()
    save({"x": ndgrad.arange(5)}, buf)

    class Pipe(io.RawIOBase):
        def __init__(self, data):
            self.data = data

        def readable(self):
            return True

        def readinto(self, b):
            n = min(len(b), len(self.data), 3)  # a slow pipe: three bytes at a time
            b[:n], self.data = self.data[:n], self.data[n:]
            return n

    assert load(Pipe(buf.getvalue()))["x"].tolist() == [0, 1, 2, 3, 4]


def test_mmap_loads_copy_on_write_from_a_path(tmp_path):
    path = tmp_path / "m.nd"
    save({"w": ndgrad.arange(6.0).reshape(2, 3)}, path)
    before = path.read_bytes()
    back = load(path, mmap=True)
    assert back["w"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    back["w"].add_(1.0)
    assert path.read_bytes() == before
    with pytest.raises(ValueError, match="file path"):
        load(io.BytesIO(before), mmap=True)


def test_map_location_accepts_cpu_and_devices_and_refuses_functions():
    t = ndgrad.ones(2)
    for loc in (None, "cpu", ndgrad.device("cpu"), {"cpu": "cpu"}):
        assert _roundtrip(t, map_location=loc).device == ndgrad.device("cpu")
    with pytest.raises(TypeError, match="no storages"):
        _roundtrip(t, map_location=lambda storage, loc: storage)
    with pytest.raises(ValueError, match="map_location"):
        _roundtrip(t, map_location="tpu")
    with pytest.raises(TypeError, match="map_location"):
        _roundtrip(t, map_location=3)


def test_weights_only_is_accepted_and_loading_is_always_safe():
    t = ndgrad.ones(2)
    for wo in (None, True, False):
        assert _roundtrip(t, weights_only=wo).tolist() == [1.0, 1.0]


def test_pickle_arguments_are_refused():
    buf = io.BytesIO()
    with pytest.raises(ValueError, match="never pickles"):
        save(1, buf, pickle_module=pickle)
    with pytest.raises(ValueError, match="never pickles"):
        save(1, buf, pickle_protocol=4)
    save(1, buf)
    buf.seek(0)
    with pytest.raises(TypeError, match="never unpickles"):
        load(buf, pickle_module=pickle)
    with pytest.raises(TypeError, match="encoding"):
        load(buf, encoding="latin1")


def test_objects_that_would_need_pickle_are_refused_at_save_naming_where():
    class Thing:
        pass

    with pytest.raises(TypeError, match=r"Thing at obj\['a'\]\[1\]"):
        save({"a": [1, Thing()]}, io.BytesIO())
    with pytest.raises(TypeError, match="namedtuple|Point"):
        save(collections.namedtuple("Point", "x y")(1, 2), io.BytesIO())
    with pytest.raises(TypeError, match="dict key"):
        save({ndgrad.ones(1): 1}, io.BytesIO())
    for bad in (np.array([None]), np.array(["a"]), np.array([1], np.uint16)):
        with pytest.raises(TypeError, match=f"NumPy array at the top level of dtype {bad.dtype}"):
            save(bad, io.BytesIO())


def test_a_big_endian_numpy_array_is_saved_by_value():
    a = np.arange(3, dtype=">f4")
    back = _roundtrip(a)
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, a)


def test_a_cycle_is_refused_at_save():
    a = [1]
    a.append(a)
    with pytest.raises(ValueError, match="contains itself"):
        save(a, io.BytesIO())


def test_save_refuses_what_is_not_a_path_or_a_file():
    with pytest.raises(TypeError, match="path"):
        save(1, 42)
    with pytest.raises(TypeError, match="path"):
        load(42)


# ------------------------------------------------------------------ torch compatibility


def test_a_state_dict_has_the_names_shapes_and_dtypes_torch_would_save():
    torch = pytest.importorskip("torch")
    tm = torch.nn.Linear(3, 2)
    sd = {k: ndgrad.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    back = _roundtrip(sd)
    assert list(back) == list(tm.state_dict())
    for k, v in tm.state_dict().items():
        assert tuple(back[k].shape) == tuple(v.shape)
        np.testing.assert_array_equal(back[k].numpy(), v.numpy())


def test_torch_loads_a_state_dict_that_ndgrad_saved_through_safetensors(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    tm = torch.nn.Linear(3, 2)
    sd = {k: ndgrad.zeros(*v.shape) for k, v in tm.state_dict().items()}
    save(sd, tmp_path / "sd.nd")
    tm.load_state_dict(st.load_file(str(tmp_path / "sd.nd")))  # torch reads ndgrad's file


def test_a_torch_style_optimizer_state_dict_round_trips():
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.Adam([p], lr=0.1)
    p.sum().backward()
    opt.step()
    tsd = opt.state_dict()

    def to_nd(v):
        if isinstance(v, torch.Tensor):
            return ndgrad.from_numpy(v.numpy().copy())
        if isinstance(v, dict):
            return {k: to_nd(x) for k, x in v.items()}
        if isinstance(v, list):
            return [to_nd(x) for x in v]
        return v

    back = _roundtrip(to_nd(tsd))
    assert back["param_groups"] == tsd["param_groups"]
    assert set(back["state"][0]) == set(tsd["state"][0])
    for k, v in tsd["state"][0].items():
        np.testing.assert_array_equal(back["state"][0][k].numpy(), v.numpy())


# ----------------------------------------------------------------------- hostile files


class _Marker:
    """Unpickling this writes a file: the test asserts it never appears."""

    path = ""

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_pickle_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    _Marker.path = str(marker)
    for proto in (2, 4, 5):
        raw = pickle.dumps(_Marker(), protocol=proto)
        assert raw[:1] == b"\x80"
        with pytest.raises(RuntimeError, match="pickle.*never unpickles"):
            load(io.BytesIO(raw))
        (tmp_path / "p.pt").write_bytes(raw)
        with pytest.raises(RuntimeError, match="never unpickles"):
            load(tmp_path / "p.pt")
    assert not marker.exists()


def test_a_torch_zip_archive_with_data_pkl_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    _Marker.path = str(marker)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(_Marker(), protocol=2))
        z.writestr("archive/version", "3\n")
    with pytest.raises(RuntimeError, match="zip archive.*data.pkl.*never unpickles"):
        load(io.BytesIO(buf.getvalue()))
    assert not marker.exists()


def test_a_real_torch_save_file_is_refused():
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buf)
    _load_error(buf.getvalue(), "zip archive")
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buf, _use_new_zipfile_serialization=False)
    _load_error(buf.getvalue(), "pickle")


def test_a_numpy_file_is_refused_with_a_hint():
    buf = io.BytesIO()
    np.save(buf, np.ones(3))
    _load_error(buf.getvalue(), "npy")


def test_an_empty_or_tiny_file_is_refused():
    _load_error(b"", "0 bytes")
    _load_error(b"\x01\x02", "2 bytes")


def test_a_header_length_larger_than_the_file_is_refused_before_reading_it():
    raw = struct.pack("<Q", 10**12) + b"{}" + b" " * 4086
    _load_error(raw, r"header claims 1000000000000 bytes but the file has 4088.*truncated")


def test_a_header_length_claim_in_a_stream_allocates_only_what_arrives():
    with pytest.raises(RuntimeError, match="more than the limit"):
        load(_Stream(struct.pack("<Q", 2**63) + b"{}"))
    with pytest.raises(RuntimeError, match="ended after 2 of the 1000 bytes of the header"):
        load(_Stream(struct.pack("<Q", 1000) + b"{}"))


def test_an_oversized_header_is_refused_even_when_the_file_is_that_large(tmp_path):
    path = tmp_path / "big.nd"
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", MAX_HEADER_BYTES + 1) + b"{")
        fh.truncate(8 + MAX_HEADER_BYTES + 1)  # sparse: no disk used
    with pytest.raises(RuntimeError, match="more than the limit"):
        load(path)


def test_a_header_that_is_not_json_is_refused():
    _load_error(_file(None, raw_header=b"{not json"), "not valid JSON")
    _load_error(_file(None, raw_header=b"[1, 2]"), "does not start with")
    _load_error(_file(None, raw_header=b'{"a": NaN}'), "not valid JSON")
    _load_error(_file(None, raw_header=b'{"a": 1, "a": 2}'), "duplicate key")
    _load_error(_file(None, raw_header=b'{"\xff": 1}'), "not valid JSON")
    deep = b'{"a":' + b"[" * 100000 + b"]" * 100000 + b"}"
    _load_error(_file(None, raw_header=deep), "nested too deeply")


def test_a_header_entry_that_is_not_a_tensor_description_is_refused():
    _load_error(_file({"a": 1}), "not an object")
    _load_error(_file({"__metadata__": {"k": 1}}), "__metadata__")
    bad_shapes = [None, "3", [1.5], [True], [-1]]
    for shape in bad_shapes:
        entry = {"dtype": "F32", "shape": shape, "data_offsets": [0, 4]}
        _load_error(_file({"a": entry}, b"\0" * 4), "shape|negative")
    entry = {"dtype": "F32", "shape": [1] * 65, "data_offsets": [0, 4]}
    _load_error(_file({"a": entry}, b"\0" * 4), "65 dimensions")
    for offs in [None, [0], [0, "4"], [4, 0], [-4, 0], [0, 4, 8]]:
        entry = {"dtype": "F32", "shape": [1], "data_offsets": offs}
        _load_error(_file({"a": entry}, b"\0" * 4), "data_offsets")


def test_an_unknown_or_unsupported_dtype_is_refused():
    entry = {"dtype": "Q7", "shape": [1], "data_offsets": [0, 4]}
    _load_error(_file({"a": entry}, b"\0" * 4), "unknown dtype 'Q7'")
    entry = {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}
    _load_error(_file({"a": entry}, b"\0" * 4), "BF16, which ndgrad has no dtype for")


def test_a_shape_whose_byte_size_disagrees_with_its_offsets_is_refused():
    entry = {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 4]}
    _load_error(_file({"a": entry}, b"\0" * 4), r"needs 24 bytes but .* hold 4")
    huge = {"dtype": "F64", "shape": [2**20, 2**20], "data_offsets": [0, 8]}
    _load_error(_file({"a": huge}, b"\0" * 8), "needs 8796093022208 bytes")


def test_an_empty_shape_with_dimensions_no_array_can_have_is_refused():
    for shape in ([0, 2**40, 2**40], [0, 10**100]):
        entry = {"dtype": "F32", "shape": shape, "data_offsets": [0, 0]}
        _load_error(_file({"a": entry}), "too large for any array")


def test_offsets_out_of_range_overlapping_or_with_gaps_are_refused():
    def two(b_offsets, data_len=8):
        a = {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}
        b = {"dtype": "F32", "shape": [1], "data_offsets": b_offsets}
        return _file({"a": a, "b": b}, b"\0" * data_len)

    _load_error(two([4, 8], data_len=6), "take 8 bytes but the file has 6.*truncated")
    _load_error(two([2, 6]), "overlap")
    _load_error(two([6, 10], data_len=10), "bytes 4 to 6 of the data belong to no tensor")
    _load_error(two([10**15, 10**15 + 4]), "belong to no tensor")


def test_a_truncated_file_is_refused_at_every_cut():
    buf = io.BytesIO()
    save({"w": ndgrad.arange(10.0), "n": 3}, buf)
    raw = buf.getvalue()
    for cut in (1, 7, 8, 20, len(raw) - 41, len(raw) - 1):
        with pytest.raises(RuntimeError, match="ndgrad.load"):
            load(io.BytesIO(raw[:cut]))


def test_extra_bytes_after_the_last_tensor_in_a_file_are_refused(tmp_path):
    path = tmp_path / "x.nd"
    save(ndgrad.ones(2), path)
    path.write_bytes(path.read_bytes() + b"junk")
    with pytest.raises(RuntimeError, match="4 bytes after the last tensor"):
        load(path)


def test_a_tampered_structure_is_refused():
    f32 = ("F32", [3], np.zeros(3, "<f4").tobytes())
    cases = [
        ({"tensor": "missing", "dtype": "float32"}, "does not list"),
        ({"tensor": "t", "dtype": "float64"}, "float64 in the structure but float32"),
        ({"tensor": "t", "dtype": "complex64"}, "last dimension of 2"),
        ({"tensor": "t", "dtype": "float32", "evil": 1}, "describes tensor"),
        (
            {"list": [{"tensor": "t", "dtype": "float32"}, {"tensor": "t", "dtype": "int8"}]},
            "twice",
        ),
        ({"ndarray": "t", "dtype": "float32", "requires_grad": "yes"}, "describes"),
        ({"exec": "import os"}, "not an ndgrad value"),
        ({"list": 5}, "not an ndgrad value"),
        ({"dict": [[["unhashable"], 1]]}, "not an ndgrad value|hashed"),
        ({"dict": [[{"list": []}, 1]]}, "cannot be hashed"),
        ({"float": "1e999999"}, "not an ndgrad value"),
        ([1, 2], "not an ndgrad value"),
    ]
    for structure, match in cases:
        _load_error(_ndgrad_file(structure, {"t": f32}), match)
    _load_error(_ndgrad_file(None, {"t": f32}), "never uses")
    meta_only = {"__metadata__": {"ndgrad.format": "1", "ndgrad.structure": "{oops"}}
    _load_error(_file(meta_only), "structure in the metadata is not valid JSON")
    _load_error(_file({"__metadata__": {"ndgrad.format": "99"}}), "format '99'")
    deep = '{"list":[' * 150 + "]}" * 150
    _load_error(_ndgrad_file(json.loads(deep), {}), "nested more than 100 levels deep")


def test_requires_grad_on_an_integer_tensor_in_a_file_is_refused():
    i8 = ("I8", [2], b"\x01\x02")
    raw = _ndgrad_file({"tensor": "t", "dtype": "int8", "requires_grad": True}, {"t": i8})
    _load_error(raw, "marked requires_grad")


class _Stream(io.RawIOBase):
    """A stream that cannot seek, so the loader cannot learn the file's size in advance."""

    def __init__(self, data):
        self.data = data

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), len(self.data))
        b[:n], self.data = self.data[:n], self.data[n:]
        return n


def test_loading_never_allocates_what_a_header_claims_before_the_bytes_arrive():
    tensor_claim = {"a": {"dtype": "F64", "shape": [2**37], "data_offsets": [0, 2**40]}}
    cases = [
        (struct.pack("<Q", 90_000_000) + b"{" + b" " * 100, "ended after 101 of the 90000000"),
        (_file(tensor_claim, b"\0" * 64), "ended after 64 of the 1099511627776 bytes"),
    ]
    for raw, match in cases:
        for f in (io.BytesIO(raw), _Stream(raw)):
            tracemalloc.start()
            try:
                with pytest.raises(RuntimeError, match=match + "|truncated"):
                    load(f)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            assert peak < 8 * 2**20, peak


def test_a_file_written_here_has_the_safetensors_layout():
    buf = io.BytesIO()
    save({"w": ndgrad.ones(2, 3), "i": ndgrad.tensor([1, 2], dtype=ndgrad.int16)}, buf)
    raw = buf.getvalue()
    (n,) = struct.unpack("<Q", raw[:8])
    assert (8 + n) % 8 == 0
    header = json.loads(raw[8 : 8 + n])
    assert header["w"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    assert header["i"] == {"dtype": "I16", "shape": [2], "data_offsets": [24, 28]}
    assert len(raw) == 8 + n + 28
