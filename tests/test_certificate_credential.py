"""A wrong certificate password is one line per tenant, never a traceback (issue 11, kind 3)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from auditor.collect.credentials import CredentialError, build_credential
from auditor.config import AuthConfig, Endpoints


@pytest.fixture(scope="module")
def pfx(tmp_path_factory):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "auditor test")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    path = tmp_path_factory.mktemp("cert") / "app.pfx"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"app", key, cert, None, serialization.BestAvailableEncryption(b"right-password")))
    return path


def _auth(path) -> AuthConfig:
    return AuthConfig(method="certificate", client_id="11111111-0000-4000-8000-000000000001",
                      certificate_path=path, certificate_password_env="CERT_PASSWORD")


def test_the_right_password_builds_the_credential(pfx):
    credential = build_credential(_auth(pfx), Endpoints(), "52eaad04-13a2-4a2f-9ce8-93a294fadf36",
                                  environ={"CERT_PASSWORD": "right-password"})
    assert type(credential).__name__ == "CertificateCredential"


@pytest.mark.parametrize("password", ["wrong-password", "right-password\n"])
def test_a_wrong_password_is_a_credential_error_naming_the_variable_not_the_value(pfx, password):
    with pytest.raises(CredentialError) as raised:
        build_credential(_auth(pfx), Endpoints(), "52eaad04-13a2-4a2f-9ce8-93a294fadf36",
                         environ={"CERT_PASSWORD": password})
    message = str(raised.value)
    assert "cannot be loaded" in message and "CERT_PASSWORD" in message and str(pfx) in message
    assert password.strip() not in message


def test_a_file_that_is_no_certificate_is_a_credential_error(tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"\x00\xff not a certificate")
    with pytest.raises(CredentialError, match="cannot be loaded"):
        build_credential(_auth(junk), Endpoints(), "52eaad04-13a2-4a2f-9ce8-93a294fadf36",
                         environ={"CERT_PASSWORD": "x"})
