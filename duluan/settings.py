"""Configuration: `config/settings.yaml` (documented in `config/settings.example.yaml`), the city
files, overridden by `DULUAN_*` environment variables. Loaded once at the entry point and passed
in; no global singleton. Errors name the file, the key path and what was expected."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from duluan.errors import ConfigError

M = TypeVar("M", bound=BaseModel)

PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "dev", "please-change"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    base_url: str = "http://127.0.0.1:8000"
    secure_cookies: bool = False
    session_hours: int = Field(default=12, gt=0)
    login_max_failures: int = Field(default=5, gt=0)
    login_lockout_minutes: int = Field(default=15, gt=0)
    default_locale: Literal["vi", "en"] = "vi"


class CrawlSettings(_Strict):
    user_agent: str = "DuLuan/0.1 (+press-monitoring; contact: {contact})"
    contact: str = "press-office@example.gov.vn"
    allow_private: list[str] = Field(default_factory=list, description="hosts/CIDRs allowed despite the SSRF guard")
    per_domain_concurrency: int = Field(default=2, ge=1, le=2)
    download_timeout: int = Field(default=30, gt=0)
    max_page_bytes: int = Field(default=5_000_000, gt=0)
    retries: int = Field(default=3, ge=0)
    autothrottle: bool = True
    http_cache: bool = True
    obey_robots: bool = True
    recent_fetch_hours: int = Field(default=24, ge=0)
    discovery: bool = Field(default=True, description="run the foreign-press search connectors")
    gdelt_url: str = "https://api.gdeltproject.org/api/v2/doc/doc"
    google_news_url: str = "https://news.google.com/rss/search"
    discovery_languages: list[str] = Field(default_factory=lambda: ["en", "fr", "de", "ja", "ko", "zh"])


class SchedulerSettings(_Strict):
    enabled: bool = True
    digest_time: str = Field(default="07:00", pattern=r"^\d{2}:\d{2}$")
    monthly_day: int = Field(default=1, ge=1, le=28)
    monthly_time: str = Field(default="08:00", pattern=r"^\d{2}:\d{2}$")
    aggregate_alerts_minutes: int = Field(default=15, gt=0)
    retention_days: int = Field(default=0, ge=0, description="0 keeps articles forever")


class SmtpSettings(_Strict):
    host: str = ""
    port: int = Field(default=25, ge=0, le=65535)
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str = ""
    sender: str = "du-luan@localhost"
    timeout: int = Field(default=20, gt=0)


class WebhookSettings(_Strict):
    id: str
    url: str
    timeout: int = Field(default=10, gt=0)
    retries: int = Field(default=4, ge=0)


class AlertSettings(_Strict):
    email_to: list[str] = Field(default_factory=list)
    webhooks: list[WebhookSettings] = Field(default_factory=list)
    throttle_per_hour: int = Field(default=60, gt=0)


class ReportSettings(_Strict):
    issuing_body: list[str] = Field(
        default_factory=lambda: ["ỦY BAN NHÂN DÂN THÀNH PHỐ HỒ CHÍ MINH", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"]
    )
    number_suffix: str = "BC-STTTT"
    place: str = "Thành phố Hồ Chí Minh"
    signer_title: str = "GIÁM ĐỐC"
    signer_name: str = ""
    recipients: list[str] = Field(
        default_factory=lambda: ["Ban Chỉ đạo công tác thông tin đối ngoại Thành phố", "Lưu: VT"]
    )
    digest_email_to: list[str] = Field(default_factory=list)
    monthly_email_to: list[str] = Field(default_factory=list)


class EnrichmentSettings(_Strict):
    enrichers: list[str] = Field(
        default_factory=lambda: ["normalize", "language", "relevance", "topics", "sentiment", "stories", "risk", "summary"]
    )
    relevance_threshold: float = Field(default=0.5, ge=0, le=1)
    embeddings: bool = True
    embedding_threads: int = Field(default=1, ge=1, le=64)
    sentiment_e5_sentences: int = Field(default=2, ge=0, le=24)
    languages: list[str] = Field(
        default_factory=lambda: [
            "vi", "en", "fr", "zh", "ja", "ko", "ru", "de", "es", "th", "km", "lo",
            "it", "pt", "id", "ms", "ar", "nl", "pl", "tr", "uk",
        ]
    )


class Settings(_Strict):
    """Everything an office configures. Paths are resolved against the data/config dirs."""

    city: str = "hcmc"
    timezone: str = "Asia/Ho_Chi_Minh"
    store: str = Field(default="", description="article index URL; empty = sqlite file in the data dir")
    database_url: str = Field(default="", description="operational DB URL; empty = sqlite file in the data dir")
    web: WebSettings = Field(default_factory=WebSettings)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    enrichment: EnrichmentSettings = Field(default_factory=EnrichmentSettings)

    # not from YAML: where things live
    data_dir: Path = Field(default=Path("data"), exclude=True)
    config_dir: Path = Field(default=Path("config"), exclude=True)

    @property
    def store_url(self) -> str:
        return self.store or f"sqlite:///{(self.data_dir / 'index.sqlite').resolve()}"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'duluan.db').resolve()}"

    def secret(self, name: str, default: str = "") -> str:
        """A secret, only ever from the environment (`DULUAN_<NAME>`)."""
        return os.environ.get(f"DULUAN_{name.upper()}", default)


# ---------------------------------------------------------------- the city


class Agency(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    name_en: str = ""
    email: str = ""
    topics: list[str] = Field(default_factory=list, description="topic codes this agency answers")


class CityConfig(_Strict):
    """A city: its names in every language, places, people, and the agencies that answer alerts."""

    id: str
    name: str
    name_en: str
    aliases: dict[str, list[str]] = Field(description="language code -> names and abbreviations")
    former_names: list[str] = Field(default_factory=list)
    districts: list[str] = Field(default_factory=list)
    landmarks: list[str] = Field(default_factory=list)
    officials: list[str] = Field(default_factory=list)
    exclusions: list[str] = Field(default_factory=list, description="phrases that look like the city but are not it")
    weak: list[str] = Field(default_factory=list, description="brand/company names: weak evidence only")
    agencies: list[Agency] = Field(default_factory=list)

    def agency(self, agency_id: str) -> Agency | None:
        return next((a for a in self.agencies if a.id == agency_id), None)


# ---------------------------------------------------------------- loading


def format_validation_error(path: Path | str, err: ValidationError) -> str:
    """One line per problem: file: key.path: what was expected (got: value)."""
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        got = e.get("input")
        got_s = repr(got)
        if len(got_s) > 60:
            got_s = got_s[:57] + "..."
        hint = " (unknown key: check spelling against settings.example.yaml)" if e["type"] == "extra_forbidden" else ""
        lines.append(f"{path}: {loc}: {e['msg']} (got {got_s}){hint}")
    return "\n".join(lines)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; a syntax error names the file, line and column."""
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def load_model(path: Path, model: type[M], data: Any = None) -> M:
    """Validate one YAML file (or already-read data) into `model`, with errors that name the file."""
    if data is None:
        data = read_yaml(path)
    if data is None:
        data = {}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc)) from None


def _set_path(d: dict[str, Any], keys: list[str], value: Any) -> None:
    for k in keys[:-1]:
        d = d.setdefault(k, {})
        if not isinstance(d, dict):
            raise ConfigError(f"environment: DULUAN_{'__'.join(keys).upper()}: {k} is not a section")
    d[keys[-1]] = value


# environment variables that are not settings keys
_NON_SETTINGS_ENV = {
    "DATA_DIR", "CONFIG_DIR", "ADMIN_PASSWORD", "SECRET_KEY", "SMTP_PASSWORD", "WEBHOOK_SECRET",
    "ES_URL", "ES_API_KEY", "ES_USERNAME", "ES_PASSWORD", "ES_CA_FILE", "API_TOKEN", "DEBUG", "PG_URL",
}


def env_overrides(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """`DULUAN_TIMEZONE=…`, `DULUAN_WEB__PORT=8080` (double underscore = nested key). Values are
    parsed as YAML scalars/lists, so `DULUAN_CRAWL__ALLOW_PRIVATE=[127.0.0.1]` works."""
    environ = dict(os.environ if environ is None else environ)
    out: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith("DULUAN_"):
            continue
        name = key[len("DULUAN_") :]
        if name in _NON_SETTINGS_ENV or name.startswith("TEST"):
            continue
        keys = [k.lower() for k in name.split("__")]
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        if keys[0] == "store" or keys[0] == "database_url":
            value = raw
        _set_path(out, keys, value)
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def data_dir_from_env() -> Path:
    return Path(os.environ.get("DULUAN_DATA_DIR", "data"))


def config_dir_from_env() -> Path:
    return Path(os.environ.get("DULUAN_CONFIG_DIR", "config"))


def load_settings(config_dir: Path | None = None, data_dir: Path | None = None,
                  environ: dict[str, str] | None = None) -> Settings:
    """Defaults ← `<config>/settings.yaml` (if present) ← `DULUAN_*` environment."""
    config_dir = config_dir or config_dir_from_env()
    data_dir = data_dir or data_dir_from_env()
    path = config_dir / "settings.yaml"
    data: dict[str, Any] = {}
    if path.exists():
        raw = read_yaml(path)
        if raw is not None and not isinstance(raw, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of settings")
        data = raw or {}
    env = env_overrides(environ)
    merged = _merge(data, env)
    where = f"{path}{' + environment' if env else ''}" if path.exists() else "environment (DULUAN_*)"
    settings = load_model(Path(where), Settings, merged)
    return settings.model_copy(update={"data_dir": data_dir, "config_dir": config_dir})


def load_city(settings: Settings, city: str | None = None) -> CityConfig:
    """The city file `<config>/cities/<city>.yaml`."""
    path = settings.config_dir / "cities" / f"{city or settings.city}.yaml"
    if not path.exists():
        raise ConfigError(f"{path}: city file not found (setting `city: {city or settings.city}`)")
    return load_model(path, CityConfig)
