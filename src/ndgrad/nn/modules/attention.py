"""``ndgrad.nn`` layers: attention (filled by the nn issue)."""

__all__: list[str] = []
