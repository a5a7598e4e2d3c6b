"""The SSRF guard refuses private/loopback/link-local/reserved targets and odd schemes unless allowed."""

from __future__ import annotations

import pytest

from crawlers.safety import check_url
from duluan.errors import PolicyError


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://localhost:8000/admin", "http://10.1.2.3/", "http://192.168.1.1/",
    "http://172.16.5.4/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://0.0.0.0/",
    "http://224.0.0.1/", "http://[fd00::1]/", "http://[::ffff:127.0.0.1]/", "http://240.0.0.1/",
    "file:///etc/passwd", "ftp://example.com/", "gopher://127.0.0.1/", "http://user:pw@8.8.8.8/", "http:///nohost",
])
def test_refused(url: str) -> None:
    with pytest.raises(PolicyError):
        check_url(url, [])


@pytest.mark.parametrize("url,allow", [
    ("http://127.0.0.1:8765/feed.xml", ["127.0.0.1"]),
    ("http://127.0.0.1:8765/feed.xml", ["127.0.0.0/8"]),
    ("http://10.20.30.40/", ["10.0.0.0/8"]),
    ("http://localhost:9/", ["localhost"]),
])
def test_allowed_when_listed(url: str, allow: list[str]) -> None:
    check_url(url, allow)


def test_public_literal_passes() -> None:
    check_url("https://8.8.8.8/", [])
    check_url("http://1.1.1.1/path?q=1", [])


def test_allowing_one_address_does_not_allow_another() -> None:
    with pytest.raises(PolicyError, match="10.0.0.2"):
        check_url("http://10.0.0.2/", ["10.0.0.1"])
