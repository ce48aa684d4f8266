"""``ndgrad.save`` and ``ndgrad.load``: files of tensors that cannot run code.

Why not pickle: ``torch.save`` pickles, and unpickling runs whatever the file says (a
``__reduce__`` can call any function). ndgrad never unpickles: ``load`` refuses pickles and
``torch.save``'s zip archives (which hold one, ``data.pkl``) with an error saying so.

The format is the **safetensors byte layout**, written and read with NumPy (the layout is small
and documented; the ``safetensors`` package is not needed, and a file ndgrad writes can be read
by it where it is installed, e.g. ``safetensors.numpy.load_file``)::

    8 bytes      N, the header length, unsigned little-endian
    N bytes      a JSON object (UTF-8, padded with spaces so the data starts 8-byte aligned):
                   {"__metadata__": {"ndgrad.format": "1", "ndgrad.structure": "<JSON>"},
                    "<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
                    ...}
    the rest     the tensors' bytes, little-endian, C order, back to back; offsets count from
                 the end of the header and cover the rest exactly, without gaps or overlaps

Tensors are named by where they sit in the saved object (``"fc.weight"`` for a state dict, so
other safetensors readers see the usual names; ``"state.0.exp_avg"`` in an optimizer's), and
sorted so each one starts aligned to its item size. What safetensors cannot say goes into the
``ndgrad.structure`` metadata string: the nesting (dicts, ``OrderedDict``, lists, tuples), the
Python values (``None``, bools, ints, floats incl. ``nan``/``inf``, complex, strings, bytes,
``ndgrad.Size``, dtypes, devices) and, per tensor, its dtype, ``requires_grad``, whether it was an
``nn.Parameter`` and its device. Complex tensors are stored as real arrays with a last dimension
of 2 (real, imaginary), as safetensors has no complex dtype. NumPy arrays and scalars are saved too,
and load as NumPy.

What ``load`` gives back, as ``torch.load``: fresh leaf tensors (no ``grad_fn``) that keep
``requires_grad``; a tensor saved twice in one object (the same Python object) loads as one
object. Unlike PyTorch, views and tensors sharing memory are saved as separate, contiguous copies
and load as independent tensors. A file without ndgrad's metadata (any safetensors file) loads as
a dict of tensors by name.

Hostile files: ``load`` checks the header against the file before it reads any tensor (lengths,
offsets inside the data and tiling it, dtypes, shapes whose byte size matches the offsets,
dimensions non-negative) and allocates only what the file holds (from a stream that cannot say
its size, only what has arrived). Then the structure is checked node by node as it is built
(tensor references, attributes, dict keys given once and of the types ``save`` writes, bool
bytes 0 or 1). Nesting is bounded (``_MAX_DEPTH`` for the structure, the JSON parser's limit for
the header) and values from the file are quoted in messages through a bounded ``reprlib``. Each
problem is a ``RuntimeError`` beginning ``ndgrad.load:`` that names it; misuse of the arguments
(a text-mode file, a bad ``map_location``) is a ``TypeError`` or ``ValueError`` saying so.

``save`` checks and converts the whole object before it opens ``f``, so an object it cannot save
leaves the target path untouched; if writing itself fails (a full disk), the partial file is
removed.
"""

from __future__ import annotations

import base64
import collections
import io
import json
import math
import os
import reprlib
import stat
from typing import IO, Any

import numpy as np

from . import _backend
from ._core import dtypes as _dt
from ._core.construct import from_numpy
from ._core.tensor import Size, Tensor, device

__all__ = ["load", "save"]

FORMAT_VERSION = "1"
_FORMAT_KEY = "ndgrad.format"
_STRUCTURE_KEY = "ndgrad.structure"
MAX_HEADER_BYTES = 100_000_000  # safetensors' own limit
_MAX_DEPTH = 100  # nesting of the saved object (a state dict is 1 deep, an optimizer's 4)
_MAX_NDIM = 64  # NumPy's
_CHUNK = 1 << 20  # stream reads grow by at most 1 MiB beyond what has arrived

# ndgrad dtype name -> (safetensors code, little-endian NumPy dtype of the stored values)
_CODES: dict[str, tuple[str, np.dtype]] = {
    "bool": ("BOOL", np.dtype("|b1")),
    "uint8": ("U8", np.dtype("|u1")),
    "int8": ("I8", np.dtype("|i1")),
    "int16": ("I16", np.dtype("<i2")),
    "int32": ("I32", np.dtype("<i4")),
    "int64": ("I64", np.dtype("<i8")),
    "float16": ("F16", np.dtype("<f2")),
    "float32": ("F32", np.dtype("<f4")),
    "float64": ("F64", np.dtype("<f8")),
    "complex64": ("F32", np.dtype("<f4")),  # (..., 2): real, imaginary
    "complex128": ("F64", np.dtype("<f8")),
}
_BY_CODE: dict[str, np.dtype] = {
    code: npd for name, (code, npd) in _CODES.items() if "complex" not in name
}
# safetensors dtypes that ndgrad has no dtype for
_UNSUPPORTED = {"BF16", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2",
                "F4", "C64"}  # fmt: skip


# ----------------------------------------------------------------------------------- save


class _Writer:
    """Walks the object once: the structure (JSON-ready) and the arrays to write, by name."""

    def __init__(self) -> None:
        self.arrays: list[tuple[str, np.ndarray, str]] = []  # name, stored array, code
        self.names: set[str] = {"__metadata__"}
        self.seen: dict[int, tuple[Any, dict]] = {}  # id -> (the object, kept alive; its node)
        self.active: set[int] = set()  # containers on the current path (cycle check)

    def name_for(self, path: list[Any]) -> str:
        base = ".".join(str(p) for p in path) if path else "tensor"
        name, k = base, 1
        while name in self.names:
            k += 1
            name = f"{base}#{k}"
        self.names.add(name)
        return name

    def payload(self, obj: Any, path: list[Any], node: dict, a: np.ndarray, where: str) -> dict:
        """Record array ``a`` (host NumPy) under a new name; ``node`` is what the structure says."""
        dname = a.dtype.newbyteorder("=").name if a.dtype.kind in "biufc" else str(a.dtype)
        if dname not in _CODES:
            raise TypeError(
                f"ndgrad.save: cannot save {where} of dtype {a.dtype}; hint: ndgrad files hold "
                f"the dtypes {', '.join(_CODES)}"
            )
        d = _dt.to_dtype(dname)
        code, npd = _CODES[dname]
        if d.is_complex:
            a = np.stack([a.real, a.imag], axis=-1)
        stored = np.asarray(a, dtype=npd, order="C")  # (ascontiguousarray makes 0-d 1-d)
        name = self.name_for(path)
        self.arrays.append((name, stored, code))
        tag = next(iter(node))
        node = {**node, tag: name, "dtype": d.name}
        self.seen[id(obj)] = (obj, node)
        return node

    def encode(self, obj: Any, path: list[Any], depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise ValueError(
                f"ndgrad.save: the object is nested more than {_MAX_DEPTH} levels deep at "
                f"{_where(path)}; hint: flatten it"
            )
        t = type(obj)
        if t is int and obj.bit_length() > 4000:  # JSON would need more digits than allowed
            try:
                str(obj)
            except ValueError as e:
                raise ValueError(
                    f"ndgrad.save: the int at {_where(path)} has too many digits to write ({e}); "
                    "hint: save it as bytes, e.g. n.to_bytes(...)"
                ) from None
        if obj is None or t is bool or t is int or t is str:
            return obj
        if t is float:
            return obj if math.isfinite(obj) else {"float": repr(obj)}
        if t is complex:
            return {
                "complex": [
                    self.encode(obj.real, path, depth + 1),  # as deep as load will count them
                    self.encode(obj.imag, path, depth + 1),
                ]
            }
        if t is bytes:
            return {"bytes": base64.b64encode(obj).decode("ascii")}
        if id(obj) in self.seen:  # the same tensor or array again: one payload, one object
            return self.seen[id(obj)][1]
        if isinstance(obj, Tensor):
            return self.tensor(obj, path)
        if isinstance(obj, np.ndarray):
            if t is not np.ndarray and not isinstance(obj, np.memmap):  # a mask would be lost
                raise TypeError(
                    f"ndgrad.save: cannot save the {t.__module__}.{t.__qualname__} at "
                    f"{_where(path)}: it would load as a plain NumPy array, losing what the "
                    "subclass adds (a mask, matrix semantics); hint: save numpy.asarray(a) and "
                    "what else it needs (e.g. a.mask) as separate entries"
                )
            return self.payload(
                obj, path, {"ndarray": None}, obj, f"the NumPy array at {_where(path)}"
            )
        if isinstance(obj, np.generic):
            return self.payload(
                obj,
                path,
                {"npscalar": None},
                np.asarray(obj),
                f"the NumPy scalar at {_where(path)}",
            )
        if t is Size:
            return {"size": [int(s) for s in obj]}
        if t is _dt.dtype:
            return {"dtype_value": obj.name}
        if t is device:
            return {"device": str(obj)}
        if t in (list, tuple, dict, collections.OrderedDict):
            if id(obj) in self.active:
                raise ValueError(
                    f"ndgrad.save: the object contains itself at {_where(path)} (a reference "
                    "cycle); hint: ndgrad files hold trees of values, not cycles"
                )
            self.active.add(id(obj))
            try:
                return self.container(obj, t, path, depth)
            finally:
                self.active.discard(id(obj))
        raise TypeError(
            f"ndgrad.save: cannot save an object of type {t.__module__}.{t.__qualname__} at "
            f"{_where(path)}; ndgrad files hold tensors, NumPy arrays, None, bools, ints, floats, "
            "complex numbers, strings, bytes and dicts, OrderedDicts, lists and tuples of them, "
            "in a format that cannot run code (no pickle); hint: save a state_dict(), or turn "
            "the object into those types first"
        )

    def tensor(self, obj: Tensor, path: list[Any]) -> dict:
        node: dict[str, Any] = {"tensor": None}
        if obj.requires_grad:
            node["requires_grad"] = True
        if _is_parameter(obj):
            node["parameter"] = True
        dev = str(obj.device)
        if dev != "cpu":
            node["device"] = dev
        return self.payload(
            obj, path, node, _backend.to_numpy(obj._data), f"the tensor at {_where(path)}"
        )

    def container(self, obj: Any, t: type, path: list[Any], depth: int) -> dict:
        if t is list or t is tuple:
            items = [self.encode(v, [*path, i], depth + 1) for i, v in enumerate(obj)]
            return {t.__name__: items}
        pairs = []
        for k, v in obj.items():
            pairs.append([self.key(k, path, depth + 1), self.encode(v, [*path, k], depth + 1)])
        if t is dict:
            return {"dict": pairs}
        node: dict[str, Any] = {"odict": pairs}
        meta = getattr(obj, "_metadata", None)  # nn.Module.state_dict's version record
        if meta is not None:
            node["_metadata"] = self.encode(meta, [*path, "_metadata"], depth + 1)
        return node

    def key(self, k: Any, path: list[Any], depth: int) -> Any:
        t = type(k)
        if k is None or t in (bool, int, float, str, complex, bytes):
            return self.encode(k, path, depth)
        if t is tuple:
            if depth > _MAX_DEPTH:
                raise ValueError(
                    f"ndgrad.save: a dict key at {_where(path)} is nested more than {_MAX_DEPTH} "
                    "levels deep (counting the containers around it); hint: flatten it"
                )
            return {"tuple": [self.key(v, path, depth + 1) for v in k]}
        raise TypeError(
            f"ndgrad.save: cannot save a dict key of type {t.__qualname__} at {_where(path)}; "
            "hint: keys may be None, bools, ints, floats, strings, bytes or tuples of them"
        )


def _where(path: list[Any]) -> str:
    return "obj" + "".join(f"[{p!r}]" for p in path) if path else "the top level"


def _is_parameter(t: Tensor) -> bool:
    from . import nn

    cls = getattr(nn, "Parameter", None)
    return (cls is not None and isinstance(t, cls)) or type(t).__name__ == "Parameter"


def save(
    obj: Any,
    f: str | os.PathLike | IO[bytes],
    pickle_module: Any = None,
    pickle_protocol: Any = None,
) -> None:
    """Save ``obj`` (tensors, state dicts, nested containers of values) to a path or binary file.

    The file is in the safetensors layout with ndgrad's structure in its metadata (see the module
    docstring); it holds no code. Tensors are saved as contiguous copies of their values, with
    their dtype, ``requires_grad`` and device. ``pickle_module`` and ``pickle_protocol`` exist for
    PyTorch's signature and are refused: ndgrad never pickles.

    Example:
        >>> import io, ndgrad
        >>> from ndgrad.serialization import load, save
        >>> buf = io.BytesIO()
        >>> save({"w": ndgrad.ones(2, 3), "step": 7}, buf)
        >>> _ = buf.seek(0)
        >>> back = load(buf)
        >>> back["step"], back["w"].shape
        (7, ndgrad.Size([2, 3]))
    """
    if pickle_module is not None or pickle_protocol is not None:
        raise ValueError(
            "ndgrad.save never pickles (its files cannot run code), so pickle_module and "
            "pickle_protocol cannot be used; hint: drop them"
        )
    w = _Writer()
    structure = w.encode(obj, [], 0)
    # Largest items first, so that every tensor starts aligned to its item size.
    order = sorted(range(len(w.arrays)), key=lambda i: -w.arrays[i][1].dtype.itemsize)
    header: dict[str, Any] = {
        "__metadata__": {
            _FORMAT_KEY: FORMAT_VERSION,
            _STRUCTURE_KEY: json.dumps(structure, separators=(",", ":"), allow_nan=False),
        }
    }
    offset = 0
    for i in order:
        name, a, code = w.arrays[i]
        header[name] = {
            "dtype": code,
            "shape": list(a.shape),
            "data_offsets": [offset, offset + a.nbytes],
        }
        offset += a.nbytes
    raw = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    arrays = [w.arrays[i][1] for i in order]
    # Everything that can fail because of obj has failed by now, before f is touched.
    if isinstance(f, (str, os.PathLike)):
        _write_path(f, raw, arrays)
    elif isinstance(f, io.TextIOBase):
        raise TypeError(
            "ndgrad.save: f is a text file; open it in binary mode ('wb'), as ndgrad files are "
            "bytes"
        )
    elif callable(getattr(f, "write", None)):
        _write(f, raw, arrays)
    else:
        raise TypeError(
            f"ndgrad.save: f must be a path (str or os.PathLike) or a binary file object with "
            f"write(), not {type(f).__name__}"
        )


def _write_path(f: str | os.PathLike, raw: bytes, arrays: list[np.ndarray]) -> None:
    """Write to a path; if writing fails (a full disk, an interrupt), leave no truncated file."""
    with open(f, "wb") as fh:
        try:
            _write(fh, raw, arrays)
            fh.flush()
        except BaseException:
            try:  # only a regular file: never unlink what a path to a device or pipe names
                if stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                    if os.path.islink(f):  # keep the link, empty its target
                        fh.truncate(0)
                    else:
                        os.unlink(f)
            except OSError:
                pass
            raise


def _write(fh: IO[bytes], raw: bytes, arrays: list[np.ndarray]) -> None:
    fh.write(len(raw).to_bytes(8, "little"))
    fh.write(raw)
    for a in arrays:
        if a.nbytes:
            fh.write(memoryview(a.reshape(-1).view(np.uint8)))  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------- load


def _bad(msg: str) -> RuntimeError:
    return RuntimeError(f"ndgrad.load: {msg}")


def _not_ndgrad(head: bytes, otherwise: str) -> RuntimeError:
    """The error for a file that is not ndgrad's: name what it looks like, if we can tell."""
    never = (
        "ndgrad never unpickles, as unpickling can run any code; hint: in PyTorch, "
        "torch.load(f, weights_only=True) it and save the tensors again with ndgrad.save, or with "
        "safetensors"
    )
    if head[:1] == b"\x80" and head[1:2] in (b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"):
        return _bad(
            f"this is a pickle (as torch.save before PyTorch 1.6, or pickle.dump, write); {never}"
        )
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _bad(
            "this is a zip archive, as torch.save writes (its data.pkl is a pickle) or "
            f"numpy.savez; {never} (for .npz use numpy.load(f, allow_pickle=False))"
        )
    if head[:6] == b"\x93NUMPY":
        return _bad(
            "this is a NumPy .npy file; hint: read it with numpy.load(f, allow_pickle=False)"
        )
    return _bad(otherwise)


def _what(what: str, name: str | None) -> str:
    return what if name is None else f"{what} {_short(name)}"


def _read_some(fh: IO[bytes], k: int) -> bytes:
    """At most ``k`` bytes from ``fh`` (``b""`` at the end), checking what the file object gives."""
    chunk = fh.read(k)
    if chunk is None:  # a non-blocking stream with nothing there yet: as torch, treat as the end
        return b""
    if isinstance(chunk, str):
        raise TypeError(
            "ndgrad.load: f.read() returned str; open the file in binary mode ('rb'), as "
            "ndgrad files are bytes"
        )
    if not isinstance(chunk, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"ndgrad.load: f.read() returned {type(chunk).__name__}, not bytes; f must be a "
            "binary file object"
        )
    if len(chunk) > k:
        raise RuntimeError(
            f"ndgrad.load: f.read({k}) returned {len(chunk)} bytes, more than asked for; f is "
            "not a well-behaved binary file object"
        )
    return bytes(chunk)


class _Reader:
    """Reads exactly what the header allows from a file object, never more than arrived."""

    def __init__(self, fh: IO[bytes], avail: int | None) -> None:
        self.fh = fh
        self.avail = avail  # bytes from the start to the end of the file, if the file can tell

    def read(self, n: int, what: str, name: str | None = None) -> bytearray:
        """``n`` bytes of ``what`` (or of tensor ``name``: named only if an error needs it)."""
        if self.avail is not None:  # n was checked against the file's size: one buffer
            buf = bytearray(n)
            view, got = memoryview(buf), 0
            readinto = getattr(self.fh, "readinto", None)
            while got < n:
                if readinto is None:
                    chunk = _read_some(self.fh, n - got)
                    k = len(chunk)
                    view[got : got + k] = chunk
                else:  # straight into the buffer, no copy
                    k = readinto(view[got:]) or 0  # None: a non-blocking stream ran dry
                    if type(k) is not int or not 0 <= k <= n - got:
                        raise RuntimeError(
                            f"ndgrad.load: f.readinto() returned {_short(k)} for a buffer of "
                            f"{n - got} bytes; f is not a well-behaved binary file object"
                        )
                if not k:
                    break
                got += k
            if got < n:
                raise _bad(
                    f"the file ended after {got} of the {n} bytes of {_what(what, name)}; it is "
                    "truncated"
                )
            return buf
        buf = bytearray()  # grows only with what arrives
        while len(buf) < n:
            chunk = _read_some(self.fh, min(_CHUNK, n - len(buf)))
            if not chunk:
                raise _bad(
                    f"the file ended after {len(buf)} of the {n} bytes of {_what(what, name)}; it "
                    "is truncated or not an ndgrad file"
                )
            buf += chunk
        return buf


def _json(raw: bytes | str, what: str) -> Any:
    def pairs(items: list) -> dict:
        d: dict = {}
        for k, v in items:
            if k in d:
                raise ValueError(f"duplicate key {k!r}")
            d[k] = v
        return d

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
        return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except RecursionError:
        raise _bad(f"{what} is nested too deeply to be an ndgrad file") from None
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError, our checks
        raise _bad(
            f"{what} is not valid JSON ({e}); the file is damaged or not an ndgrad file"
        ) from None


def _is_int(v: Any) -> bool:
    return type(v) is int


def _check_entries(
    header: dict, data_avail: int | None
) -> list[tuple[str, np.dtype, tuple, int, int]]:
    """Every tensor entry checked, in offset order; the entries must tile the data exactly."""
    entries = []
    for name, info in header.items():
        if not isinstance(info, dict):
            raise _bad(f"the header entry of tensor {_short(name)} is not an object")
        code, shape, offs = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if not isinstance(code, str) or code not in _BY_CODE:
            if isinstance(code, str) and code in _UNSUPPORTED:
                raise _bad(f"tensor {_short(name)} has dtype {code}, which ndgrad has no dtype for")
            raise _bad(
                f"tensor {_short(name)} has an unknown dtype {_short(code)}; known: "
                f"{', '.join(_BY_CODE)}"
            )
        if not isinstance(shape, list) or not all(_is_int(s) for s in shape):
            raise _bad(
                f"tensor {_short(name)} has shape {_short(shape)}; a shape is a list of integers"
            )
        if len(shape) > _MAX_NDIM:
            raise _bad(
                f"tensor {_short(name)} has {len(shape)} dimensions; at most {_MAX_NDIM} are "
                "allowed"
            )
        if any(s < 0 for s in shape):
            raise _bad(f"tensor {_short(name)} has a negative dimension in shape {_short(shape)}")
        if not (isinstance(offs, list) and len(offs) == 2 and all(_is_int(o) for o in offs)):
            raise _bad(
                f"tensor {_short(name)} has data_offsets {_short(offs)}; expected [begin, end] "
                "integers"
            )
        begin, end = offs
        if not 0 <= begin <= end:
            raise _bad(
                f"tensor {_short(name)} has data_offsets {_short(offs)}; need 0 <= begin <= end"
            )
        npd = _BY_CODE[code]
        if math.prod(max(s, 1) for s in shape) * npd.itemsize >= 2**63:  # NumPy's limit
            raise _bad(f"tensor {_short(name)} has shape {_short(shape)}, too large for any array")
        nbytes = math.prod(shape) * npd.itemsize
        if nbytes != end - begin:
            raise _bad(
                f"tensor {_short(name)} of dtype {code} and shape {shape} needs {nbytes} bytes but "
                f"its data_offsets {_short(offs)} hold {end - begin}"
            )
        entries.append((name, npd, tuple(shape), begin, end))
    entries.sort(key=lambda e: (e[3], e[4]))
    expected, prev = 0, None
    for name, _, _, begin, end in entries:
        if begin < expected:
            raise _bad(
                f"tensors {_short(prev)} and {_short(name)} overlap (bytes from {begin} to "
                f"{expected}); the header was altered"
            )
        if begin > expected:
            raise _bad(
                f"bytes {expected} to {begin} of the data belong to no tensor; the header was "
                "altered"
            )
        expected, prev = end, name
    if data_avail is not None and expected > data_avail:
        raise _bad(
            f"the header says the tensors take {expected} bytes but the file has {data_avail} "
            "after the header; the file is truncated or not an ndgrad file"
        )
    return entries


def _target_device(map_location: Any) -> Any:
    """``map_location`` as a function of the saved device's string (checked before reading)."""
    if map_location is None:
        return device
    if isinstance(map_location, (str, device)):
        try:
            dev = device(map_location)
        except (RuntimeError, ValueError, TypeError) as e:
            raise ValueError(
                f"ndgrad.load: map_location={map_location!r} is not a device: {e}"
            ) from None
        return lambda saved: dev
    if isinstance(map_location, dict):
        try:
            table = {str(k): device(v) for k, v in map_location.items()}
        except (RuntimeError, ValueError, TypeError) as e:
            raise ValueError(
                f"ndgrad.load: map_location={map_location!r} maps to a non-device: {e}"
            ) from None
        return lambda saved: table[saved] if saved in table else device(saved)
    if callable(map_location):
        raise TypeError(
            "ndgrad.load: map_location as a function (storage, location) is not supported, as "
            "ndgrad has no storages; hint: pass a device, a string such as 'cpu', or a dict "
            "{'cuda:0': 'cpu'}"
        )
    raise TypeError(
        f"ndgrad.load: map_location must be None, a string, a device or a dict, not "
        f"{type(map_location).__name__}"
    )


_KEY_TAGS = ("float", "complex", "bytes", "tuple")


def _is_key_node(node: Any) -> bool:
    """Whether ``node`` describes a dict key ``save`` can write: no tensors, lists or dicts."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n is None or type(n) in (bool, int, float, str):
            continue
        if type(n) is not dict or len(n) != 1 or next(iter(n)) not in _KEY_TAGS:
            return False
        if "tuple" in n:
            if type(n["tuple"]) is not list:
                return False
            stack.extend(n["tuple"])
    return True


class _Decoder:
    """Builds the saved object from the structure JSON, checking every node."""

    def __init__(self, arrays: dict[str, np.ndarray], to_device: Any) -> None:
        self.arrays = arrays
        self.to_device = to_device
        self.built: dict[str, tuple[dict, Any]] = {}

    def decode(self, node: Any, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise _bad(f"the structure is nested more than {_MAX_DEPTH} levels deep")
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is not dict or not node:
            raise _bad(f"the structure holds {_short(node)}, which is not an ndgrad value")
        tag = next(iter(node))
        val = node[tag]
        if tag in ("tensor", "ndarray", "npscalar"):
            return self.payload(tag, node)
        if len(node) != 1 and not (tag == "odict" and set(node) == {"odict", "_metadata"}):
            raise _bad(f"the structure holds {_short(node)}, which is not an ndgrad value")
        if tag == "float" and val in ("nan", "inf", "-inf"):
            return float(val)
        if tag == "complex" and isinstance(val, list) and len(val) == 2:
            re_, im = (self.decode(v, depth + 1) for v in val)
            if type(re_) is float and type(im) is float:
                return complex(re_, im)
        if tag == "bytes" and isinstance(val, str):
            try:
                return base64.b64decode(val.encode("ascii"), validate=True)
            except ValueError:
                raise _bad("the structure holds bytes that are not base64") from None
        if tag in ("list", "tuple") and isinstance(val, list):
            items = [self.decode(v, depth + 1) for v in val]
            return items if tag == "list" else tuple(items)
        if tag == "size" and isinstance(val, list) and all(_is_int(v) for v in val):
            return Size(val)
        if tag == "dtype_value" and isinstance(val, str) and val in _CODES:
            return _dt.to_dtype(val)
        if tag == "device" and isinstance(val, str):
            try:
                return device(val)
            except (RuntimeError, ValueError):
                raise _bad(f"the structure holds an unknown device {_short(val)}") from None
        if tag in ("dict", "odict") and isinstance(val, list):
            return self.mapping(tag, node, depth)
        raise _bad(f"the structure holds {_short(node)}, which is not an ndgrad value")

    def mapping(self, tag: str, node: dict, depth: int) -> dict:
        out: dict = {} if tag == "dict" else collections.OrderedDict()
        for pair in node[tag]:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise _bad(f"a dict in the structure holds {_short(pair)}, not a [key, value] pair")
            if not _is_key_node(pair[0]):
                raise _bad(
                    f"a dict key in the structure is {_short(pair[0])}, which cannot be hashed "
                    "or is not a key ndgrad writes (None, a bool, int, float, complex number, "
                    "string, bytes, or a tuple of them)"
                )
            k = self.decode(pair[0], depth + 1)
            if k in out:  # a dict has each key once: two entries mean the file was altered
                raise _bad(f"a dict in the structure has the key {_short(k)} twice")
            out[k] = self.decode(pair[1], depth + 1)
        if "_metadata" in node:
            out._metadata = self.decode(node["_metadata"], depth + 1)  # type: ignore[attr-defined]
        return out

    def payload(self, tag: str, node: dict) -> Any:
        name = node[tag]
        if not isinstance(name, str) or name not in self.arrays:
            raise _bad(
                f"the structure refers to tensor {_short(name)}, which the header does not list"
            )
        allowed = {tag, "dtype"} | (
            {"requires_grad", "parameter", "device"} if tag == "tensor" else set()
        )
        dname = node.get("dtype")
        if (
            not set(node) <= allowed
            or not isinstance(dname, str)
            or dname not in _CODES
            or type(node.get("requires_grad", False)) is not bool
            or type(node.get("parameter", False)) is not bool
            or not isinstance(node.get("device", "cpu"), str)
        ):
            raise _bad(f"the structure describes tensor {_short(name)} as {_short(node)}")
        if name in self.built:
            first, again = self.built[name]
            if first != node:
                raise _bad(f"tensor {_short(name)} is referred to twice with different attributes")
            return again
        a = self.arrays[name]
        d = _dt.to_dtype(dname)
        code, stored = _CODES[dname]
        if d.is_complex:
            if a.dtype != stored or a.ndim == 0 or a.shape[-1] != 2:
                raise _bad(
                    f"tensor {_short(name)} is {dname} in the structure, so it needs a last "
                    f"dimension of 2 (real, imaginary) of {code}, but the header has shape "
                    f"{list(a.shape)} of {a.dtype}"
                )
            a = np.asarray(a, order="C").view(d.np).reshape(a.shape[:-1])
        elif a.dtype != stored:
            raise _bad(
                f"tensor {_short(name)} is {dname} in the structure but {a.dtype} in the header"
            )
        if a.dtype.kind == "b" and a.size and a.view(np.uint8).max() > 1:
            # NumPy would keep such bytes as they are: a "True" that is 2 compares unequal to 1
            raise _bad(
                f"tensor {_short(name)} is bool but holds bytes other than 0 and 1; the file is "
                "damaged or was altered"
            )
        if not a.dtype.isnative:
            a = a.astype(a.dtype.newbyteorder("="))
        if tag == "ndarray":
            obj: Any = a
        elif tag == "npscalar":
            if a.ndim != 0:
                raise _bad(
                    f"NumPy scalar {_short(name)} has shape {list(a.shape)}; a scalar has shape []"
                )
            obj = a[()]
        else:
            obj = self.tensor(name, a, node)
        self.built[name] = (node, obj)
        return obj

    def tensor(self, name: str, a: np.ndarray, node: dict) -> Tensor:
        saved = node.get("device", "cpu")
        rg = node.get("requires_grad", False)
        if rg and a.dtype.kind not in "fc":
            raise _bad(f"tensor {_short(name)} of dtype {a.dtype} is marked requires_grad")
        try:
            dev = self.to_device(saved)
        except (RuntimeError, ValueError):
            raise _bad(
                f"tensor {_short(name)} was saved on an unknown device {_short(saved)}"
            ) from None
        t = from_numpy(a)
        if dev.type != "cpu":
            t = _move(t, dev, name)
        if rg:
            t.requires_grad_(True)
        if node.get("parameter"):
            from . import nn

            cls = getattr(nn, "Parameter", None)
            if cls is not None:
                t = cls(t, requires_grad=rg)
        return t


def _move(t: Tensor, dev: device, name: str) -> Tensor:
    """``t.to(dev)``, with PyTorch's message when the file's device is not on this machine."""
    if dev.type == "cuda":
        from . import cuda

        if not cuda.is_available():
            raise _bad(
                "Attempting to deserialize object on a CUDA device but "
                "ndgrad.cuda.is_available() is False. If you are running on a CPU-only machine, "
                "please use ndgrad.load with map_location=ndgrad.device('cpu') to map your "
                f"tensors to the CPU (tensor {_short(name)} was saved on {dev})."
            )
    try:
        return t.to(dev)
    except (RuntimeError, ValueError) as e:
        raise _bad(f"tensor {_short(name)} cannot be moved to {dev}: {e}") from None


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 3, 8, 4, 100, 60


def _short(v: Any) -> str:
    """A bounded repr of a value from the file: a few levels, a few items, at most 120 characters.

    ``reprlib`` stops at ``maxlevel``, so a value nested thousands deep (or a list of millions)
    costs a few microseconds and cannot raise ``RecursionError``.
    """
    s = _REPR.repr(v)
    return s if len(s) <= 120 else s[:117] + "..."


def load(
    f: str | os.PathLike | IO[bytes],
    map_location: Any = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    **pickle_load_args: Any,
) -> Any:
    """Load what ``ndgrad.save`` wrote (or any safetensors file) from a path or binary file.

    Never runs code from the file: pickles and ``torch.save`` archives are refused with an error
    saying so, and a damaged or altered file gives a ``RuntimeError`` naming the problem before
    anything is allocated for it (see the module docstring).

    Args:
        map_location: ``None`` (each tensor back on the device it was saved from), a device or
            string (every tensor there), or a dict from saved to new device strings. A function
            ``(storage, location)`` is refused: ndgrad has no storages.
        weights_only: accepted for PyTorch's signature; ndgrad files hold only data, so loading
            is always what PyTorch's ``weights_only=True`` is, whatever is passed.
        mmap: ``True`` maps the file (``f`` must be a path) instead of reading it: the tensors'
            memory is the file's pages, copy-on-write (writes never reach the file).

    ``pickle_module`` and other keyword arguments of ``pickle.load`` are refused.

    Example:
        >>> import io, ndgrad
        >>> from ndgrad.serialization import load, save
        >>> buf = io.BytesIO()
        >>> w = ndgrad.tensor([1.0, 2.0], requires_grad=True)
        >>> save([w, (1, None, "a")], buf)
        >>> _ = buf.seek(0)
        >>> load(buf, map_location="cpu")
        [tensor([1., 2.], requires_grad=True), (1, None, 'a')]
    """
    if pickle_module is not None or pickle_load_args:
        extra = ", ".join(["pickle_module"] * (pickle_module is not None) + list(pickle_load_args))
        raise TypeError(
            f"ndgrad.load() got pickle arguments ({extra}); ndgrad never unpickles, so they "
            "cannot be used; hint: drop them"
        )
    if not (
        weights_only is None
        or isinstance(weights_only, (bool, np.bool_))
        or (type(weights_only) is int and weights_only in (0, 1))
    ):
        raise TypeError(f"ndgrad.load: weights_only must be a bool or None, not {weights_only!r}")
    to_device = _target_device(map_location)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            st = os.fstat(fh.fileno())
            regular = stat.S_ISREG(st.st_mode)  # a pipe or /dev/stdin has no size to trust
            if mmap and not regular:
                raise ValueError(
                    f"ndgrad.load: mmap=True needs a regular file, and {os.fspath(f)!r} is not one"
                )
            return _load(
                fh,
                st.st_size if regular else None,
                to_device,
                os.fspath(f) if mmap else None,
                exact=regular,
            )
    if mmap:
        raise ValueError("f must be a file path in order to use the mmap argument")
    if not callable(getattr(f, "read", None)):
        raise TypeError(
            f"ndgrad.load: f must be a path (str or os.PathLike) or a binary file object with "
            f"read(), not {type(f).__name__}"
        )
    if isinstance(f, io.TextIOBase):
        raise TypeError(
            "ndgrad.load: f is a text file; open it in binary mode ('rb'), as ndgrad files are "
            "bytes"
        )
    avail = None
    try:
        if f.seekable():
            start = f.tell()
            avail = f.seek(0, os.SEEK_END) - start
            f.seek(start)
            if not (isinstance(avail, int) and avail >= 0):
                avail = None
    except (AttributeError, OSError, TypeError, ValueError):
        avail = None
    return _load(f, avail, to_device, None, exact=False)


def _load(
    fh: IO[bytes], avail: int | None, to_device: Any, mmap_path: str | None, exact: bool = True
) -> Any:
    r = _Reader(fh, avail)
    head = b""
    while len(head) < 8:
        chunk = _read_some(fh, 8 - len(head))
        if not chunk:
            break
        head += chunk
    if len(head) < 8:
        raise _not_ndgrad(
            head,
            f"the file has {len(head)} bytes, too few for the 8-byte header length of an ndgrad "
            "file",
        )
    n = int.from_bytes(head, "little")
    if avail is not None and n > avail - 8:
        raise _not_ndgrad(
            head,
            f"the header claims {n} bytes but the file has {avail - 8} after the 8-byte length; "
            "the file is truncated or not an ndgrad file",
        )
    if n > MAX_HEADER_BYTES:
        raise _not_ndgrad(
            head, f"the header claims {n} bytes, more than the limit of {MAX_HEADER_BYTES}"
        )
    raw = r.read(n, "the header")
    if raw[:1] != b"{":
        raise _not_ndgrad(
            head, "the header does not start with '{'; this is not an ndgrad (safetensors) file"
        )
    header = _json(bytes(raw), "the header")
    if not isinstance(header, dict):
        raise _bad("the header is not a JSON object")
    meta = header.pop("__metadata__", None)
    if meta is not None and not (
        isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())
    ):
        raise _bad("the header's __metadata__ is not an object of strings")
    data_avail = None if avail is None else avail - 8 - n
    entries = _check_entries(header, data_avail)
    data_len = entries[-1][4] if entries else 0
    if exact and data_avail is not None and data_len < data_avail:
        raise _bad(
            f"the file has {data_avail - data_len} bytes after the last tensor; it was altered or "
            "is not an ndgrad file"
        )

    structure, plain_file = None, True
    if meta and _FORMAT_KEY in meta:
        if meta[_FORMAT_KEY] != FORMAT_VERSION:
            raise _bad(
                f"the file is ndgrad format {meta[_FORMAT_KEY]!r}; this ndgrad reads format "
                f"{FORMAT_VERSION!r}; hint: upgrade ndgrad"
            )
        if _STRUCTURE_KEY not in meta:
            raise _bad(f"the metadata has no {_STRUCTURE_KEY!r}")
        structure, plain_file = _json(meta[_STRUCTURE_KEY], "the structure in the metadata"), False

    arrays: dict[str, np.ndarray] = {}
    if mmap_path is not None and data_len:
        # Map the file already open and checked (not the path again, which may name another
        # file by now), copy-on-write.
        region = np.memmap(fh, dtype=np.uint8, mode="c", offset=8 + n, shape=(data_len,))
        for name, npd, shape, begin, end in entries:
            arrays[name] = region[begin:end].view(npd).reshape(shape)
    else:
        for name, npd, shape, begin, end in entries:
            buf = r.read(end - begin, "tensor", name)
            arrays[name] = np.frombuffer(buf, dtype=npd).reshape(shape)

    if plain_file:  # a plain safetensors file: its tensors by name
        plain = _Decoder(arrays, to_device)
        out = {}
        for name, npd, *_ in entries:
            dname = _dt.from_np_dtype(npd.newbyteorder("=")).name
            out[name] = plain.payload("tensor", {"tensor": name, "dtype": dname})
        return out
    dec = _Decoder(arrays, to_device)
    try:
        obj = dec.decode(structure, 0)
    except RecursionError:
        raise _bad("the structure is nested too deeply") from None
    unused = [name for name in arrays if name not in dec.built]
    if unused:
        raise _bad(
            f"the header lists tensor {unused[0]!r}, which the structure never uses; the file "
            "was altered"
        )
    return obj
