"""Write the nbgrader source notebooks from their Python descriptions.

    .venv/bin/python assignments/tools/build_notebooks.py          # rewrite both notebooks
    .venv/bin/python assignments/tools/build_notebooks.py --check  # exit 1 if they are stale

The output depends only on the text in this folder, so rebuilding gives identical bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import initialization_notebook
import optimization_notebook
from notebook_builder import build

SOURCE = Path(__file__).resolve().parents[1] / "source"
NOTEBOOKS = (optimization_notebook, initialization_notebook)


def rendered() -> dict[Path, str]:
    """Notebook path -> its exact file contents."""
    import nbformat

    return {
        SOURCE / module.ASSIGNMENT / f"{module.ASSIGNMENT}.ipynb": nbformat.writes(
            build(module.ASSIGNMENT, module.PARTS)
        )
        + "\n"
        for module in NOTEBOOKS
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale notebooks")
    args = parser.parse_args(argv)
    stale = []
    for path, text in rendered().items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if args.check and stale:
        print("stale: " + ", ".join(str(path) for path in stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
