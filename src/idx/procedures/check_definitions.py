"""Check procedure definition files from the command line: ``python -m idx.procedures.check_definitions FILE...``."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from idx.procedures.definition import DefinitionError, parse


def main(paths: list[str]) -> int:
    failures = 0
    for name in paths:
        try:
            parse(yaml.safe_load(Path(name).read_text(encoding="utf-8")))
        except (DefinitionError, yaml.YAMLError) as exc:
            failures += 1
            problems = exc.problems if isinstance(exc, DefinitionError) else [str(exc)]
            print(f"{name}:")
            for problem in problems:
                print(f"  - {problem}")
        else:
            print(f"{name}: ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
