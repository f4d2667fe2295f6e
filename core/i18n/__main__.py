"""`python -m core.i18n update|check`: keep the catalogs in step with the code (also `make i18n`)."""

from __future__ import annotations

import sys

from core.i18n import catalog


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "update"
    if command == "update":
        for language, (untranslated, total) in catalog.update().items():
            print(f"{catalog.catalog_path(language)}: {total} messages, {untranslated} to translate")
        return 0
    if command == "check":
        problems = catalog.check()
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problem(s)")
        return 1 if problems else 0
    print("usage: python -m core.i18n update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
