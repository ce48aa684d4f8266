"""``DataLoader``: batches from a dataset, in the main process.

PyTorch's class, arguments, defaults and argument errors. What differs, and why:

- **Single process only.** ``num_workers > 0`` is refused with a ``NotImplementedError``: ndgrad
  loads every batch in the calling process (what PyTorch does with ``num_workers=0``, its
  default). ``prefetch_factor``, ``persistent_workers`` and ``multiprocessing_context`` then give
  PyTorch's own errors for ``num_workers=0``; ``worker_init_fn`` is kept but, as in PyTorch
  without workers, never called; ``get_worker_info()`` is ``None``.
- **pin_memory** is a no-op with PyTorch's warning when there is no accelerator: ndgrad's host
  arrays are ordinary NumPy memory and nothing pins them, on any backend.
- ``timeout`` must be 0 without workers (PyTorch's ``AssertionError`` when iterating).

Shuffling uses ``RandomSampler(dataset, generator=generator)``: a seeded ``ndgrad.Generator``
gives the same order every time it is reseeded; without one, each pass seeds a new generator from
ndgrad's default generator, so ``ndgrad.manual_seed`` makes the whole run reproducible. (PyTorch
also draws a base seed for its workers at each pass; with no workers ndgrad draws none, so a
loader takes from ``generator`` only what its sampler does.)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from ..._core.random import Generator
from ._collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]

T_co = TypeVar("T_co", covariant=True)

_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


def get_worker_info() -> None:
    """Information about the current loader worker: always ``None`` (ndgrad has no workers).

    Example:
        >>> from ndgrad.utils.data import get_worker_info
        >>> get_worker_info() is None
        True
    """
    return None


class _InfiniteConstantSampler(Sampler[None]):
    """The sampler of an iterable dataset: ``None`` forever (the dataset decides when to stop)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


class _SingleProcessIter(Iterator[Any]):
    """One pass over a loader (what ``iter(loader)`` returns); ``len`` is the loader's."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._it = loader._batches()

    def __next__(self) -> Any:
        return next(self._it)

    def __len__(self) -> int:
        return len(self._loader)


class DataLoader(Generic[T_co]):
    """Iterate over ``dataset`` in batches of ``batch_size``, joined by ``collate_fn``.

    Each pass draws indices from ``sampler`` (``SequentialSampler``, or ``RandomSampler`` when
    ``shuffle=True``), groups them with ``BatchSampler(sampler, batch_size, drop_last)`` unless a
    ``batch_sampler`` is given, reads the samples (``dataset.__getitems__(indices)`` if the dataset
    has it, else ``dataset[i]`` for each index) and joins them with ``collate_fn``
    (``default_collate``). ``batch_size=None`` turns batching off: each sample is passed through
    ``default_convert``. ``len(loader)`` is the number of batches:
    ``ceil(len(dataset) / batch_size)``, or ``floor`` with ``drop_last``.

    For an ``IterableDataset`` the samples come from iterating it; ``shuffle``, ``sampler`` and
    ``batch_sampler`` must then be left unset (PyTorch's ``ValueError``).

    ndgrad loads in the calling process only: ``num_workers > 0`` is refused, and ``pin_memory``
    warns and does nothing (see the module docstring).

    Example:
        >>> import ndgrad
        >>> from ndgrad.utils.data import DataLoader, TensorDataset
        >>> ds = TensorDataset(ndgrad.arange(10).reshape(5, 2), ndgrad.arange(5))
        >>> loader = DataLoader(ds, batch_size=2)
        >>> len(loader)
        3
        >>> x, y = next(iter(loader))
        >>> x
        tensor([[0, 1],
                [2, 3]])
        >>> [y.tolist() for _, y in loader]
        [[0, 1], [2, 3], [4]]
        >>> g = ndgrad.Generator().manual_seed(1)
        >>> shuffled = DataLoader(ds, batch_size=5, shuffle=True, generator=g)
        >>> sorted(next(iter(shuffled))[1].tolist())
        [0, 1, 2, 3, 4]
    """

    dataset: Any
    batch_size: int | None
    num_workers: int
    pin_memory: bool
    drop_last: bool
    timeout: float
    sampler: Sampler | Iterable
    _initialized = False

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler[list] | Iterable[list] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                "multiprocessing."
            )
        if num_workers > 0:
            raise NotImplementedError(
                f"DataLoader(num_workers={num_workers}): ndgrad loads data in the main process "
                "only (single-process loading, PyTorch's num_workers=0); worker processes are not "
                "supported; hint: drop num_workers (or pass num_workers=0)"
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing.let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if persistent_workers:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None:
            raise ValueError(
                "multiprocessing_context can only be used with multi-process loading "
                f"(num_workers > 0), but got num_workers={num_workers}"
            )

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._iterable = True
            if shuffle not in {False, None}:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                    f"shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified sampler option, but got "
                    f"sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                    f"but got batch_sampler={batch_sampler}"
                )
        else:
            self._iterable = False
            shuffle = bool(shuffle)

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")

        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)

        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)  # type: ignore[arg-type]

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._initialized = True

    def __setattr__(self, attr: str, val: Any) -> None:
        if self._initialized and attr in _FROZEN:
            raise ValueError(
                f"{attr} attribute should not be set after {type(self).__name__} is initialized"
            )
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self) -> Iterator[Any]:
        if self.timeout != 0:
            raise AssertionError(
                "_SingleProcessDataLoaderIter requires timeout == 0; hint: ndgrad loads in the "
                "main process, where a timeout has nothing to wait for: drop timeout="
            )
        if self.pin_memory:
            if self.pin_memory_device:
                warnings.warn(
                    "pin_memory_device is deprecated, the current accelerator will be used as the "
                    f"device,ignore pin_memory_device='{self.pin_memory_device}'.",
                    stacklevel=2,
                )
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, then device "
                "pinned memory won't be used.",
                stacklevel=2,
            )
        return _SingleProcessIter(self)

    def _batches(self) -> Iterator[Any]:
        """One pass: indices from the index sampler, samples from the dataset, then collate."""
        collate_fn = self.collate_fn
        if self._iterable:
            stream = iter(self.dataset)
            if not self._auto_collation:
                for _ in self._index_sampler:
                    try:
                        sample = next(stream)
                    except StopIteration:
                        return
                    yield collate_fn(sample)
                return
            for indices in self._index_sampler:
                batch = []
                for _ in indices:
                    try:
                        batch.append(next(stream))
                    except StopIteration:
                        break
                if not batch or (self.drop_last and len(batch) < len(indices)):
                    return
                yield collate_fn(batch)
                if len(batch) < len(indices):
                    return
            return
        dataset = self.dataset
        if not self._auto_collation:
            for index in self._index_sampler:
                yield collate_fn(dataset[index])
            return
        getitems = getattr(dataset, "__getitems__", None)
        for indices in self._index_sampler:
            batch = getitems(indices) if callable(getitems) else [dataset[i] for i in indices]
            yield collate_fn(batch)

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                return (
                    length // self.batch_size
                    if self.drop_last
                    else math.ceil(length / self.batch_size)
                )
            return length
        return len(self._index_sampler)
