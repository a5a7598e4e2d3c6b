"""Maintenance script: re-extract the message ids and merge them into the vi/en catalogues.

    .venv/bin/pybabel extract -F web/babel.cfg -o web/locale/messages.pot --no-location --omit-header .
    .venv/bin/python web/locale/update_catalogs.py

New ids appear untranslated in `vi/LC_MESSAGES/messages.po` (the i18n test then fails until
they are translated); ids no longer used are dropped."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).parent


def main() -> int:
    with (HERE / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    for locale in ("vi", "en"):
        path = HERE / locale / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=locale)
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=locale, project="duluan")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as fh:
            write_po(fh, catalog, omit_header=False, no_location=True, width=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
