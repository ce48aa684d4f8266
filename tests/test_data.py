"""ndgrad.utils.data against torch.utils.data: datasets, samplers, collate and DataLoader.

Where nothing is random the batches match PyTorch's value for value; where something is, the
structure matches (lengths, shapes, dtypes, each index once) and a seed gives the same order.
"""

import collections
import warnings

import numpy as np
import pytest

import ndgrad
from ndgrad.utils import data as ndd


def _torch():
    return pytest.importorskip("torch")


def _plain(x):
    """A batch as plain Python: tensors become (dtype name, shape, values); containers kept."""
    if isinstance(x, ndgrad.Tensor) or type(x).__module__ == "torch":
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), x.tolist())
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, *(_plain(v) for v in x))
    if isinstance(x, dict):
        return (type(x).__name__, {k: _plain(v) for k, v in x.items()})
    if isinstance(x, (list, tuple)):
        return type(x)([_plain(v) for v in x])
    return x


def _same_error(nd_fn, torch_fn):
    """Both raise the same class; ndgrad's message starts with PyTorch's (then a hint)."""
    with pytest.raises(Exception) as t_err:
        torch_fn()
    with pytest.raises(Exception) as n_err:
        nd_fn()
    assert type(n_err.value) is type(t_err.value), (n_err.value, t_err.value)
    want = str(t_err.value).split("\n")[0].rstrip(".")
    assert str(n_err.value).startswith(want), (str(n_err.value), want)


def _pair(make):
    """The same dataset built by ndgrad and by torch (make(lib) uses lib.tensor, lib.arange)."""
    torch = _torch()
    return make(ndgrad, ndgrad.utils.data), make(torch, torch.utils.data)


def _xy(lib, data):
    return data.TensorDataset(lib.arange(20.0).reshape(10, 2), lib.arange(10))


Point = collections.namedtuple("Point", "x y")


# ----------------------------------------------------------------------- collate


COLLATE_BATCHES = {
    "ints": lambda lib: [1, 2, 3],
    "floats": lambda lib: [1.0, 2.5],
    "int then float": lambda lib: [1, 2.5],
    "bools": lambda lib: [True, False],
    "strings": lambda lib: ["a", "b"],
    "bytes": lambda lib: [b"a", b"b"],
    "tensors": lambda lib: [lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])],
    "scalar tensors": lambda lib: [lib.tensor(1), lib.tensor(2)],
    "numpy arrays": lambda lib: [np.array([1, 2], np.int32), np.array([3, 4], np.int32)],
    "numpy 0-d arrays": lambda lib: [np.array(1.0), np.array(2.0)],
    "numpy scalars": lambda lib: [np.float32(1), np.float32(2)],
    "mixed numpy scalars": lambda lib: [np.float32(1), np.float64(2)],
    "numpy bools": lambda lib: [np.bool_(True), np.bool_(False)],
    "tuples": lambda lib: [(1, "a"), (2, "b")],
    "lists": lambda lib: [[1, 2], [3, 4]],
    "dicts": lambda lib: [{"x": lib.ones(2), "y": 1}, {"x": lib.zeros(2), "y": 2}],
    "ordered dicts": lambda lib: [collections.OrderedDict(a=1.5), collections.OrderedDict(a=2.5)],
    "namedtuples": lambda lib: [Point(1, 2.0), Point(3, 4.0)],
    "nested": lambda lib: [
        {"p": (lib.ones(1), [1, {"q": "s"}])},
        {"p": (lib.zeros(1), [2, {"q": "t"}])},
    ],
}


@pytest.mark.parametrize("kind", list(COLLATE_BATCHES))
def test_default_collate_gives_torchs_batch_for(kind):
    torch = _torch()
    make = COLLATE_BATCHES[kind]
    got = ndd.default_collate(make(ndgrad))
    want = torch.utils.data.default_collate(make(torch))
    assert _plain(got) == _plain(want)


@pytest.mark.parametrize(
    "batch",
    [
        lambda lib: [[1, 2], [3]],
        lambda lib: [lib.ones(2), lib.ones(3)],
        lambda lib: [object(), object()],
        lambda lib: [None, None],
        lambda lib: [1j, 2j],
        lambda lib: [np.array(["a"]), np.array(["b"])],
    ],
    ids=["unequal lists", "unequal tensors", "objects", "None", "complex", "numpy strings"],
)
def test_default_collate_refuses_what_torch_refuses_with_its_error(batch):
    torch = _torch()
    _same_error(
        lambda: ndd.default_collate(batch(ndgrad)),
        lambda: torch.utils.data.default_collate(batch(torch)),
    )


@pytest.mark.parametrize(
    "sample",
    [
        lambda lib: np.array([1, 2]),
        lambda lib: {"x": np.zeros(2), "n": 3, "s": "a"},
        lambda lib: (np.array(1.0), 2),
        lambda lib: [np.float32(1), "b"],
        lambda lib: Point(np.array(0), 1),
        lambda lib: np.array(["keep"]),
        lambda lib: 7,
    ],
)
def test_default_convert_gives_torchs_sample(sample):
    torch = _torch()
    got = ndd.default_convert(sample(ndgrad))
    want = torch.utils.data.default_convert(sample(torch))
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray)
        return
    assert _plain(got) == _plain(want)


def test_collate_stacks_tensors_without_tracking_a_copy_per_sample():
    xs = [ndgrad.ones(3, requires_grad=True) for _ in range(4)]
    batch = ndd.default_collate(xs)
    assert tuple(batch.shape) == (4, 3)
    batch.sum().backward()  # stack is differentiable, as torch.stack
    assert xs[0].grad.tolist() == [1.0, 1.0, 1.0]


# ------------------------------------------------------------------------ datasets


def test_tensor_dataset_indexes_rows_and_refuses_a_size_mismatch_as_torch():
    torch = _torch()
    nd, tc = _pair(_xy)
    assert len(nd) == len(tc) == 10
    assert _plain(nd[3]) == _plain(tc[3])
    _same_error(
        lambda: ndd.TensorDataset(ndgrad.ones(2), ndgrad.ones(3)),
        lambda: torch.utils.data.TensorDataset(torch.ones(2), torch.ones(3)),
    )


def test_concat_dataset_and_dataset_addition_index_across_the_parts():
    torch = _torch()

    def make(lib, data):
        class Range(data.Dataset):
            def __init__(self, a, b):
                self.r = list(range(a, b))

            def __len__(self):
                return len(self.r)

            def __getitem__(self, i):
                return self.r[i]

        return Range(0, 3) + Range(10, 12)

    nd, tc = _pair(make)
    assert isinstance(nd, ndd.ConcatDataset)
    assert len(nd) == len(tc) == 5
    assert [nd[i] for i in range(-5, 5)] == [tc[i] for i in range(-5, 5)]
    assert nd.cumulative_sizes == tc.cumulative_sizes
    _same_error(lambda: nd[-6], lambda: tc[-6])
    _same_error(lambda: ndd.ConcatDataset([]), lambda: torch.utils.data.ConcatDataset([]))


class _Count(ndd.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_iterable_datasets_chain_and_refuse_concatenation():
    assert list(_Count(2) + _Count(3)) == [0, 1, 0, 1, 2]
    assert len(ndd.ChainDataset([_Count(2), _Count(3)])) == 5
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ndd.ConcatDataset([_Count(2)])


def test_subset_reads_through_its_indices_and_uses_getitems_when_the_dataset_has_it():
    calls = []

    class Batched(ndd.Dataset):
        def __getitem__(self, i):
            return i

        def __getitems__(self, idx):
            calls.append(list(idx))
            return [i * 10 for i in idx]

        def __len__(self):
            return 10

    sub = ndd.Subset(Batched(), [5, 6, 7])
    assert sub[1] == 6
    assert sub.__getitems__([0, 2]) == [50, 70]
    assert [b.tolist() for b in ndd.DataLoader(sub, batch_size=2)] == [[50, 60], [70]]
    assert calls == [[5, 7], [5, 6], [7]]


def test_stack_dataset_zips_datasets_as_tuples_or_dicts():
    assert ndd.StackDataset([1, 2], "ab")[1] == (2, "b")
    assert ndd.StackDataset(x=[1, 2], y="ab")[0] == {"x": 1, "y": "a"}
    with pytest.raises(ValueError, match="Size mismatch"):
        ndd.StackDataset([1], [1, 2])


# --------------------------------------------------------------------- random_split


@pytest.mark.parametrize(
    ("n", "lengths"),
    [
        (10, [3, 7]),
        (10, [0.33, 0.33, 0.34]),
        (7, [0.5, 0.5]),
        (3, [0.1, 0.1, 0.8]),
        (11, [0.7, 0.2, 0.1]),
        (100, [0.25] * 4),
        (5, [5, 0]),
    ],
)
def test_random_split_gives_torchs_lengths_and_covers_every_index_once(n, lengths):
    torch = _torch()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = [len(s) for s in torch.utils.data.random_split(range(n), lengths)]
        parts = ndd.random_split(range(n), lengths, generator=ndgrad.Generator().manual_seed(0))
    assert [len(s) for s in parts] == want
    assert sorted(i for p in parts for i in p) == list(range(n))


def test_random_split_warns_for_an_empty_split_and_refuses_bad_lengths_as_torch():
    torch = _torch()
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        ndd.random_split(range(3), [0.1, 0.1, 0.8])
    for lengths in ([3, 3], [1.2, -0.2], [0.5, 0.6]):
        _same_error(
            lambda lengths=lengths: ndd.random_split(range(10), lengths),
            lambda lengths=lengths: torch.utils.data.random_split(range(10), lengths),
        )


def test_random_split_is_reproducible_with_a_seeded_generator_and_with_manual_seed():
    def split(**kw):
        return [list(p) for p in ndd.random_split(range(20), [0.5, 0.5], **kw)]

    g = ndgrad.Generator
    assert split(generator=g().manual_seed(3)) == split(generator=g().manual_seed(3))
    assert split(generator=g().manual_seed(3)) != split(generator=g().manual_seed(4))
    ndgrad.manual_seed(5)
    first = split()
    ndgrad.manual_seed(5)
    assert split() == first


# ------------------------------------------------------------------------ samplers


def test_sequential_and_batch_samplers_match_torch():
    torch = _torch()
    for bs, drop in [(1, False), (3, False), (3, True), (5, True), (20, False), (20, True)]:
        nd = ndd.BatchSampler(ndd.SequentialSampler(range(10)), bs, drop)
        tc = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(10)), bs, drop)
        assert list(nd) == list(tc)
        assert len(nd) == len(tc)


@pytest.mark.parametrize(
    "make",
    [
        lambda d: d.BatchSampler(range(3), 0, False),
        lambda d: d.BatchSampler(range(3), True, False),
        lambda d: d.BatchSampler(range(3), 2, 1),
        lambda d: d.RandomSampler(range(3), num_samples=0),
        lambda d: d.RandomSampler(range(3), replacement=1),
        lambda d: d.WeightedRandomSampler([1.0], 0),
        lambda d: d.WeightedRandomSampler([[1.0]], 1),
    ],
    ids=[
        "batch 0",
        "batch True",
        "drop_last 1",
        "num_samples 0",
        "replacement 1",
        "weighted 0",
        "weights 2-d",
    ],  # fmt: skip
)
def test_sampler_argument_errors_match_torch(make):
    torch = _torch()
    _same_error(lambda: make(ndd), lambda: make(torch.utils.data))


def test_random_sampler_draws_a_permutation_or_num_samples_with_replacement():
    g = ndgrad.Generator().manual_seed(0)
    assert sorted(ndd.RandomSampler(range(7), generator=g)) == list(range(7))
    chained = list(ndd.RandomSampler(range(4), num_samples=10, generator=g))
    assert len(chained) == 10
    assert sorted(chained[:8]) == sorted(list(range(4)) * 2)
    assert len(set(chained[8:])) == 2
    drawn = list(ndd.RandomSampler(range(3), replacement=True, num_samples=70, generator=g))
    assert len(drawn) == 70
    assert set(drawn) == {0, 1, 2}
    assert len(ndd.RandomSampler(range(3), replacement=True, num_samples=70)) == 70


def test_random_sampler_with_a_seeded_generator_repeats_and_without_one_follows_manual_seed():
    def order(**kw):
        return list(ndd.RandomSampler(range(50), **kw))

    assert order(generator=ndgrad.Generator().manual_seed(1)) == order(
        generator=ndgrad.Generator().manual_seed(1)
    )
    s = ndd.RandomSampler(range(50))
    ndgrad.manual_seed(9)
    a, b = list(s), list(s)
    assert a != b  # a new order each pass
    ndgrad.manual_seed(9)
    assert [list(s), list(s)] == [a, b]


def test_subset_random_sampler_permutes_its_indices():
    s = ndd.SubsetRandomSampler([10, 20, 30, 40], generator=ndgrad.Generator().manual_seed(2))
    assert sorted(s) == [10, 20, 30, 40]
    assert len(s) == 4


def test_weighted_random_sampler_follows_the_weights():
    g = ndgrad.Generator().manual_seed(0)
    assert list(ndd.WeightedRandomSampler([0.0, 1.0, 0.0], 5, generator=g)) == [1] * 5
    drawn = list(ndd.WeightedRandomSampler([1.0, 1.0, 0.0, 1.0], 3, replacement=False, generator=g))
    assert sorted(drawn) == [0, 1, 3]
    many = list(ndd.WeightedRandomSampler([1.0, 3.0], 4000, generator=g))
    assert 0.70 < np.mean(many) < 0.80
    assert ndd.WeightedRandomSampler([1, 2], 3).weights.dtype == ndgrad.float64


# ----------------------------------------------------------------------- DataLoader


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"batch_size": 3},
        {"batch_size": 3, "drop_last": True},
        {"batch_size": 10},
        {"batch_size": 15, "drop_last": True},
        {"batch_size": None},
        {"batch_size": 4, "collate_fn": lambda b: b},
    ],
    ids=str,
)
def test_dataloader_without_shuffle_gives_torchs_batches_and_length(kw):
    nd_ds, tc_ds = _pair(_xy)
    torch = _torch()
    nd = ndd.DataLoader(nd_ds, **kw)
    tc = torch.utils.data.DataLoader(tc_ds, **kw)
    assert len(nd) == len(tc)
    assert [_plain(b) for b in nd] == [_plain(b) for b in tc]


def test_an_epoch_iterator_has_the_loaders_length():
    nd_ds, _ = _pair(_xy)
    it = iter(ndd.DataLoader(nd_ds, batch_size=4))
    assert len(it) == 3
    assert iter(it) is it
    assert len(list(it)) == 3


def test_dataloader_collates_dict_samples_as_torch():
    torch = _torch()

    def make(lib, data):
        return [{"x": lib.tensor([float(i)]), "label": i, "name": f"s{i}"} for i in range(5)]

    nd_ds, tc_ds = _pair(make)
    nd = list(ndd.DataLoader(nd_ds, batch_size=2))
    tc = list(torch.utils.data.DataLoader(tc_ds, batch_size=2))
    assert [_plain(b) for b in nd] == [_plain(b) for b in tc]


def test_dataloader_with_a_sampler_or_a_batch_sampler_follows_it():
    nd_ds, _ = _pair(_xy)
    loader = ndd.DataLoader(nd_ds, batch_size=2, sampler=[9, 0, 5])
    assert [y.tolist() for _, y in loader] == [[9, 0], [5]]
    loader = ndd.DataLoader(nd_ds, batch_sampler=[[1, 2, 3], [7]])
    assert [y.tolist() for _, y in loader] == [[1, 2, 3], [7]]
    assert len(loader) == 2
    assert loader.batch_size is None


def test_dataloader_shuffle_covers_the_dataset_once_per_epoch_in_a_new_order():
    nd_ds, tc_ds = _pair(_xy)
    torch = _torch()
    nd = ndd.DataLoader(nd_ds, batch_size=4, shuffle=True)
    tc = torch.utils.data.DataLoader(tc_ds, batch_size=4, shuffle=True)
    assert len(nd) == len(tc) == 3
    epochs = [[y.tolist() for _, y in nd] for _ in range(3)]
    assert [[len(b) for b in e] for e in epochs] == [[len(y) for _, y in tc]] * 3
    for e in epochs:
        assert sorted(i for b in e for i in b) == list(range(10))
    assert len({str(e) for e in epochs}) > 1
    x, y = next(iter(nd))
    np.testing.assert_array_equal(x.numpy(), nd_ds.tensors[0].numpy()[y.numpy()])


def test_dataloader_shuffle_is_reproducible_with_a_generator_or_manual_seed():
    nd_ds, _ = _pair(_xy)

    def run(**kw):
        return [y.tolist() for _, y in ndd.DataLoader(nd_ds, batch_size=3, shuffle=True, **kw)]

    assert run(generator=ndgrad.Generator().manual_seed(7)) == run(
        generator=ndgrad.Generator().manual_seed(7)
    )
    ndgrad.manual_seed(11)
    first = run()
    ndgrad.manual_seed(11)
    assert run() == first


def test_dataloader_over_an_iterable_dataset_matches_torch():
    torch = _torch()

    class TCount(torch.utils.data.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    for kw in [{}, {"batch_size": 2}, {"batch_size": 2, "drop_last": True}, {"batch_size": None}]:
        nd = ndd.DataLoader(_Count(5), **kw)
        tc = torch.utils.data.DataLoader(TCount(5), **kw)
        assert [_plain(b) for b in nd] == [_plain(b) for b in tc], kw
        assert len(nd) == len(tc), kw
    for kw in [{"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}]:
        _same_error(
            lambda kw=kw: ndd.DataLoader(_Count(5), **kw),
            lambda kw=kw: torch.utils.data.DataLoader(TCount(5), **kw),
        )


@pytest.mark.parametrize(
    "kw",
    [
        {"sampler": [0, 1], "shuffle": True},
        {"batch_sampler": [[0]], "batch_size": 2},
        {"batch_sampler": [[0]], "shuffle": True},
        {"batch_sampler": [[0]], "sampler": [0]},
        {"batch_sampler": [[0]], "drop_last": True},
        {"batch_size": None, "drop_last": True},
        {"num_workers": -1},
        {"timeout": -1},
        {"prefetch_factor": 2},
        {"persistent_workers": True},
        {"multiprocessing_context": "spawn"},
    ],
    ids=str,
)
def test_dataloader_argument_errors_match_torch(kw):
    nd_ds, tc_ds = _pair(_xy)
    torch = _torch()
    _same_error(
        lambda: ndd.DataLoader(nd_ds, **kw), lambda: torch.utils.data.DataLoader(tc_ds, **kw)
    )


def test_dataloader_refuses_worker_processes_clearly():
    nd_ds, _ = _pair(_xy)
    with pytest.raises(NotImplementedError, match="main process only.*num_workers=0"):
        ndd.DataLoader(nd_ds, num_workers=2)


def test_dataloader_timeout_without_workers_fails_on_iteration_as_torch():
    nd_ds, tc_ds = _pair(_xy)
    torch = _torch()
    _same_error(
        lambda: iter(ndd.DataLoader(nd_ds, timeout=1)),
        lambda: iter(torch.utils.data.DataLoader(tc_ds, timeout=1)),
    )


def test_dataloader_pin_memory_warns_as_torch_without_an_accelerator_and_changes_nothing():
    nd_ds, _ = _pair(_xy)
    loader = ndd.DataLoader(nd_ds, batch_size=5, pin_memory=True)
    with pytest.warns(UserWarning, match="no accelerator is found"):
        batches = list(loader)
    assert [_plain(b) for b in batches] == [_plain(b) for b in ndd.DataLoader(nd_ds, batch_size=5)]


def test_dataloader_settings_cannot_change_after_construction():
    nd_ds, tc_ds = _pair(_xy)
    torch = _torch()
    nd, tc = ndd.DataLoader(nd_ds), torch.utils.data.DataLoader(tc_ds)

    def set_size(loader):
        loader.batch_size = 3

    _same_error(lambda: set_size(nd), lambda: set_size(tc))


def test_the_worker_info_is_none_in_the_main_process():
    assert ndd.get_worker_info() is None


def test_the_data_module_exports_torchs_public_names():
    torch = _torch()
    ours = set(ndd.__all__)
    for name in torch.utils.data.__all__:
        if "DataPipe" in name or name in _NOT_PORTED:
            continue
        assert name in ours, name


_NOT_PORTED = {
    "DataChunk",
    "DistributedSampler",
    "_DatasetKind",
    "argument_validation",
    "functional_datapipe",
    "guaranteed_datapipes_determinism",
    "non_deterministic",
    "runtime_validation",
    "runtime_validation_disabled",
}
