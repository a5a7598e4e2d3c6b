"""The deployment files agree with the code: the compose file's settings load, its store URL
and credentials give the client we expect, every variable it uses is in .env.example, the app
image carries every package. (No Docker daemon here: the stack itself is exercised by
`make test-es` against it, see deploy/README.md.)"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from duluan.settings import load_settings
from index.elastic import client_from_url

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


def _resolve(value: str, env: dict[str, str]) -> str:
    """Compose-style ${VAR}, ${VAR:-default}, ${VAR:?message} substitution."""
    def sub(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if name in env:
            return env[name]
        if op == ":-":
            return arg
        raise AssertionError(f"{name} is not set")
    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", sub, value)


def _env_example() -> dict[str, str]:
    out = {}
    for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip()
    return out


def test_services_and_security(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"setup", "es01", "postgres", "app"}
    es = services["es01"]["environment"]
    assert es["discovery.type"] == "single-node"
    assert es["xpack.security.enabled"] == "true" and es["xpack.security.http.ssl.enabled"] == "true"
    for name in ("es01", "app"):
        for port in services[name]["ports"]:
            assert port.startswith("127.0.0.1:"), f"{name} must publish on loopback only"
    assert services["app"]["build"]["dockerfile"] == "deploy/Dockerfile"


def test_every_variable_is_documented(compose: dict) -> None:
    text = (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{(\w+)", text))
    assert used <= set(_env_example()), used - set(_env_example())


def test_app_environment_loads_and_points_at_the_stack(compose: dict, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    image_env = dict(re.findall(r"(DULUAN_\w+)=(\S+)", (DEPLOY / "Dockerfile").read_text(encoding="utf-8")))
    env = {k: _resolve(str(v), _env_example()) for k, v in compose["services"]["app"]["environment"].items()}
    env = {**image_env, **env}
    env.pop("DULUAN_DATA_DIR")
    env.pop("DULUAN_CONFIG_DIR")
    ca = tmp_path / "ca.crt"
    ca.write_text("not used before a request\n")
    env["DULUAN_ES_CA_FILE"] = str(ca)
    settings = load_settings(ROOT / "config", tmp_path, environ=env)
    assert settings.store_url == "elasticsearchs://es01:9200"
    assert settings.db_url.startswith("postgresql+psycopg://duluan:") and settings.db_url.endswith("@postgres:5432/duluan")
    assert settings.web.host == "0.0.0.0"
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("DULUAN_ES_API_KEY", raising=False)
    client, _, safe = client_from_url(settings.store_url)
    assert safe == "https://es01:9200"
    assert client._headers["authorization"].startswith("Basic ")  # type: ignore[attr-defined]


def test_setup_script_is_valid_bash() -> None:
    assert subprocess.run(["bash", "-n", str(DEPLOY / "es-setup.sh")]).returncode == 0


def test_app_image_carries_every_package() -> None:
    import tomllib

    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\w+) \./", dockerfile, re.M))
    assert {p.rstrip("*") for p in include} <= copied
