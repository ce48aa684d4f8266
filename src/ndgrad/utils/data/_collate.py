"""Collation: turning a list of samples into one batch (``default_collate``, ``default_convert``).

As ``torch.utils.data.default_collate``: the type of the *first* sample decides how the batch is
joined, and containers are transposed and joined element by element:

======================================  ==============================================
sample type                              batch
======================================  ==============================================
``Tensor``                               ``ndgrad.stack(batch)`` (a new leading dimension)
NumPy array (numbers or bools)           the arrays as tensors, stacked
NumPy scalar                             ``as_tensor`` of the list (NumPy's promotion)
``float``                                a ``float64`` tensor
``int`` (and ``bool``)                   ``ndgrad.tensor(batch)``: int64, bool, or the
                                         default dtype if a float follows an int
``str`` / ``bytes``                      the list of them, unchanged
mapping                                  the same kind of mapping, each key collated
namedtuple                               the same namedtuple, each field collated
tuple                                    a *list*, each position collated (as PyTorch)
other sequence                           the same kind of sequence, each position collated
======================================  ==============================================

Sequences of unequal length give PyTorch's ``RuntimeError``; anything else (``None``, objects,
NumPy string arrays) its ``TypeError``. ``collate`` and ``default_collate_fn_map`` are exposed
as in ``torch.utils.data._utils.collate``, to build custom collate functions.
"""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..._core.construct import as_tensor, tensor
from ..._core.dtypes import float64
from ..._core.tensor import Tensor
from ...ops.join import stack

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert"]


# NumPy dtypes that do not become tensors: bytes, str, unicode, object.
_STR_OBJ = re.compile(r"[SaUO]")

_ERR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)

CollateMap = dict[Any, Callable[..., Any]]


def _type_error(what: Any) -> TypeError:
    return TypeError(_ERR.format(what) + "; hint: pass collate_fn= to join such samples yourself")


def collate(batch: Sequence[Any], *, collate_fn_map: CollateMap | None = None) -> Any:
    """Join ``batch`` (a list of samples) by the type of its first sample.

    ``collate_fn_map`` maps a type (or a tuple of types) to ``fn(batch, *, collate_fn_map)``; the
    exact type of the first sample is looked up first, then each key in order with
    ``isinstance``. Containers (mappings, namedtuples, sequences) are transposed and joined field
    by field.

    Example:
        >>> import ndgrad
        >>> from ndgrad.utils.data._collate import collate, default_collate_fn_map
        >>> collate([(1, "a"), (2, "b")], collate_fn_map=default_collate_fn_map)
        [tensor([1, 2]), ('a', 'b')]
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for kind, fn in collate_fn_map.items():
            if isinstance(elem, kind):
                return fn(batch, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        joined = {
            key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem
        }
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update(joined)
                return clone
            return elem_type(joined)
        except TypeError:  # a mapping type that cannot be rebuilt from a dict
            return joined
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError(
                "each element in list of batch should be of equal size; hint: pad the samples to "
                "one length, or pass collate_fn= to join them yourself"
            )
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):  # PyTorch returns a list for tuples (backward compatibility)
            return [collate(s, collate_fn_map=collate_fn_map) for s in transposed]
        joined_seq = [collate(s, collate_fn_map=collate_fn_map) for s in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                seq = copy.copy(elem)
                for i, s in enumerate(joined_seq):
                    seq[i] = s
                return seq
            return elem_type(joined_seq)
        except TypeError:
            return joined_seq
    raise _type_error(elem_type)


def _collate_tensor(batch: list[Tensor], *, collate_fn_map: CollateMap | None = None) -> Tensor:
    return stack(batch, 0)


def _collate_numpy_array(
    batch: list[np.ndarray], *, collate_fn_map: CollateMap | None = None
) -> Any:
    if _STR_OBJ.search(batch[0].dtype.str) is not None:
        raise _type_error(batch[0].dtype)
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def _collate_numpy_scalar(batch: list[Any], *, collate_fn_map: CollateMap | None = None) -> Tensor:
    arr = np.asarray(batch)
    if _STR_OBJ.search(arr.dtype.str) is not None:
        raise _type_error(arr.dtype)
    return as_tensor(arr)


def _collate_float(batch: list[float], *, collate_fn_map: CollateMap | None = None) -> Tensor:
    return tensor(batch, dtype=float64)


def _collate_int(batch: list[int], *, collate_fn_map: CollateMap | None = None) -> Tensor:
    return tensor(batch)


def _collate_str(batch: list[Any], *, collate_fn_map: CollateMap | None = None) -> list[Any]:
    return batch


default_collate_fn_map: CollateMap = {
    Tensor: _collate_tensor,
    np.ndarray: _collate_numpy_array,
    (np.bool_, np.number, np.object_): _collate_numpy_scalar,
    float: _collate_float,
    int: _collate_int,
    str: _collate_str,
    bytes: _collate_str,
}


def default_collate(batch: list[Any]) -> Any:
    """Join a list of samples into a batch, as ``torch.utils.data.default_collate``.

    Tensors are stacked along a new first dimension, Python floats become a ``float64`` tensor
    and ints an ``int64`` one, NumPy arrays become tensors of their dtype, strings stay a list;
    dicts, namedtuples, tuples and lists are transposed and joined field by field (a tuple
    becomes a list, as in PyTorch). The table is in this module's docstring.

    Example:
        >>> import ndgrad
        >>> from ndgrad.utils.data import default_collate
        >>> default_collate([ndgrad.tensor([1, 2]), ndgrad.tensor([3, 4])])
        tensor([[1, 2],
                [3, 4]])
        >>> default_collate([{"x": 1.5, "y": "a"}, {"x": 2.5, "y": "b"}])
        {'x': tensor([1.5000, 2.5000], dtype=ndgrad.float64), 'y': ['a', 'b']}
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data: Any) -> Any:
    """Turn the NumPy arrays inside one sample into tensors; everything else is kept.

    What ``DataLoader`` applies to each sample when batching is off (``batch_size=None``).
    Containers are walked as in ``default_collate`` (a tuple becomes a list); NumPy arrays of
    strings or objects are kept as they are.

    Example:
        >>> import numpy as np
        >>> from ndgrad.utils.data import default_convert
        >>> default_convert({"x": np.array([1, 2]), "n": 3})
        {'x': tensor([1, 2]), 'n': 3}
    """
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_"):
        if isinstance(data, np.ndarray) and _STR_OBJ.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update(converted)
                return clone
            return elem_type(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        items = [default_convert(d) for d in data]
        try:
            if isinstance(data, collections.abc.MutableSequence):
                seq = copy.copy(data)
                for i, d in enumerate(items):
                    seq[i] = d
                return seq
            return elem_type(items)
        except TypeError:
            return items
    return data
