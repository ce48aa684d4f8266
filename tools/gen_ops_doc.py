"""Write docs/ops.md from the op table: ``python tools/gen_ops_doc.py`` (``--check`` to compare).

The page is checked in; tests/test_ops_doc.py fails when it is stale, naming this command.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "ops.md"


def main(argv: list[str]) -> int:
    from ndgrad.ops.coverage import markdown

    text = markdown()
    if "--check" in argv:
        current = DOC.read_text() if DOC.exists() else ""
        if current != text:
            print(f"{DOC} is stale; run: python tools/gen_ops_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text)
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
