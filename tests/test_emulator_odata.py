"""The emulator's one $filter parser: every form the collectors send (`eq`, `in`, `any`), joined by `and`,
and a 400 (None) for anything else."""

from auditor.collect.emulator_odata import Operator, parse_filter
from auditor.collect.plan import GRAPH_REQUESTS


def matches(expression: str, item: dict) -> bool:
    clauses = parse_filter(expression)
    assert clauses is not None, expression
    return all(clause.matches(item) for clause in clauses)


def test_eq_compares_strings_booleans_null_and_integers_along_a_path():
    item = {"riskLevel": "high", "accountEnabled": True, "manager": None, "n": 3, "a": {"b": "x"}}
    assert matches("riskLevel eq 'high'", item)
    assert not matches("riskLevel eq 'low'", item)
    assert matches("accountEnabled eq true", item) and not matches("accountEnabled eq false", item)
    assert matches("manager eq null", item)
    assert matches("n eq 3", item) and not matches("n eq 4", item)
    assert matches("a/b eq 'x'", item) and not matches("a/b eq 'y'", item)


def test_eq_matches_a_member_of_a_flags_enum():
    # crossTenantAccessType is a flags enum: "serviceProvider,b2bCollaboration" holds serviceProvider.
    assert matches("crossTenantAccessType eq 'serviceProvider'", {"crossTenantAccessType": "serviceProvider,b2bCollaboration"})
    assert not matches("crossTenantAccessType eq 'serviceProvider'", {"crossTenantAccessType": "b2bCollaboration"})
    # a display name with a comma is not a flags enum
    assert not matches("displayName eq 'Contoso'", {"displayName": "Contoso, Ltd"})
    assert matches("displayName eq 'Contoso, Ltd'", {"displayName": "Contoso, Ltd"})


def test_in_matches_one_of_the_listed_values():
    expression = "displayName in ('AdminAgents','HelpdeskAgents')"
    assert matches(expression, {"displayName": "AdminAgents"})
    assert matches(expression, {"displayName": "HelpdeskAgents"})
    assert not matches(expression, {"displayName": "Admin Agents"})
    assert not matches(expression, {})
    # a quoted comma and an escaped quote stay inside their value
    assert matches("displayName in ('O''Brien, Ltd', 'B')", {"displayName": "O'Brien, Ltd"})
    assert not matches("displayName in ('O''Brien, Ltd', 'B')", {"displayName": "O'Brien"})


def test_any_matches_a_collection_holding_one_of_the_values():
    expression = "signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser')"
    assert matches(expression, {"signInEventTypes": ["nonInteractiveUser"]})
    assert not matches(expression, {"signInEventTypes": ["servicePrincipal"]})
    assert not matches(expression, {"signInEventTypes": "interactiveUser"})  # not a collection


def test_forms_combine_with_and_and_each_clause_says_its_operator():
    expression = ("crossTenantAccessType eq 'serviceProvider' and displayName in ('A','B') and "
                  "tags/any(t: t eq 'x')")
    clauses = parse_filter(expression)
    assert clauses is not None
    assert [c.operator for c in clauses] == [Operator.EQ, Operator.IN, Operator.ANY]
    good = {"crossTenantAccessType": "serviceProvider", "displayName": "B", "tags": ["x"]}
    assert matches(expression, good)
    assert not matches(expression, {**good, "displayName": "C"})
    assert not matches(expression, {**good, "tags": []})


def test_unsupported_filters_are_refused():
    for expression in ("riskLevel ne 'high'", "displayName in ()", "displayName in ('A', B)",
                       "startswith(displayName,'A')", "t/any(t: u eq 'a')", "n eq 3.5",
                       "riskLevel eq 'high' or riskLevel eq 'low'"):
        assert parse_filter(expression) is None, expression


def test_every_filter_the_collector_sends_is_understood():
    for request in GRAPH_REQUESTS.values():
        if request.filter:
            assert parse_filter(request.filter) is not None, request.section
