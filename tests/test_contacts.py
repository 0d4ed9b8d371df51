from auditor.evaluate import run_check
from auditor.registry import CheckContext, Registry
from auditor.results import Status
from tests.builders import NOW, forbidden, make_snapshot

REGISTRY = Registry.from_modules("checks.contacts")
CTX = CheckContext(now=NOW)


def org(**fields):
    base = {"id": "84841066-274d-4ec0-a5c1-276be684bdd3", "displayName": "Contoso",
            "securityComplianceNotificationMails": [], "technicalNotificationMails": []}
    base.update(fields)
    return [base]


def con1(snapshot):
    return run_check(REGISTRY.get("CON-1"), snapshot, CTX)


def test_con1_pass_with_security_mail():
    result = con1(make_snapshot(organization=org(securityComplianceNotificationMails=["secops@contoso.com"])))
    assert result.status is Status.PASS
    assert result.evidence == [{"setting": "securityComplianceNotificationMails", "value": "secops@contoso.com"}]


def test_con1_fail_with_technical_mail_only_says_so():
    result = con1(make_snapshot(organization=org(technicalNotificationMails=["admin@contoso.com"])))
    assert result.status is Status.FAIL
    assert "technical notification" in result.summary
    assert result.evidence[0]["value"] == "admin@contoso.com"


def test_con1_fail_when_nothing_set():
    assert con1(make_snapshot(organization=org())).status is Status.FAIL


def test_con1_unknown_when_forbidden_names_permission():
    result = con1(make_snapshot(organization=forbidden("Organization.Read.All")))
    assert result.status is Status.UNKNOWN
    assert "Organization.Read.All" in result.summary


def test_con1_unknown_on_empty_answer():
    assert con1(make_snapshot(organization=[])).status is Status.UNKNOWN
