"""``[[notify]]`` in tenants.toml: where a run's digest of changes goes (Teams, email, a JSON webhook).

Secrets never live in the file. A Teams Workflows URL carries its signature (``sig=``) in the query string,
so it is read from the environment variable ``target_env`` names; any target URL that carries a secret
(a signature, token, key or password in the query string, or a password before the host) is refused with
one line. The SMTP password is read from ``password_env``.

Imports nothing of auditor.config (which imports this module), only pydantic and the severity vocabulary.
"""

from __future__ import annotations

import re
from enum import StrEnum
from ipaddress import ip_address
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from auditor.results import Severity

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
EMAIL = re.compile(r"^[^@\s,;<>\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
# Query parameters that carry a credential in the webhook URLs partners meet: Logic Apps / Power Automate
# (`sig`), Azure Functions (`code`), Slack-style and generic tokens, API keys.
SECRET_PARAMETERS = frozenset({
    "sig", "signature", "code", "token", "access_token", "auth", "key", "apikey", "api_key", "api-key",
    "secret", "password", "pass", "pwd", "sas", "sv_sig",
})
DEFAULT_EXPIRY_DAYS = 30


class Channel(StrEnum):
    TEAMS = "teams"  # a Teams Workflows webhook ("Post to a channel when a webhook request is received")
    EMAIL = "email"  # SMTP with STARTTLS
    WEBHOOK = "webhook"  # a generic JSON POST


_PATH_TOKEN = re.compile(r"^(?=.*[A-Za-z])(?=.*[0-9])[A-Za-z0-9_.~-]{20,}$")


def url_secret(url: str) -> str | None:
    """What credential a URL carries, in words (``"sig=…"``, ``"a password"``, ``"a token in its path"``),
    or None when it carries none. A path segment of 20 or more letters and digits mixed is taken for a
    token (Slack, Discord and Office 365 connector URLs carry theirs there)."""
    parts = urlsplit(url)
    if parts.password:
        return "a password"
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in SECRET_PARAMETERS and value:
            return f"{name}=…"
    if any(_PATH_TOKEN.match(segment) for segment in parts.path.split("/")):
        return "a token in its path"
    return None


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8 and ::1 (the only hosts a test may reach over plain http)."""
    try:
        return host is not None and ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, channel: Channel) -> str:
    """``url`` when it can carry a digest: https (plain http only to a loopback test receiver, and never for
    Teams, whose Workflows endpoints are https only), with a host. Raises ValueError naming the problem."""
    parts = urlsplit(url.strip())
    if not parts.hostname:
        raise ValueError(f"{url!r} is not a URL (expected https://…)")
    plain_ok = channel is Channel.WEBHOOK and parts.scheme == "http" and is_loopback(parts.hostname)
    if parts.scheme != "https" and not plain_ok:
        raise ValueError("must be an https:// URL" + (" (http only for a 127.0.0.1 test receiver)"
                                                        if channel is Channel.WEBHOOK else ""))
    return url.strip()


class NotifyChannel(BaseModel):
    """One ``[[notify]]`` table: a channel, its target, and which news it wants.

    ``target`` (or ``target_env``, the environment variable holding it) is the Workflows URL for
    ``teams``, the receiver URL for ``webhook``, and one or more addresses (comma-separated) for ``email``.
    ``tenants`` (ids, domains or display names) and ``tags`` narrow the digest to those tenants (either
    list matching is enough); ``min_severity`` leaves out failing checks, acceptances and alerts below it.
    ``always`` sends a digest even when nothing changed. Email also needs ``smtp_host`` and ``sender``;
    ``smtp_username`` with ``password_env`` logs in (after STARTTLS, never before)."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    target: str = ""
    target_env: str = ""
    tenants: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    min_severity: Severity = Severity.LOW
    always: bool = False
    expiry_days: int = Field(DEFAULT_EXPIRY_DAYS, ge=0, le=366)  # acceptances/attestations ending within
    # email only
    smtp_host: str = ""
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str = ""
    password_env: str = ""
    sender: str = ""

    @model_validator(mode="before")
    @classmethod
    def _refuse_inline_secrets(cls, values: object) -> object:
        if isinstance(values, dict):
            for key in ("password", "smtp_password", "secret", "token", "signature", "sig"):
                if key in values:
                    raise ValueError(f"a secret ({key}) must not be written in the config file; put it in an "
                                     "environment variable and name it with password_env (or target_env for a URL)")
        return values

    @field_validator("target_env", "password_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if value and not ENV_NAME.match(value):
            raise ValueError(f"{value!r} is not an environment variable name")
        return value

    @field_validator("smtp_host")
    @classmethod
    def _host(cls, value: str) -> str:
        if value and not HOSTNAME.match(value):
            raise ValueError(f"{value!r} is not a host name")
        return value

    @model_validator(mode="after")
    def _complete(self) -> "NotifyChannel":
        if bool(self.target) == bool(self.target_env):
            raise ValueError(f"give one of target or target_env (the environment variable holding the "
                             f"{'address' if self.channel is Channel.EMAIL else 'URL'})")
        if self.channel is Channel.TEAMS and self.target:
            check_url(self.target, self.channel)
            raise ValueError("a Teams Workflows URL carries its signature (sig=…): put the whole URL in an "
                             "environment variable and name it with target_env")
        if self.channel is Channel.WEBHOOK and self.target:
            check_url(self.target, self.channel)
            secret = url_secret(self.target)
            if secret:
                raise ValueError(f"the URL carries a secret ({secret}): put the whole URL in an environment "
                                 "variable and name it with target_env")
        if self.channel is Channel.EMAIL:
            if self.target:
                recipients(self.target)
            missing = [name for name in ("smtp_host", "sender") if not getattr(self, name)]
            if missing:
                raise ValueError(f"channel \"email\" needs {' and '.join(missing)}")
            if not EMAIL.match(self.sender):
                raise ValueError(f"sender {self.sender!r} is not an e-mail address")
            if bool(self.smtp_username) != bool(self.password_env):
                raise ValueError("smtp_username and password_env go together (the password is read from the "
                                 "environment variable password_env names)")
        elif self.smtp_host or self.sender or self.smtp_username or self.password_env:
            raise ValueError(f"smtp_host, sender, smtp_username and password_env are for channel \"email\", "
                             f"not {self.channel.value!r}")
        return self

    def describe(self) -> str:
        """How messages name this channel: never the URL (it may hold a secret), only where it comes from."""
        if self.channel is Channel.EMAIL:
            to = f"${self.target_env}" if self.target_env else self.target
            return f"email to {to} via {self.smtp_host}:{self.smtp_port}"
        if self.target_env:
            return f"{self.channel.value} (URL from ${self.target_env})"
        parts = urlsplit(self.target)  # the host only: a path may still identify a private endpoint
        return f"{self.channel.value} to {parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"


def recipients(text: str) -> list[str]:
    """The addresses of an email target (comma- or semicolon-separated). Raises ValueError naming a bad one."""
    found = [part.strip() for part in re.split(r"[,;]", text) if part.strip()]
    if not found:
        raise ValueError("no e-mail address given")
    for address in found:
        if not EMAIL.match(address):
            raise ValueError(f"{address!r} is not an e-mail address")
    return found

