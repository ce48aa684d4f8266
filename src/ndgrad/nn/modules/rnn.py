"""``ndgrad.nn`` layers: rnn (filled by the nn issue)."""

__all__: list[str] = []
