"""``ndgrad.nn`` layers: dropout (filled by the nn issue)."""

__all__: list[str] = []
