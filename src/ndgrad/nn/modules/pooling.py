"""``ndgrad.nn`` layers: pooling (filled by the nn issue)."""

__all__: list[str] = []
