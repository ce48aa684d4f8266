"""The message catalogue: what ndgrad says to a person, in English and in Chinese.

Every user-facing sentence of ``ndgrad.explain`` and of ``ndgrad demo`` lives here under a key,
once per language (``messages_en.py``, ``messages_zh.py``); code picks strings by key and never
holds a sentence of its own, so the languages cannot drift apart in logic. A test holds the two
catalogues to the same keys and the same ``{fields}``.

The language: the ``lang`` argument if given, else the one set by ``use_language`` (``ndgrad demo
--lang``), else ``NDGRAD_LANG``, else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, the first
one set): Chinese when it starts with ``zh``, English otherwise.

Example:
    >>> from ndgrad.i18n import message
    >>> message("demo.step", lang="en", number=1, total=9, title="A leaf tensor")
    'Step 1/9. A leaf tensor'
    >>> message("demo.step", lang="zh", number=1, total=9, title="叶子节点")
    '第 1/9 步：叶子节点'
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator

from . import messages_en, messages_zh

__all__ = ["LANGUAGES", "message", "detect_language", "use_language", "catalogue"]

LANGUAGES = ("en", "zh")
_CATALOGUES = {"en": messages_en.MESSAGES, "zh": messages_zh.MESSAGES}
_CURRENT: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ndgrad_language", default=None
)


def _check(lang: str) -> str:
    code = str(lang).strip().lower().replace("_", "-")
    if code.startswith("zh"):
        return "zh"
    if code.startswith("en"):
        return "en"
    raise ValueError(
        f"unknown language {lang!r}; hint: use one of {', '.join(LANGUAGES)} (zh: Chinese)"
    )


def detect_language(lang: str | None = None) -> str:
    """``"en"`` or ``"zh"``: ``lang`` itself, else ``use_language``, ``NDGRAD_LANG``, the locale.

    Example:
        >>> detect_language("zh_CN")
        'zh'
    """
    if lang is not None:
        return _check(lang)
    current = _CURRENT.get()
    if current is not None:
        return current
    env = os.environ.get("NDGRAD_LANG")
    if env:
        return _check(env)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:  # POSIX: the first one set decides
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


@contextlib.contextmanager
def use_language(lang: str | None) -> Iterator[str]:
    """Within the block, messages default to ``lang`` (None: detected as usual).

    Example:
        >>> with use_language("zh"):
        ...     message("explain.this_tensor")
        '这个张量'
    """
    token = _CURRENT.set(detect_language(lang))
    try:
        yield _CURRENT.get()  # type: ignore[misc]
    finally:
        _CURRENT.reset(token)


def catalogue(lang: str) -> dict[str, str]:
    """The messages of one language, by key (read-only use)."""
    return _CATALOGUES[_check(lang)]


def message(key: str, lang: str | None = None, **fields: object) -> str:
    """The message ``key`` in ``lang`` (default: ``detect_language()``), with ``fields`` filled in.

    Example:
        >>> message("explain.this_tensor", lang="en")
        'this tensor'
    """
    table = _CATALOGUES[detect_language(lang)]
    try:
        text = table[key]
    except KeyError:
        raise KeyError(
            f"no message {key!r} in the catalogue; hint: add it to every ndgrad/i18n/messages_*.py"
        ) from None
    return text.format(**fields)
