"""Everything a command, job or web request needs, built once from settings at the entry point."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from duluan.catalogue import load_sources
from duluan.models import Source
from duluan.settings import CityConfig, Settings, load_city, load_settings


@dataclass
class AppContext:
    settings: Settings
    _index: Any = field(default=None, repr=False)

    @classmethod
    def load(cls, config_dir: Path | None = None, data_dir: Path | None = None) -> AppContext:
        return cls(load_settings(config_dir, data_dir))

    @cached_property
    def city(self) -> CityConfig:
        return load_city(self.settings)

    @cached_property
    def sources(self) -> list[Source]:
        """Catalogue sources plus the ones added in the UI."""
        from duluan.db import CustomSource

        out = load_sources(self.settings.config_dir)
        known = {s.id for s in out}
        with self.session() as s:
            for cs in s.query(CustomSource).all():
                if cs.id not in known:
                    out.append(Source.model_validate(cs.definition))
        return out

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def reload_sources(self) -> None:
        self.__dict__.pop("sources", None)

    @property
    def index(self) -> Any:
        if self._index is None:
            from index import open_index

            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            self._index = open_index(self.settings.store_url, tz=self.settings.timezone)
        return self._index

    @cached_property
    def engine(self) -> Any:
        from duluan.db import init_db, make_engine

        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(self.settings.db_url)
        init_db(engine)
        return engine

    @cached_property
    def session(self) -> Any:
        from duluan.db import session_factory

        return session_factory(self.engine)

    @cached_property
    def pipeline(self) -> Any:
        from duluan.pipeline import Pipeline

        return Pipeline(self)

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None
