"""The OData query options the emulator understands ($select, simple `eq` $filter), and its throwaway
self-signed certificate for https. No network I/O here."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Clause:
    """One `and` term: `field eq value`, or `field/any(t: t eq a or t eq b)` (a collection holding one of
    ``values``); a string field of a flags enum ("serviceProvider,b2bCollaboration") matches a member."""

    field: str
    values: tuple[Any, ...]
    any_of: bool = False

    def matches(self, item: Any) -> bool:
        found = lookup(item, self.field)
        if self.any_of:
            return isinstance(found, list) and any(v in found for v in self.values)
        if isinstance(found, str) and isinstance(self.values[0], str) and "," in found:
            return self.values[0] in [part.strip() for part in found.split(",")]
        return found == self.values[0]


def _literal(raw: str) -> tuple[bool, Any]:
    raw = raw.strip()
    if raw.startswith("'") and raw.endswith("'"):
        return True, raw[1:-1].replace("''", "'")
    if raw in ("true", "false"):
        return True, raw == "true"
    if raw == "null":
        return True, None
    try:
        return True, int(raw)
    except ValueError:
        return False, None


def parse_filter(expression: str) -> list[Clause] | None:
    """`a eq 'x' and b/c eq true and d/any(t: t eq 'p' or t eq 'q')`: the only $filter forms the collectors
    (and tests) use; None for anything else (the emulator answers 400, as Graph does for what it cannot
    parse)."""
    clauses = []
    for term in expression.split(" and "):
        term = term.strip()
        lambda_form = _ANY.match(term)
        if lambda_form:
            values = []
            for alternative in lambda_form["body"].split(" or "):
                parts = alternative.strip().split(" ", 2)
                if len(parts) != 3 or parts[0] != lambda_form["var"] or parts[1].lower() != "eq":
                    return None
                ok, value = _literal(parts[2])
                if not ok:
                    return None
                values.append(value)
            clauses.append(Clause(lambda_form["field"], tuple(values), any_of=True))
            continue
        parts = term.split(" ", 2)
        if len(parts) != 3 or parts[1].lower() != "eq":
            return None
        ok, value = _literal(parts[2])
        if not ok:
            return None
        clauses.append(Clause(parts[0], (value,)))
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
