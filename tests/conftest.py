import numpy as np
import pytest

import ndgrad


@pytest.fixture(autouse=True)
def _reset_state(monkeypatch):
    """Every test starts with the default dtype, grad mode on, a fixed seed, and English
    messages whatever the machine's locale (tests of the Chinese catalogue set it themselves)."""
    monkeypatch.setenv("NDGRAD_LANG", "en")
    ndgrad.set_default_dtype(ndgrad.float32)
    ndgrad.manual_seed(0)
    yield
    ndgrad.set_default_dtype(ndgrad.float32)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
