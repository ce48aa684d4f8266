"""``ndgrad.nn`` layers: batchnorm (filled by the nn issue)."""

__all__: list[str] = []
