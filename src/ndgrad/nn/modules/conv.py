"""``ndgrad.nn`` layers: conv (filled by the nn issue)."""

__all__: list[str] = []
