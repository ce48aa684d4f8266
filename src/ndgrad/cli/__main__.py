"""``python -m ndgrad.cli``: the same as the ``ndgrad`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
