"""Real local receivers for the notification tests: an HTTP(S) server that records every POST, and an SMTP
server (aiosmtpd) that requires STARTTLS before it accepts a login or a message. Both listen on 127.0.0.1
only, on a port the system picks, and stop at the end of the test. No tests here."""

from __future__ import annotations

import json
import ssl
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

from tests.tls_ca import ThrowawayCA


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    base_url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200  # what the receiver answers; 500 plays a channel that is down


@contextmanager
def http_receiver(ca: ThrowawayCA | None = None) -> Iterator[HttpReceiver]:
    """An HTTP server on 127.0.0.1 recording each POST (HTTPS with ``ca``'s server certificate)."""
    state = HttpReceiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            state.requests.append(Received(parts.path, parse_qs(parts.query), dict(self.headers), self.rfile.read(length)))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    scheme = "http"
    if ca is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(ca.chain_file, ca.key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    state.base_url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class SmtpReceiver:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    tls_sessions: list[bool] = field(default_factory=list)  # per message: was the session under TLS?


@contextmanager
def smtp_receiver(ca: ThrowawayCA, user: str, password: str) -> Iterator[SmtpReceiver]:
    """An aiosmtpd server on 127.0.0.1 that offers STARTTLS, refuses a message or a login before it, and
    accepts only ``user``/``password``."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    state = SmtpReceiver(0)

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            state.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            state.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
            state.tls_sessions.append(session.ssl is not None)
            return "250 OK"

    def authenticate(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password:
            state.logins.append(user)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ca.chain_file, ca.key_file)
    state.port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=state.port, tls_context=context,
                            require_starttls=True, authenticator=authenticate, auth_require_tls=True,
                            auth_required=True)
    controller.start()
    try:
        yield state
    finally:
        controller.stop()


def free_port() -> int:
    """A port nothing listens on (bound and released): a channel that is down."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
