"""``ndgrad.nn`` layers: transformer (filled by the nn issue)."""

__all__: list[str] = []
