"""The rest of ``ndgrad.nn.functional``: dropout, embedding, one_hot, distances, attention."""
