"""Check specifications, the ``@check`` decorator, and discovery through the ``auditor.checks`` entry
points.

A check is a plain function ``(snapshot, ctx) -> Outcome``. The decorator only attaches a ``CheckSpec`` to
the function; nothing is registered at import time. A ``Registry`` is built explicitly (from entry points,
or from modules in tests) and passed to the engine.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from importlib import import_module, metadata
from types import ModuleType
from typing import Any, Callable, Iterable

from auditor import frameworks
from auditor.results import Area, Evidence, Severity, Status
from auditor.snapshot import SUBSCRIPTION_SECTIONS, TENANT_SECTIONS, TenantKind, TenantSnapshot

ENTRY_POINT_GROUP = "auditor.checks"
_SPEC_ATTRIBUTE = "__auditor_check__"


@dataclass(frozen=True)
class CheckSettings:
    """Tunable thresholds a check may read; defaults follow CHECKLIST.md."""

    mfa_registration_threshold: float = 0.95
    secure_score_threshold: float = 0.60
    defender_required_plans: tuple[str, ...] = ("VirtualMachines", "StorageAccounts", "KeyVaults", "Arm")
    break_glass_accounts: tuple[str, ...] = ()  # UPNs or object ids declared break-glass for this tenant
    gdap_expiry_warning_days: int = 30
    partner_alert_grace_hours: int = 24
    admin_sign_in_days: int = 90  # ADM-5: a privileged account must have signed in within this many days


@dataclass(frozen=True)
class PartnerContext:
    """Facts about the CSP partner that customer checks judge against (DESIGN.md "Checks are plugins"): the
    engine builds it once per run from the config and the partner's own snapshot, evaluated first, and
    hands the same object to every customer check, so checks stay pure functions of (snapshot, context).

    - ``tenant_id``: the configured partner tenant id, lower-case; None when the config names no partner.
    - ``name``: the partner's display name ("" when unknown).
    - ``known_partner_tenants``: lower-case tenant ids of partners the customer may legitimately see: the
      configured partner and the config's ``known_partners``.
    - ``partner_read``: the partner's snapshot is part of this run (or was loaded for context), so facts
      read from it (``group_ids``) are available; False in a run of customers only.
    - ``group_ids``: lower-case object ids of the partner's own security groups that may hold roles in
      customer tenants and subscriptions (AdminAgents, HelpdeskAgents, the security groups of its GDAP
      access assignments); empty when not read.
    - ``group_ids_read``: whether ``group_ids`` is a complete reading (False: unknown, not "none").
    - ``group_labels``: (lower-case group id, what it is) pairs for evidence: "AdminAgents",
      "HelpdeskAgents", "GDAP security group (relationship <name>)".
    - ``admin_agents_group_ids``: the AdminAgents group(s): the group legacy AOBO made Owner of customers'
      subscriptions (AZR-1 lists it as advisory).
    - ``group_ids_note``: why the groups are not read, when they are not ("" otherwise)."""

    tenant_id: str | None = None
    name: str = ""
    known_partner_tenants: frozenset[str] = frozenset()
    partner_read: bool = False
    group_ids: frozenset[str] = frozenset()
    group_ids_read: bool = False
    group_labels: tuple[tuple[str, str], ...] = ()
    admin_agents_group_ids: frozenset[str] = frozenset()
    group_ids_note: str = ""

    def group_label(self, group_id: str) -> str:
        """What the partner group ``group_id`` is ("AdminAgents", "GDAP security group (…)"), or ""."""
        wanted = group_id.lower()
        return next((label for gid, label in self.group_labels if gid == wanted), "")

    def is_known_partner(self, tenant_id: str | None) -> bool:
        """Whether ``tenant_id`` is the configured partner or a declared known partner (case-insensitive)."""
        return bool(tenant_id) and tenant_id.lower() in self.known_partner_tenants


@dataclass(frozen=True)
class CheckContext:
    """What a check may know besides the snapshot. ``now`` is the evaluation time: checks never read the
    clock, so a re-evaluation of an archived snapshot gives the same answer."""

    now: datetime
    settings: CheckSettings = field(default_factory=CheckSettings)
    partner: PartnerContext = field(default_factory=PartnerContext)  # facts about the partner (customer checks)

    def is_break_glass(self, *identifiers: str | None) -> bool:
        declared = {name.lower() for name in self.settings.break_glass_accounts}
        return any(ident and ident.lower() in declared for ident in identifiers)


@dataclass
class Outcome:
    """What a check returns: a status, a one-line summary, evidence rows (one dict per offending or
    reviewed object, same keys in every row), and optionally remediation more specific than the spec's."""

    status: Status
    summary: str
    evidence: list[Evidence] = field(default_factory=list)
    remediation: str | None = None


CheckFunction = Callable[[TenantSnapshot, CheckContext], Outcome]


class Effort(StrEnum):
    """What fixing a failing check usually takes, for ordering the action plan among equals: one setting
    or policy (low), a change per object or a licence (medium), a project (high)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return list(Effort).index(self)


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    area: Area
    severity: Severity
    applies_to: frozenset[TenantKind]
    needs: tuple[str, ...]
    references: tuple[str, ...]
    remediation: str
    function: CheckFunction = field(compare=False, repr=False)
    wave: int = 1
    reads: tuple[str, ...] = ()  # sections used when readable, without which the check still decides
    # Framework controls the check gives evidence for; attached by Registry.add from auditor/frameworks.toml
    frameworks: tuple[frameworks.FrameworkControl, ...] = ()
    # The action plan (auditor/report/priority.py): the fix as an instruction ("Require MFA for every
    # user"), the fix in one or two sentences, what it takes, and whether the gap exposes every account.
    action: str = ""
    fix: str = ""
    effort: Effort = Effort.MEDIUM
    tenant_wide: bool = False

    @property
    def sections(self) -> tuple[str, ...]:
        """Every section the check may read: what `auditor permissions` must ask for."""
        return tuple(dict.fromkeys((*self.needs, *self.reads)))

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.function.__doc__ or "")

    @property
    def rationale(self) -> str:
        """The docstring's first paragraph after the summary line: why the check matters."""
        paragraphs = [p.strip() for p in self.doc.split("\n\n") if p.strip()]
        return " ".join(paragraphs[1].split()) if len(paragraphs) > 1 else (paragraphs[0] if paragraphs else "")

    def applies(self, kind: TenantKind) -> bool:
        return kind in self.applies_to

    def run(self, snapshot: TenantSnapshot, ctx: CheckContext) -> Outcome:
        return self.function(snapshot, ctx)


def check(
    *,
    id: str,
    title: str,
    area: Area | str,
    severity: Severity | str,
    applies_to: Iterable[TenantKind | str],
    needs: Iterable[str] = (),
    references: Iterable[str] = (),
    remediation: str = "",
    wave: int = 1,
    reads: Iterable[str] = (),
    action: str = "",
    fix: str = "",
    effort: Effort | str = Effort.MEDIUM,
    tenant_wide: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    """Mark a function as a check. ``needs`` names the snapshot sections without which it cannot decide
    (tenant-level, or per-subscription ones, which the engine gates on the ``subscriptions`` list): the
    engine answers UNKNOWN for it when one is not ok. ``reads`` names sections it uses when readable.

    For the scorecard's action plan: ``action`` is the fix as an instruction in the customer's words
    ("Require MFA for every user"; default: the title), ``fix`` says how in one or two sentences (default:
    the first sentence of ``remediation``), ``effort`` is low, medium or high, and ``tenant_wide`` marks a
    gap that exposes every account of the tenant. In ``remediation``, a paragraph starting with
    "Partner:" is a hint for the partner only (auditor/report/wording.py)."""

    def decorate(function: CheckFunction) -> CheckFunction:
        spec = CheckSpec(
            id=id,
            title=title,
            area=Area(area),
            severity=Severity(severity),
            applies_to=frozenset(TenantKind(kind) for kind in applies_to),
            needs=tuple(needs),
            references=tuple(references),
            remediation=inspect.cleandoc(remediation),
            function=function,
            wave=wave,
            reads=tuple(reads),
            action=" ".join(action.split()),
            fix=" ".join(fix.split()),
            effort=Effort(effort),
            tenant_wide=tenant_wide,
        )
        if not spec.applies_to:
            raise RegistryError(f"check {id}: applies_to is empty")
        unknown = [n for n in spec.sections if n not in TENANT_SECTIONS and n not in SUBSCRIPTION_SECTIONS]
        if unknown and not all("." in n for n in unknown):
            # Third-party sections must be namespaced ("vendor.section") so they never shadow ours.
            raise RegistryError(f"check {id}: needs unknown section(s) {', '.join(unknown)}")
        setattr(function, _SPEC_ATTRIBUTE, spec)
        return function

    return decorate


class RegistryError(Exception):
    """A check set that cannot be loaded (duplicate IDs, a broken plugin)."""


class Registry:
    def __init__(self, specs: Iterable[CheckSpec] = ()) -> None:
        self._specs: dict[str, CheckSpec] = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec: CheckSpec) -> None:
        """Register ``spec``, attaching its framework controls from the packaged data (auditor/frameworks.toml)
        unless the spec already carries some. Raises RegistryError on a duplicate id."""
        if not spec.frameworks:
            spec = replace(spec, frameworks=frameworks.controls_for(spec.id))
        existing = self._specs.get(spec.id)
        if existing is not None:
            raise RegistryError(
                f"duplicate check id {spec.id}: {_where(existing.function)} and {_where(spec.function)}"
            )
        self._specs[spec.id] = spec

    def add_module(self, module: ModuleType) -> None:
        for value in vars(module).values():
            spec = getattr(value, _SPEC_ATTRIBUTE, None)
            if isinstance(spec, CheckSpec) and value.__module__ == module.__name__:
                self.add(spec)

    def __iter__(self):
        return iter(sorted(self._specs.values(), key=_sort_key))

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, check_id: object) -> bool:
        return check_id in self._specs

    def get(self, check_id: str) -> CheckSpec:
        return self._specs[check_id]

    def ids(self) -> list[str]:
        return [spec.id for spec in self]

    @classmethod
    def from_modules(cls, *modules: ModuleType | str) -> "Registry":
        registry = cls()
        for module in modules:
            registry.add_module(import_module(module) if isinstance(module, str) else module)
        return registry

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> "Registry":
        registry = cls()
        for entry_point in sorted(metadata.entry_points(group=group), key=lambda ep: ep.name):
            try:
                loaded: Any = entry_point.load()
            except Exception as exc:  # a broken plugin is a load-time error, named
                raise RegistryError(f"cannot load checks from entry point {entry_point.name!r} ({entry_point.value}): {exc}") from exc
            if isinstance(loaded, ModuleType):
                registry.add_module(loaded)
            elif isinstance(getattr(loaded, _SPEC_ATTRIBUTE, None), CheckSpec):
                registry.add(getattr(loaded, _SPEC_ATTRIBUTE))
            else:
                raise RegistryError(f"entry point {entry_point.name!r} ({entry_point.value}) is neither a module nor a check")
        return registry


def _where(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


_AREA_ORDER = {area: index for index, area in enumerate(Area)}


def _sort_key(spec: CheckSpec) -> tuple[int, str, int]:
    prefix, _, number = spec.id.partition("-")
    return (_AREA_ORDER[spec.area], prefix, int(number) if number.isdigit() else 0)
