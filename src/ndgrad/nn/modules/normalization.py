"""``ndgrad.nn`` layers: normalization (filled by the nn issue)."""

__all__: list[str] = []
