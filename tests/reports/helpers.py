"""Helpers for reading generated reports back: DOCX text, PDF text (pdftotext), NFC."""

from __future__ import annotations

import io
import subprocess
import unicodedata
from pathlib import Path

import docx


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def docx_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return nfc("\n".join(parts))


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return nfc(out.stdout.decode("utf-8"))
