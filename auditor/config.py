"""tenants.toml: which tenants to audit, how to authenticate, branding, thresholds, the scoring rule, risk
acceptances and attestations of MANUAL checks.

Validated by pydantic; every error names the file, the line and the field. Secrets never live in the file:
a client secret is read from the environment variable the file names.
"""

from __future__ import annotations

import re
import tomllib
from urllib.parse import urlsplit
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, ValidationInfo, field_validator, model_validator

from auditor import config_checks
from auditor.notify.settings import NotifyChannel  # issue 15: the [[notify]] table's model lives there
from auditor.registry import CheckSettings
from auditor.results import AcceptedRisk, ScoringRule

ALL_TENANTS = "*"
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _TenantScoped(_Strict):
    """A config entry for one check in one tenant (or ``"*"``: every tenant). ``tenant`` may name the tenant
    by id, by any verified or default domain, or by exact display name (without case); auditor.tenant_refs
    binds it to the tenant id before evaluation, and a reference that misses is a config error."""

    check: str = Field(min_length=1)
    tenant: str = Field(ALL_TENANTS, min_length=1)
    _line: int | None = PrivateAttr(default=None)  # where the entry starts in the file, for error messages

    def covers(self, tenant_id: str) -> bool:
        return self.tenant == ALL_TENANTS or self.tenant.lower() == tenant_id.lower()


class RiskAcceptance(_TenantScoped):
    """A FAIL the tenant's owner has accepted: it is shown as ACCEPTED until ``expires``."""

    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date


class CheckAttestation(_TenantScoped):
    """A person reviewed a MANUAL check's evidence on ``reviewed``: the check is PASS for ``valid_days``
    days from that date (CHECKLIST.md "Attestation of MANUAL checks"), then flagged as expired."""

    reviewer: str = Field(min_length=1)
    reviewed: date
    note: str = ""
    valid_days: int = Field(90, ge=1, le=3660)

    @property
    def valid_until(self) -> date:
        """The last day the attestation holds (it is younger than ``valid_days`` until then)."""
        return self.reviewed + timedelta(days=self.valid_days - 1)


class ScoringConfig(_Strict):
    """``[scoring]``: the one switch of scoring version 3 and the coverage floor of a letter grade."""

    accepted_risk: AcceptedRisk = AcceptedRisk.COUNTED  # "excluded": the old rule (outside the score)
    min_coverage: float = 0.75  # a fraction: 0.75 is 75 % weighted coverage

    @field_validator("min_coverage")
    @classmethod
    def _fraction(cls, value: float) -> float:
        if not 0 <= value <= 1:
            raise ValueError(f"{value:g} is not a fraction between 0 and 1 (write 0.75 for 75 %)")
        return value

    def rule(self) -> ScoringRule:
        return ScoringRule(accepted_risk=self.accepted_risk, min_coverage=self.min_coverage)


class TenantEntry(_Strict):
    id: str = Field(min_length=1)
    name: str = ""
    tags: list[str] = Field(default_factory=list)
    break_glass: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _guid(cls, value: str) -> str:
        return config_checks.tenant_id(value)


class PartnerEntry(_Strict):
    id: str = Field(min_length=1)
    name: str = ""
    break_glass: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _guid(cls, value: str) -> str:
        return config_checks.tenant_id(value)


class KnownPartner(_Strict):
    """Another partner the customers may legitimately see (a second CSP, a managed-services provider):
    PAR-6 does not call it unfamiliar."""

    id: str = Field(min_length=1)  # the partner's tenant id
    name: str = ""


AuthMethod = Literal["client_secret", "certificate", "azure_cli", "device_code", "default", "static_token", "gdap"]
SignInFlow = Literal["device_code", "browser"]


class AuthConfig(_Strict):
    method: AuthMethod = "default"  # azure-identity DefaultAzureCredential (one tenant); CSP portfolios set client_secret or certificate
    client_id: str = ""
    client_secret_env: str = "AUDITOR_CLIENT_SECRET"
    certificate_path: Path | None = None
    certificate_password_env: str = ""
    token_env: str = "AUDITOR_STATIC_TOKEN"  # static_token: tests against the local emulator only
    # gdap (issue 14): one partner sign-in (`auditor login`), then a token per customer tenant by tenant id.
    sign_in: SignInFlow = "device_code"
    login_tenant: str = ""  # the partner's own tenant the user signs in to; default: [partner] id
    token_cache_name: str = "csp-posture-auditor"  # azure-identity TokenCachePersistenceOptions(name=...)
    # Plain-file token cache where no keyring/encryption exists: only when the config says so explicitly.
    allow_unencrypted_token_cache: bool = False
    # The saved AuthenticationRecord (no secret: account, home tenant, client id); default under the user's
    # config folder (auditor.collect.delegated.default_record_path).
    authentication_record: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _refuse_inline_secrets(cls, values: object) -> object:
        if isinstance(values, dict):
            for key in ("client_secret", "secret", "password", "certificate_password", "token"):
                if key in values:
                    env = values.get("client_secret_env", "AUDITOR_CLIENT_SECRET")
                    raise ValueError(
                        f"a secret ({key}) must not be written in the config file; put it in the environment "
                        f"variable {env} (or name another one with client_secret_env)"
                    )
        return values

    @field_validator("certificate_path", "authentication_record")
    @classmethod
    def _usable_certificate_path(cls, value: Path | None) -> Path | None:
        return config_checks.usable_path(value)

    @field_validator("client_secret_env", "certificate_password_env", "token_env")
    @classmethod
    def _variable_name(cls, value: str, info: ValidationInfo) -> str:
        return config_checks.environment_variable_name(value, f"auth.{info.field_name}")

    @model_validator(mode="after")
    def _complete(self) -> "AuthConfig":
        if self.method in ("client_secret", "certificate") and not self.client_id:
            raise ValueError(f"auth.method {self.method!r} needs client_id (the multi-tenant app's id)")
        if self.method == "gdap" and not self.client_id:
            raise ValueError("auth.method 'gdap' needs client_id (the partner's multi-tenant app for delegated sign-in)")
        if self.method == "certificate" and self.certificate_path is None:
            raise ValueError("auth.method 'certificate' needs certificate_path")
        return self


class Endpoints(_Strict):
    """Cloud endpoints; change them for national clouds, or point them at the local emulator in tests."""

    graph: str = "https://graph.microsoft.com"
    arm: str = "https://management.azure.com"
    authority: str = "https://login.microsoftonline.com"
    partner_center: str = "https://api.partnercenter.microsoft.com"  # delegated (gdap) runs only
    # A PEM file of CA certificates every client trusts besides the public roots (a TLS-inspecting proxy's
    # private root CA); relative to the config file. See auditor/collect/trust.py and docs/setup.md.
    ca_bundle: Path | None = None

    @field_validator("graph", "arm", "authority", "partner_center")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        # Plain http only to the loopback test emulator, judged by the host itself: a prefix test would let
        # "http://127.0.0.1.example.com" carry a bearer token unencrypted to another machine.
        if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname == "127.0.0.1")):
            raise ValueError("must be an https:// URL (http only for http://127.0.0.1 test endpoints)")
        if "@" in parts.netloc:  # a user name or password in an endpoint would be sent and printed with it
            raise ValueError("must not hold a user name or password (the value given is not repeated here)")
        return value.rstrip("/")


class Branding(_Strict):
    partner_name: str = ""
    logo: Path | None = None
    primary_color: str = "#1f4e79"
    footer_text: str = "Confidential: prepared for the named organisation only."

    @field_validator("logo")
    @classmethod
    def _usable_logo_path(cls, value: Path | None) -> Path | None:
        return config_checks.usable_path(value)

    @field_validator("primary_color")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _HEX_COLOUR.match(value):
            raise ValueError("must be a colour like #1f4e79")
        return value


class Thresholds(_Strict):
    mfa_registration_threshold: float = Field(0.95, ge=0, le=1)
    secure_score_threshold: float = Field(0.60, ge=0, le=1)
    defender_required_plans: list[str] = Field(
        default_factory=lambda: ["VirtualMachines", "StorageAccounts", "KeyVaults", "Arm"]
    )
    gdap_expiry_warning_days: int = Field(30, ge=0)
    partner_alert_grace_hours: int = Field(24, ge=0)
    admin_sign_in_days: int = Field(90, ge=1)


class AuditConfig(_Strict):
    partner: PartnerEntry | None = None
    tenants: list[TenantEntry] = Field(default_factory=list)
    discover_customers: bool = True  # from the partner's GDAP relationships when no tenants are listed
    auth: AuthConfig = Field(default_factory=AuthConfig)
    endpoints: Endpoints = Field(default_factory=Endpoints)
    concurrency: int = Field(8, ge=1, le=256)
    branding: Branding = Field(default_factory=Branding)
    settings: Thresholds = Field(default_factory=Thresholds)
    scoring: ScoringConfig = Field(default_factory=ScoringConfig)
    risk_acceptances: list[RiskAcceptance] = Field(default_factory=list)
    attestations: list[CheckAttestation] = Field(default_factory=list)
    known_partners: list[KnownPartner] = Field(default_factory=list)
    database: str = ""  # SQLAlchemy URL; empty means the default SQLite file
    # A tenant that could not be read at all makes `collect` and `run` exit 4; true keeps exit 0.
    allow_unreadable: bool = False
    # issue 15: where each run's digest of changes goes (auditor/notify/settings.py)
    notify: list[NotifyChannel] = Field(default_factory=list)
    _source: str = PrivateAttr(default="config")  # the file it was read from, for error messages

    @field_validator("database")
    @classmethod
    def _no_password(cls, value: str) -> str:
        return config_checks.database_url_without_password(value)

    @model_validator(mode="after")
    def _each_tenant_once(self) -> "AuditConfig":
        listed = [("partner.id", self.partner.id)] if self.partner else []
        listed += [(f"tenants.{index}.id", entry.id) for index, entry in enumerate(self.tenants)]
        if (duplicate := config_checks.duplicate_tenant_ids(listed)) is not None:
            raise ValueError(duplicate)
        if self.auth.method == "gdap" and not self.auth.login_tenant and self.partner is not None:
            self.auth.login_tenant = self.partner.id  # the partner user signs in to the partner's own tenant
        return self

    def check_settings(self, tenant_id: str) -> CheckSettings:
        break_glass: list[str] = []
        if self.partner and self.partner.id.lower() == tenant_id.lower():
            break_glass = self.partner.break_glass
        for entry in self.tenants:
            if entry.id.lower() == tenant_id.lower():
                break_glass = entry.break_glass
        s = self.settings
        return CheckSettings(
            mfa_registration_threshold=s.mfa_registration_threshold,
            secure_score_threshold=s.secure_score_threshold,
            defender_required_plans=tuple(s.defender_required_plans),
            break_glass_accounts=tuple(break_glass),
            gdap_expiry_warning_days=s.gdap_expiry_warning_days,
            partner_alert_grace_hours=s.partner_alert_grace_hours,
            admin_sign_in_days=s.admin_sign_in_days,
        )

    def tags_of(self, tenant_id: str) -> list[str]:
        for entry in self.tenants:
            if entry.id.lower() == tenant_id.lower():
                return entry.tags
        return []


class ConfigError(Exception):
    """A config file that cannot be used; one line naming the file, the line and the field."""


_HEADER = re.compile(r"^[ \t]*\[", re.MULTILINE)


def _line_of(text: str, location: tuple[object, ...]) -> int | None:
    """The line where ``location`` (pydantic's path: table names, array indexes, the key) is written, best
    effort: the n-th ``[[array]]`` header for an index, then the key inside that table's lines; a key not
    written (a missing field) gives the table's header line."""
    start, end, line = 0, len(text), None
    parts = list(location)
    for position, part in enumerate(parts):
        if not isinstance(part, str):
            continue
        following = parts[position + 1] if position + 1 < len(parts) else None
        if isinstance(following, int):
            headers = list(re.finditer(rf"^[ \t]*\[\[\s*{re.escape(part)}\s*\]\]", text[start:end], re.MULTILINE))
            if following < len(headers):
                start += headers[following].start()
            else:
                return line
        else:
            header = re.search(rf"^[ \t]*\[\s*{re.escape(part)}\s*\]", text[start:end], re.MULTILINE)
            if header is not None:
                start += header.start()
            else:
                key = re.search(rf"^[ \t]*\"?{re.escape(part)}\"?[ \t]*=", text[start:end], re.MULTILINE)
                return text.count("\n", 0, start + key.start()) + 1 if key else line
        line = text.count("\n", 0, start) + 1
        following_header = _HEADER.search(text, text.index("\n", start) + 1 if "\n" in text[start:] else len(text))
        end = following_header.start() if following_header else len(text)
    return line


def _location_text(location: tuple[object, ...]) -> str:
    """pydantic's path as a reader counts: ``tenants[#5].id`` (array entries numbered from 1, as they
    appear in the file)."""
    text = ""
    for part in location:
        text += f"[#{part + 1}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _table_lines(text: str, key: str) -> list[int]:
    """The line of each ``[[key]]`` header, in order (entries written as an inline array get none)."""
    pattern = re.compile(rf"^[ \t]*\[\[\s*{re.escape(key)}\s*\]\]", re.MULTILINE)
    return [text.count("\n", 0, match.start()) + 1 for match in pattern.finditer(text)]


def entry_location(config: AuditConfig, key: str, index: int) -> str:
    """``file:line: key[index]`` for messages about one risk acceptance or attestation."""
    entries = getattr(config, key)
    line = entries[index]._line if index < len(entries) else None
    return f"{config._source}:{line}: {key}[{index}]" if line else f"{config._source}: {key}[{index}]"


def parse_config(text: str, source: str = "<config>", base_dir: Path | None = None) -> AuditConfig:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:  # arrays or inline tables nested thousands deep
        raise ConfigError(f"{source}: not valid TOML: nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise ConfigError(f"{source}: not valid TOML: {' '.join(str(exc).split())[:160]}") from None
    try:
        config = AuditConfig.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = _location_text(first["loc"]) or "(top level)"
        line = _line_of(text, first["loc"])
        where = f"{source}:{line}" if line else source
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{where}: field {location}: {message}" if first["loc"] else f"{where}: {message}") from None
    config._source = source
    for key, entries in (("risk_acceptances", config.risk_acceptances), ("attestations", config.attestations)):
        for entry, line in zip(entries, _table_lines(text, key)):
            entry._line = line
    if base_dir is not None:
        if config.branding.logo is not None and not config.branding.logo.is_absolute():
            config.branding.logo = (base_dir / config.branding.logo).resolve()
        if config.auth.certificate_path is not None and not config.auth.certificate_path.is_absolute():
            config.auth.certificate_path = (base_dir / config.auth.certificate_path).resolve()
        if config.endpoints.ca_bundle is not None and not config.endpoints.ca_bundle.is_absolute():
            config.endpoints.ca_bundle = (base_dir / config.endpoints.ca_bundle).resolve()
    return config


def load_config(path: Path) -> AuditConfig:
    """The config at ``path``; ConfigError (one line naming the file) for any bytes that are not one."""
    from auditor.input_files import CONFIG_MAX_BYTES, InputFileError, decode_utf8, read_input

    try:
        text = decode_utf8(path, read_input(path, CONFIG_MAX_BYTES))
    except InputFileError as exc:
        raise ConfigError(str(exc)) from None
    return parse_config(text, str(path), path.parent)


def validate_acceptances(config: AuditConfig, known_check_ids: set[str], source: str = "config") -> None:
    """A risk acceptance or attestation naming a check this tool does not have is a config error (a typo
    would otherwise silently accept or attest nothing)."""
    for key in ("risk_acceptances", "attestations"):
        for index, entry in enumerate(getattr(config, key)):
            if entry.check not in known_check_ids:
                line = entry._line
                where = f"{source}:{line}" if line else source
                raise ConfigError(f"{where}: field {key}.{index}.check: unknown check id {entry.check!r}")
