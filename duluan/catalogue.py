"""The source catalogue: `config/sources/*.yaml` (a list under `sources:`), validated into
`Source`, plus sources added in the UI (stored in the operational DB)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from duluan.errors import ConfigError
from duluan.models import Source
from duluan.settings import load_model, read_yaml


class SourceFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sources: list[Source]


def load_sources(config_dir: Path) -> list[Source]:
    """Every source of every catalogue file; ids must be unique across files."""
    out: list[Source] = []
    seen: dict[str, Path] = {}
    errors: list[str] = []
    folder = config_dir / "sources"
    for path in sorted(folder.glob("*.yaml")) if folder.exists() else []:
        try:
            data = read_yaml(path)
            if isinstance(data, list):
                data = {"sources": data}
            sf = load_model(path, SourceFile, data or {"sources": []})
        except ConfigError as exc:
            errors.append(str(exc))
            continue
        for s in sf.sources:
            if s.id in seen:
                errors.append(f"{path}: sources: duplicate id {s.id!r} (already in {seen[s.id]})")
                continue
            seen[s.id] = path
            out.append(s)
    if errors:
        raise ConfigError("\n".join(errors))
    return out


def adhoc_source(name: str, country: str = "VN", kind: str = "domestic", language: str = "vi",
                 homepage: str = "") -> Source:
    """A source for an article whose outlet is not in the catalogue (backfills, discovery)."""
    import re

    from duluan.text import fold

    slug = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:60] or "unknown"
    return Source(id=slug, name=name, homepage=homepage or f"https://{slug}.invalid/", country=country.upper()[:2],
                  language=language[:2].lower(), kind=kind, enabled=False)  # type: ignore[arg-type]
