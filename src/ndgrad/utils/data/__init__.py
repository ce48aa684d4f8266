"""``ndgrad.utils.data``: datasets, samplers and ``DataLoader``, as ``torch.utils.data``.

Single-process loading (``num_workers=0``); see ``dataloader`` for what differs from PyTorch.

Example:
    >>> import ndgrad
    >>> from ndgrad.utils.data import DataLoader, TensorDataset, random_split
    >>> ds = TensorDataset(ndgrad.arange(8.0).reshape(4, 2), ndgrad.tensor([0, 1, 0, 1]))
    >>> train, test = random_split(ds, [0.75, 0.25], generator=ndgrad.Generator().manual_seed(0))
    >>> len(train), len(test)
    (3, 1)
    >>> [x.shape for x, _ in DataLoader(train, batch_size=2)]
    [ndgrad.Size([2, 2]), ndgrad.Size([1, 2])]
"""

from ._collate import default_collate, default_convert
from .dataloader import DataLoader, get_worker_info
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
