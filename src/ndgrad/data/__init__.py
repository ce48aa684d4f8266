"""Small data files the package ships (for the examples): ``text("nursery_rhymes")``.

``nursery_rhymes.txt`` holds traditional English nursery rhymes (public domain), the corpus of
``examples/char_transformer.py``.

Example:
    >>> from ndgrad.data import text
    >>> text("nursery_rhymes").splitlines()[0]
    'Twinkle, twinkle, little star,'
"""

from __future__ import annotations

from importlib import resources

__all__ = ["text"]


def text(name: str) -> str:
    """The contents of the shipped text file ``name`` (without ``.txt``)."""
    return resources.files(__name__).joinpath(f"{name}.txt").read_text(encoding="utf-8")
