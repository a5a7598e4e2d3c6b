"""UI language: gettext catalogues (Babel `.po` files in `web/locale/<lang>/LC_MESSAGES/`),
Vietnamese by default with an English switch. Message ids are English; the `vi` catalogue
translates every one of them (a test checks that none is missing).

The `.po` files are compiled in memory when the app starts, so there is no build step and no
stale `.mo` file to forget."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LOCALES = ("vi", "en")
DOMAIN = "messages"


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_translations(locale: str) -> NullTranslations:
    """The catalogue of one locale compiled in memory (English message ids need none)."""
    path = po_path(locale)
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def pick_locale(requested: str | None, default: str) -> str:
    return requested if requested in LOCALES else default
