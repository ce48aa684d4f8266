"""``ndgrad.utils.data``: datasets and loaders (filled by the nn issue)."""

__all__: list[str] = []
