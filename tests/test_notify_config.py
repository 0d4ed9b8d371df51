"""`[[notify]]` tables in tenants.toml: what is accepted, and each mistake as one config error line."""

from __future__ import annotations

import pytest

from auditor.config import ConfigError, parse_config
from auditor.notify.settings import Channel, url_secret
from auditor.results import Severity


def notify(body: str):
    return parse_config(f"[[notify]]\n{body}\n", "tenants.toml")


def test_the_three_channels_are_read():
    config = parse_config("""
[[notify]]
channel = "teams"
target_env = "AUDITOR_TEAMS_URL"
min_severity = "high"

[[notify]]
channel = "email"
target = "secops@partner.example; cto@partner.example"
smtp_host = "smtp.partner.example"
smtp_username = "auditor"
password_env = "AUDITOR_SMTP_PASSWORD"
sender = "auditor@partner.example"
tags = ["tier:gold"]

[[notify]]
channel = "webhook"
target = "https://hooks.partner.example/audit"
tenants = ["contoso.com"]
always = true
""", "tenants.toml")
    teams, email, webhook = config.notify
    assert teams.channel is Channel.TEAMS and teams.min_severity is Severity.HIGH and teams.expiry_days == 30
    assert email.smtp_port == 587 and email.describe() == "email to secops@partner.example; cto@partner.example via smtp.partner.example:587"
    assert webhook.always and webhook.describe() == "webhook to https://hooks.partner.example"
    assert teams.describe() == "teams (URL from $AUDITOR_TEAMS_URL)"


def test_no_notify_table_means_no_channel():
    assert parse_config("", "tenants.toml").notify == []


@pytest.mark.parametrize("body, message", [
    ('channel = "teams"\ntarget = "https://prod-1.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=XYZ"',
     "put the whole URL in an environment variable and name it with target_env"),
    ('channel = "webhook"\ntarget = "https://hooks.example/x?code=abc123"', "the URL carries a secret (code=…)"),
    ('channel = "webhook"\ntarget = "https://user:pa55@hooks.example/x"', "the URL carries a secret (a password)"),
    ('channel = "webhook"\ntarget = "https://hooks.example/services/T0001/B0002/Xyz4Abc8Def2Ghi6Jkl0Mno4"',
     "the URL carries a secret (a token in its path)"),
    ('channel = "webhook"\ntarget = "http://hooks.example/x"', "https:// URL (http only for a 127.0.0.1 test receiver)"),
    ('channel = "webhook"\ntarget = "http://127.0.0.1.evil.example/x"', "https:// URL"),
    ('channel = "teams"\ntarget_env = "AUDITOR TEAMS"', "is not an environment variable name"),
    ('channel = "webhook"', "give one of target or target_env"),
    ('channel = "webhook"\ntarget = "https://a.example"\ntarget_env = "X"', "give one of target or target_env"),
    ('channel = "email"\ntarget = "secops@partner.example"', 'channel "email" needs smtp_host and sender'),
    ('channel = "email"\ntarget = "not-an-address"\nsmtp_host = "smtp.example"\nsender = "a@partner.example"',
     "'not-an-address' is not an e-mail address"),
    ('channel = "email"\ntarget = "a@partner.example"\nsmtp_host = "smtp.example"\nsender = "a@partner.example"\n'
     'smtp_username = "auditor"', "smtp_username and password_env go together"),
    ('channel = "email"\ntarget = "a@partner.example"\nsmtp_host = "smtp.example"\nsender = "a@partner.example"\n'
     'password = "hunter2"', "a secret (password) must not be written in the config file"),
    ('channel = "webhook"\ntarget = "https://a.example"\nsmtp_host = "smtp.example"', 'are for channel "email"'),
    ('channel = "slack"\ntarget = "https://a.example"', "Input should be 'teams', 'email' or 'webhook'"),
    ('channel = "webhook"\ntarget = "https://a.example"\nmin_severity = "urgent"', "Input should be"),
])
def test_each_mistake_is_one_line(body, message):
    with pytest.raises(ConfigError) as error:
        notify(body)
    text = str(error.value)
    assert text.startswith("tenants.toml:") and "notify" in text and message in text and "\n" not in text
    assert "hunter2" not in text and "pa55" not in text and "XYZ" not in text and "Xyz4Abc8" not in text


def test_plain_http_is_allowed_only_to_a_loopback_webhook():
    assert notify('channel = "webhook"\ntarget = "http://127.0.0.1:8080/hook"').notify[0].target.startswith("http://127.0.0.1")


@pytest.mark.parametrize("url, secret", [
    ("https://a.example/x?sig=abc", "sig=…"),
    ("https://a.example/x?api-key=1", "api-key=…"),
    ("https://u:p@a.example/", "a password"),
    ("https://discord.example/api/webhooks/1234567/AbCdEf0123456789GhIjKl", "a token in its path"),
    ("https://a.example/hooks/notification-receiver/v1", None),  # long words, no digits mixed in
    ("https://a.example/x?team=secops", None),
    ("https://a.example/x?token=", None),  # an empty value carries nothing
])
def test_url_secret(url, secret):
    assert url_secret(url) == secret
