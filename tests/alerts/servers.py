"""Real loopback servers for the alert channel tests: an SMTP server (aiosmtpd) that keeps every
message it receives, and an HTTP webhook receiver that verifies signatures and can be told to
fail a number of times (or always)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Keep:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.times: list[float] = []  # time.perf_counter() at arrival (benchmarks)
        self.event = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        self.times.append(time.perf_counter())
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)))
        self.event.set()
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on 127.0.0.1; `messages` holds (recipients, raw bytes). With `credentials` the
    server offers AUTH (LOGIN/PLAIN) and checks that user and password (a wrong login is refused)."""

    def __init__(self, credentials: tuple[str, str] | None = None, tls_context: Any = None,
                 implicit_tls: Any = None) -> None:
        self.handler = _Keep()
        self.port = free_port()
        self.logins: list[tuple[str, bool]] = []
        kwargs: dict[str, Any] = {}
        if credentials is not None:
            kwargs = {"authenticator": self._authenticator(credentials), "auth_required": False,
                      "auth_require_tls": tls_context is not None}
        if tls_context is not None:
            kwargs.update({"tls_context": tls_context, "require_starttls": True})
        if implicit_tls is not None:  # SMTPS: TLS from the first byte
            kwargs["ssl_context"] = implicit_tls
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def _authenticator(self, credentials: tuple[str, str]) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
            ok = isinstance(auth_data, LoginPassword) and (
                auth_data.login.decode(), auth_data.password.decode()) == credentials
            self.logins.append((auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "?", ok))
            return AuthResult(success=ok)

        return check

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def raw(self) -> list[bytes]:
        return [m[1] for m in self.handler.messages]

    def parsed(self) -> list[EmailMessage]:
        return [message_from_bytes(r, policy=policy.default) for r in self.raw]  # type: ignore[misc]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HookBehaviour:
    fail_first: int = 0  # answer 500 to this many requests, then 200
    always_fail: bool = False
    calls: int = 0
    received: list[Received] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # time.perf_counter() at arrival (benchmarks)
    lock: threading.Lock = field(default_factory=threading.Lock)
    event: threading.Event = field(default_factory=threading.Event)


class WebhookReceiver:
    """A real HTTP server; records every POST (also the failed ones) in `behaviour.received`."""

    def __init__(self, fail_first: int = 0, always_fail: bool = False) -> None:
        self.behaviour = HookBehaviour(fail_first=fail_first, always_fail=always_fail)
        b = self.behaviour

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                arrived = time.perf_counter()
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with b.lock:
                    b.calls += 1
                    b.times.append(arrived)
                    b.received.append(Received(self.path, {k: v for k, v in self.headers.items()}, body))
                    fail = b.always_fail or b.calls <= b.fail_first
                self.send_response(500 if fail else 200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"no" if fail else b"ok")
                b.event.set()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def self_signed_cert(directory: Any) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key (PEM files), made on the spot for TLS tests."""
    import datetime as dt
    import ipaddress
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    d = Path(directory)
    cert_path, key_path = d / "cert.pem", d / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)
