"""The OData query options the emulator understands ($select, simple `eq` $filter), and its throwaway
self-signed certificate for https. No network I/O here."""

from __future__ import annotations

import datetime as dt
import ipaddress
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


class OneOf(frozenset):
    """The value of an `in` clause: a field matches when it equals one of these."""

    def __eq__(self, other: object) -> bool:  # lookup(item, field) == OneOf(...) reads as "is one of"
        return other in set(self) if not isinstance(other, frozenset) else frozenset.__eq__(self, other)

    __hash__ = frozenset.__hash__


def parse_filter(expression: str) -> list[tuple[str, Any]] | None:
    """`a eq 'x' and b/c eq true`, or `displayName in ('A','B')`: the only $filter forms the collectors (and
    tests) use."""
    clauses: list[tuple[str, Any]] = []
    for clause in expression.split(" and "):
        parts = clause.strip().split(" ", 2)
        if len(parts) == 3 and parts[1].lower() == "in" and parts[2].startswith("(") and parts[2].endswith(")"):
            values = [v.strip() for v in parts[2][1:-1].split(",")]
            if not all(v.startswith("'") and v.endswith("'") for v in values):
                return None
            clauses.append((parts[0], OneOf(v[1:-1].replace("''", "'") for v in values)))
            continue
        if len(parts) != 3 or parts[1].lower() != "eq":
            return None
        field, _, raw = parts
        raw = raw.strip()
        if raw.startswith("'") and raw.endswith("'"):
            value: Any = raw[1:-1].replace("''", "'")
        elif raw in ("true", "false"):
            value = raw == "true"
        elif raw == "null":
            value = None
        else:
            try:
                value = int(raw)
            except ValueError:
                return None
        clauses.append((field, value))
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
