"""``python -m ndgrad``: the same as the ``ndgrad`` command (``python -m ndgrad demo``)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
