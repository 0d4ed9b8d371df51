"""The OData query options the emulator understands ($select; `eq`, `in` and `any` $filters), and its throwaway
self-signed certificate for https. No network I/O here."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


def select_fields(item: dict[str, Any], fields: set[str] | None) -> dict[str, Any]:
    if fields is None:
        return item
    return {k: v for k, v in item.items() if k in fields or k.startswith("@odata.")}


def lookup(item: Any, path: str) -> Any:
    for part in path.split("/"):
        if not isinstance(item, dict):
            return None
        item = item.get(part)
    return item


_ANY = re.compile(r"^(?P<field>[\w/]+)/any\((?P<var>\w+):\s*(?P<body>.+)\)$")
_STRING = re.compile(r"^'(?:[^']|'')*'$")  # a quoted literal; a quote inside is doubled
# A flags-enum value as Graph writes it: member names joined by commas ("serviceProvider,b2bCollaboration").
_FLAGS = re.compile(r"^[A-Za-z0-9]+(?:,[A-Za-z0-9]+)+$")
_IN = re.compile(r"^(?P<field>[\w/]+)\s+in\s+\((?P<body>.*)\)$", re.IGNORECASE)


class Operator(str, Enum):
    """How a clause compares: `eq` one value, `in` a list of values, `any` over a collection field."""

    EQ = "eq"
    IN = "in"
    ANY = "any"


@dataclass(frozen=True)
class Clause:
    """One `and` term: `field eq value`; `field in ('A','B')` (the field equals one of ``values``); or
    `field/any(t: t eq a or t eq b)` (a collection field holding one of ``values``). A string field of a
    flags enum ("serviceProvider,b2bCollaboration") matches by member for `eq` and `in`."""

    field: str
    values: tuple[Any, ...]
    operator: Operator = Operator.EQ

    def matches(self, item: Any) -> bool:
        found = lookup(item, self.field)
        if self.operator is Operator.ANY:
            return isinstance(found, list) and any(v in found for v in self.values)
        if any(found == v for v in self.values):
            return True
        if isinstance(found, str) and _FLAGS.match(found):
            members = set(found.split(","))
            return any(isinstance(v, str) and v in members for v in self.values)
        return False


def _literal(raw: str) -> tuple[bool, Any]:
    raw = raw.strip()
    if _STRING.match(raw):
        return True, raw[1:-1].replace("''", "'")
    if raw in ("true", "false"):
        return True, raw == "true"
    if raw == "null":
        return True, None
    try:
        return True, int(raw)
    except ValueError:
        return False, None


def _literals(raws: list[str]) -> tuple[Any, ...] | None:
    values = []
    for raw in raws:
        ok, value = _literal(raw)
        if not ok:
            return None
        values.append(value)
    return tuple(values)


def _split_list(body: str) -> list[str]:
    """The items of an `in (...)` list, split on commas outside quotes ('O''Brien, Ltd' is one item)."""
    items, current, quoted = [], [], False
    for char in body:
        if char == "'":
            quoted = not quoted
        if char == "," and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return items


def parse_filter(expression: str) -> list[Clause] | None:
    """The $filter forms the collectors (and tests) use, joined by `and`: `a eq 'x'`, `b/c eq true`,
    `displayName in ('A','B')` and `d/any(t: t eq 'p' or t eq 'q')`; None for anything else (the emulator
    answers 400, as Graph does for what it cannot parse)."""
    clauses = []
    for term in expression.split(" and "):
        term = term.strip()
        lambda_form = _ANY.match(term)
        if lambda_form:
            raws = []
            for alternative in lambda_form["body"].split(" or "):
                parts = alternative.strip().split(" ", 2)
                if len(parts) != 3 or parts[0] != lambda_form["var"] or parts[1].lower() != "eq":
                    return None
                raws.append(parts[2])
            values = _literals(raws)
            if values is None:
                return None
            clauses.append(Clause(lambda_form["field"], values, Operator.ANY))
            continue
        in_form = _IN.match(term)
        if in_form:
            values = _literals(_split_list(in_form["body"]))
            if not values:
                return None
            clauses.append(Clause(in_form["field"], values, Operator.IN))
            continue
        parts = term.split(" ", 2)
        if len(parts) != 3 or parts[1].lower() != "eq":
            return None
        values = _literals([parts[2]])
        if values is None:
            return None
        clauses.append(Clause(parts[0], values))
    return clauses


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, so the https-only azure-identity authority can be the emulator."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "auditor emulator")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "emulator-cert.pem", directory / "emulator-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path
