"""``ndgrad.nn`` layers: sparse (filled by the nn issue)."""

__all__: list[str] = []
