"""Delivery of a digest through apprise (https://github.com/caronc/apprise), one channel at a time.

apprise covers the three channels, so no client is written here:

- Teams: apprise's Workflows plugin (``workflows://``) posts to a Teams Workflows webhook. It sends its own
  one-TextBlock Markdown card unless given a template file, so the digest's Adaptive Card is written to a
  private temporary file and passed as the template (apprise reads it as JSON, checks it is a ``message``
  with attachments, and posts it unchanged; "{{" in tenant text is escaped as JSON so apprise's template
  tokens cannot be injected). apprise always posts over https, to the host, workflow id and signature of
  the URL (both classic Logic Apps and Power Automate URLs).
- Email: apprise's email plugin with ``mode=starttls`` (the connection is upgraded before any login; a
  server without STARTTLS is an error, never a fallback to plain text), an HTML body with a text
  alternative.
- Webhook: apprise's JSON plugin (``json://``/``jsons://``): a POST of apprise's JSON message (``version``,
  ``title``, ``message``, ``type``) with the structured digest added under ``digest``.

TLS: apprise verifies certificates with the public roots; `requests` (Teams, webhook) also trusts
``REQUESTS_CA_BUNDLE``, SMTP (Python's ssl) ``SSL_CERT_FILE``.

A failure raises NotifyError with one line that names the channel as ``NotifyChannel.describe`` does and
never holds a secret: apprise's own warning is kept, with every secret value of the channel blanked out.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from auditor.notify import formats
from auditor.notify.digest import Digest
from auditor.notify.settings import Channel, NotifyChannel, check_url, recipients

_WORKFLOWS_PATH = re.compile(
    r"^(?P<pa>/powerautomate/automations/direct(?:/cu/(?P<route>[0-9]+))?)?"
    r"/workflows/(?P<workflow>[A-Za-z0-9_-]+)/triggers/manual/paths/invoke/?$"
)
_SIGNATURE = re.compile(r"^[A-Za-z0-9_-]+$")
TIMEOUT_S = 15  # connect and read, per request


class NotifyError(Exception):
    """A channel that could not be reached or refused the digest; one line without secrets."""


def _env(name: str, environ: Mapping[str, str], what: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise NotifyError(f"environment variable {name} ({what}) is not set")
    return value


def _target(channel: NotifyChannel, environ: Mapping[str, str]) -> str:
    if channel.target_env:
        what = "the recipients" if channel.channel is Channel.EMAIL else "the URL"
        return _env(channel.target_env, environ, what)
    return channel.target


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


# urllib3 logs every request line at DEBUG, a Workflows signature included.
_QUIET_LOGGERS = ("urllib3", "requests")


@contextmanager
def _apprise_log() -> Iterator[_Records]:
    """apprise's warnings collected here and kept from every other handler (the caller re-says them without
    secrets); its debug output (payloads) and urllib3's (request URLs) are not produced at all."""
    logger = logging.getLogger("apprise")
    handler, saved = _Records(), (logger.level, logger.propagate)
    quiet = {name: logging.getLogger(name).level for name in _QUIET_LOGGERS}
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)


def _redact(text: str, secrets: list[str]) -> str:
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***").replace(quote(secret, safe=""), "***")
    return text


def _workflows_plugin(url: str, template: Path):
    """apprise's Workflows plugin for a Teams Workflows URL, posting the card in ``template``."""
    from apprise.plugins.workflows import NotifyWorkflows

    check_url(url, Channel.TEAMS)
    parts = urlsplit(url)
    path = _WORKFLOWS_PATH.match(parts.path)
    query = dict(parse_qsl(parts.query))
    signature = query.get("sig", "")
    if path is None or not _SIGNATURE.match(signature):
        raise NotifyError("the Teams URL is not a Workflows webhook URL (…/workflows/ID/triggers/manual/paths/"
                          "invoke?…&sig=…): copy it from the workflow's trigger")
    params = {"image": "no", "pa": "yes" if path["pa"] else "no"}
    if path["route"]:
        params["route"] = path["route"]
    if query.get("api-version"):
        params["ver"] = query["api-version"]
    port = f":{parts.port}" if parts.port else ""
    kwargs = NotifyWorkflows.parse_url(
        f"workflows://{parts.hostname}{port}/{path['workflow']}/{signature}/?{urlencode(params)}")
    if not kwargs:
        raise NotifyError("the Teams URL could not be read")
    return NotifyWorkflows(**{**kwargs, "template": str(template)})


def _card_file(directory: Path, digest: Digest) -> Path:
    card = formats.workflows_message(formats.adaptive_card(digest))
    # "{{" never occurs in JSON outside strings; escaped there, apprise's {{token}} substitution finds nothing.
    text = json.dumps(card, ensure_ascii=False).replace("{{", "{\\u007b")
    path = directory / "card.json"
    path.write_text(text, encoding="utf-8")
    return path


def _email_plugin(channel: NotifyChannel, to: list[str], password: str):
    from apprise.plugins.email import NotifyEmail

    query = urlencode({"smtp": channel.smtp_host, "from": channel.sender, "to": ",".join(to),
                       "mode": "starttls", "format": "html"})
    user = f"{quote(channel.smtp_username, safe='')}@" if channel.smtp_username else ""
    kwargs = NotifyEmail.parse_url(f"mailto://{user}{channel.smtp_host}:{channel.smtp_port}/?{query}")
    if not kwargs:
        raise NotifyError("the e-mail settings could not be read")
    if password:
        kwargs["password"] = password
    return NotifyEmail(**kwargs)


def _webhook_plugin(url: str, digest: Digest):
    from apprise.plugins.custom_json import NotifyJSON

    url = check_url(url, Channel.WEBHOOK)
    parts = urlsplit(url)
    scheme = "jsons" if parts.scheme == "https" else "json"
    # The URL's own query parameters go through as apprise "-name" GET parameters.
    params = urlencode({f"-{name}": value for name, value in parse_qsl(parts.query, keep_blank_values=True)})
    kwargs = NotifyJSON.parse_url(f"{scheme}://{parts.netloc}{parts.path or '/'}" + (f"?{params}" if params else ""))
    if not kwargs:
        raise NotifyError("the webhook URL could not be read")
    kwargs["payload"] = {**(kwargs.get("payload") or {}), "digest": formats.to_json(digest)}
    return NotifyJSON(**kwargs)


def deliver(channel: NotifyChannel, digest: Digest, environ: Mapping[str, str] | None = None) -> None:
    """Send ``digest`` (already narrowed to this channel) through ``channel``. Raises NotifyError."""
    import apprise

    environ = os.environ if environ is None else environ
    target = _target(channel, environ)
    password = _env(channel.password_env, environ, "the SMTP password") if channel.password_env else ""
    secrets = [password, target if channel.target_env else ""]
    secrets += [value for _, value in parse_qsl(urlsplit(target).query)] if channel.channel is not Channel.EMAIL else []
    title = formats.title(digest)
    with tempfile.TemporaryDirectory(prefix="auditor-notify-") as folder, _apprise_log() as log:
        try:
            if channel.channel is Channel.TEAMS:
                plugin = _workflows_plugin(target, _card_file(Path(folder), digest))
                body, body_format = formats.to_text(digest, limit=20), apprise.NotifyFormat.TEXT
            elif channel.channel is Channel.EMAIL:
                plugin = _email_plugin(channel, recipients(target), password)
                body, body_format = formats.to_html(digest), apprise.NotifyFormat.HTML
            else:
                plugin = _webhook_plugin(target, digest)
                body, body_format = formats.to_text(digest), apprise.NotifyFormat.TEXT
            plugin.socket_connect_timeout = plugin.socket_read_timeout = TIMEOUT_S
            sender = apprise.Apprise()
            sender.add(plugin)
            sent = sender.notify(body=body, title=title, body_format=body_format,
                                 notify_type=apprise.NotifyType.WARNING if digest.has_news else apprise.NotifyType.INFO)
        except NotifyError:
            raise
        except ValueError as exc:  # a target or recipient that does not parse
            raise NotifyError(_redact(str(exc), secrets)) from None
        except Exception as exc:  # apprise's own configuration errors: never a traceback, never the audit
            raise NotifyError(_redact(f"{type(exc).__name__}: {exc}", secrets)) from None
    if not sent:
        reason = log.messages[-1] if log.messages else "the channel did not accept the message"
        raise NotifyError(_redact(reason.rstrip("."), secrets))
