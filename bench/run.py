"""``make bench``: run every benchmark in this folder, one process each, and print its ratios.

Each ``bench_*.py`` measures Kassa against a baseline taken in the same run (plain formulas,
a bare Flask route, a plain SQL scan) and prints the ratio; absolute numbers differ between
machines, ratios much less.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent


def main() -> int:
    failed = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        result = subprocess.run([sys.executable, str(script), *sys.argv[1:]], cwd=HERE.parent)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
