"""``ndgrad.optim``: optimisers (filled by a later issue); importable from the start."""

__all__: list[str] = []
