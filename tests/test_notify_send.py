"""Delivery over real local servers: a Teams Workflows endpoint and a JSON webhook (HTTP(S) receivers on
127.0.0.1) and an SMTP server with STARTTLS (aiosmtpd). Each channel is also tried down, and a planted
secret never shows in anything the notifier says."""

from __future__ import annotations

import logging

import pytest

from auditor.notify import formats
from auditor.notify.dispatch import Delivery, dispatch
from auditor.notify.settings import NotifyChannel
from tests.notify_servers import free_port, http_receiver, smtp_receiver
from tests.test_notify_digest import CONTOSO, engine, hostile_digest, two_runs  # noqa: F401 (fixture)
from tests.tls_ca import make_ca

SECRET = "S3cr3tMarker-do-not-log"
WORKFLOW = "643e69f83c8944438d68119179a10a64"


@pytest.fixture
def ca(tmp_path, monkeypatch):
    """A throwaway CA the receivers' certificates chain to, trusted the way apprise reads trust."""
    found = make_ca(tmp_path / "pki")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(found.ca_file))  # requests: Teams, webhook
    monkeypatch.setenv("SSL_CERT_FILE", str(found.ca_file))  # Python's ssl: SMTP STARTTLS
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    return found


@pytest.fixture
def digest(engine):  # noqa: F811 (the fixture)
    from auditor.notify.gather import build_digest

    return build_digest(engine, two_runs(engine), label="2026-Q2")


def workflows_url(base: str) -> str:
    return (f"{base}/workflows/{WORKFLOW}/triggers/manual/paths/invoke?api-version=2016-06-01"
            f"&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={SECRET}")


def teams(**extra) -> NotifyChannel:
    return NotifyChannel(channel="teams", target_env="AUDITOR_TEAMS_URL", **extra)


def test_teams_receives_the_adaptive_card(ca, digest, caplog):
    caplog.set_level(logging.DEBUG)
    with http_receiver(ca) as receiver:
        outcomes = dispatch([teams()], digest, environ={"AUDITOR_TEAMS_URL": workflows_url(receiver.base_url)})
    assert [o.delivery for o in outcomes] == [Delivery.SENT], outcomes[0].detail
    (request,) = receiver.requests
    assert request.path == f"/workflows/{WORKFLOW}/triggers/manual/paths/invoke"
    assert request.query["sig"] == [SECRET] and request.query["api-version"] == ["2016-06-01"]
    assert request.json() == formats.workflows_message(formats.adaptive_card(digest))
    assert SECRET not in caplog.text


def test_teams_template_tokens_in_tenant_names_stay_text(ca, engine):  # noqa: F811 (the fixture)
    digest = hostile_digest(engine)
    with http_receiver(ca) as receiver:
        outcomes = dispatch([teams()], digest, environ={"AUDITOR_TEAMS_URL": workflows_url(receiver.base_url)})
    assert outcomes[0].delivery is Delivery.SENT, outcomes[0].detail
    sent = receiver.requests[0].body.decode()
    assert "{{app_body}}" in receiver.requests[0].json()["attachments"][0]["content"]["body"][1]["items"][1]["inlines"][0]["text"]
    assert "<at>all</at>" in sent and '"entities"' not in sent  # no mention is made of it


def test_webhook_receives_apprise_json_with_the_structured_digest(digest):
    with http_receiver() as receiver:
        channel = NotifyChannel(channel="webhook", target=f"{receiver.base_url}/hooks/audit?team=secops")
        outcomes = dispatch([channel], digest)
    assert outcomes[0].delivery is Delivery.SENT, outcomes[0].detail
    (request,) = receiver.requests
    assert request.path == "/hooks/audit" and request.query == {"team": ["secops"]}
    body = request.json()
    assert body["title"] == formats.title(digest) and body["type"] == "warning"
    assert "Newly failing checks (2)" in body["message"]
    assert body["digest"] == formats.to_json(digest)
    assert {t["tenant_id"] for t in body["digest"]["tenants"]} >= {CONTOSO}


def test_email_goes_over_starttls_with_login(ca, digest, caplog):
    caplog.set_level(logging.DEBUG)
    with smtp_receiver(ca, "auditor", SECRET) as server:
        channel = NotifyChannel(channel="email", target="secops@partner.example, cto@partner.example",
                                smtp_host="127.0.0.1", smtp_port=server.port, smtp_username="auditor",
                                password_env="AUDITOR_SMTP_PASSWORD", sender="auditor@partner.example")
        outcomes = dispatch([channel], digest, environ={"AUDITOR_SMTP_PASSWORD": SECRET})
    assert outcomes[0].delivery is Delivery.SENT, outcomes[0].detail
    assert server.logins == ["auditor"] and all(server.tls_sessions)
    recipients = sorted(r for _, rcpt in server.envelopes for r in rcpt)
    assert recipients == ["cto@partner.example", "secops@partner.example"]
    message = server.messages[0]
    assert message["Subject"] == formats.title(digest)
    html = message.get_body(("html",)).get_content()
    assert "Newly failing checks (2)" in html and "Contoso" in html
    assert SECRET not in caplog.text


def test_email_refuses_a_server_without_the_right_password(ca, digest):
    with smtp_receiver(ca, "auditor", "another-password") as server:
        channel = NotifyChannel(channel="email", target="secops@partner.example", smtp_host="127.0.0.1",
                                smtp_port=server.port, smtp_username="auditor", password_env="P",
                                sender="auditor@partner.example")
        (outcome,) = dispatch([channel], digest, environ={"P": SECRET})
    assert outcome.delivery is Delivery.FAILED and server.messages == []
    assert SECRET not in outcome.detail


def test_nothing_changed_sends_nothing_unless_asked(engine):  # noqa: F811 (the fixture)
    from auditor import store
    from auditor.notify.gather import build_digest
    from tests.test_store_backends import audit, quarter, tenant

    same = [tenant(CONTOSO, "Contoso", {"MFA-1": "PASS", "ADM-1": "FAIL"})]
    store.record_run(engine, audit("q1", same, at=quarter(0)))
    store.record_run(engine, audit("q2", same, at=quarter(1)))
    digest = build_digest(engine, store.load_run_results(engine, "q2"))
    with http_receiver() as receiver:
        quiet = NotifyChannel(channel="webhook", target=f"{receiver.base_url}/quiet")
        loud = NotifyChannel(channel="webhook", target=f"{receiver.base_url}/loud", always=True)
        outcomes = dispatch([quiet, loud], digest)
        assert [o.delivery for o in outcomes] == [Delivery.UNCHANGED, Delivery.SENT]
        assert dispatch([quiet], digest, always=True)[0].delivery is Delivery.SENT
    assert [r.path for r in receiver.requests] == ["/loud", "/quiet"]
    assert receiver.requests[0].json()["type"] == "info"
    assert "no change since the previous audit" in receiver.requests[0].json()["title"]


@pytest.mark.parametrize("down", ["refused", "http 500"])
def test_a_channel_that_is_down_is_a_failed_outcome_and_the_others_still_go(ca, digest, down):
    with http_receiver(ca) as teams_receiver, http_receiver() as hook:
        if down == "refused":
            url = workflows_url(f"https://127.0.0.1:{free_port()}")
        else:
            teams_receiver.status = 500
            url = workflows_url(teams_receiver.base_url)
        channels = [teams(), NotifyChannel(channel="webhook", target=f"{hook.base_url}/next")]
        outcomes = dispatch(channels, digest, environ={"AUDITOR_TEAMS_URL": url})
    assert [o.delivery for o in outcomes] == [Delivery.FAILED, Delivery.SENT]
    assert outcomes[0].detail and SECRET not in outcomes[0].detail
    assert len(hook.requests) == 1


def test_smtp_down_and_missing_environment_are_failures_not_exceptions(digest):
    email = NotifyChannel(channel="email", target="a@partner.example", smtp_host="127.0.0.1", smtp_port=free_port(),
                          sender="auditor@partner.example")
    missing = teams()
    outcomes = dispatch([email, missing], digest, environ={})
    assert [o.delivery for o in outcomes] == [Delivery.FAILED, Delivery.FAILED]
    assert "AUDITOR_TEAMS_URL" in outcomes[1].detail and "not set" in outcomes[1].detail


def test_a_teams_url_that_is_not_a_workflow_is_refused_without_echoing_it(digest):
    (outcome,) = dispatch([teams()], digest, environ={"AUDITOR_TEAMS_URL": f"https://127.0.0.1/hook?sig={SECRET}"})
    assert outcome.delivery is Delivery.FAILED and "Workflows webhook URL" in outcome.detail
    assert SECRET not in outcome.detail


def test_teams_refuses_plain_http(digest):
    url = workflows_url("http://127.0.0.1:9")
    (outcome,) = dispatch([teams()], digest, environ={"AUDITOR_TEAMS_URL": url})
    assert outcome.delivery is Delivery.FAILED and "https" in outcome.detail and SECRET not in outcome.detail
