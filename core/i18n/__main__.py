"""`python -m core.i18n update|check|todo|fill`: keep the catalogs in step with the code.

- ``update`` (also ``make i18n``): add new marked strings untranslated, drop the ones gone.
- ``check``: list what is missing, stale, untranslated, fuzzy or inconsistent; exit 1 if anything.
- ``todo [LANG]``: print the untranslated entries as JSON ({msgid: ""}) for a translator to fill.
- ``fill FILE.json [LANG]``: write such a filled JSON back into the catalog.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
    if command == "todo":
        language = argv[1] if len(argv) > 1 else "pt"
        print(json.dumps(catalog.untranslated(language), ensure_ascii=False, indent=1))
        return 0
    if command == "fill" and len(argv) > 1:
        language = argv[2] if len(argv) > 2 else "pt"
        translations = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
        print(f"{catalog.fill(language, translations)} entries translated")
        return 0
    print("usage: python -m core.i18n update|check|todo [LANG]|fill FILE.json [LANG]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
