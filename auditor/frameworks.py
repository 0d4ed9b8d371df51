"""Compliance frameworks: which published framework controls each check gives evidence for.

The data lives in one file shipped with the package, ``auditor/frameworks.toml``: per framework its name,
version, publication date and the published source its control ids and titles were copied from, then per
check id the control ids. This module loads and validates it (pydantic) and answers
``controls_for(check_id)``; the registry attaches the answer to each ``CheckSpec``, so check modules never
carry the mapping and a third-party check can be mapped by id.

Rules the loader enforces (a broken file is a packaging bug, raised as ``FrameworkDataError``):
- every framework key is one this module knows the id format of (``ID_FORMATS``), and every control id in
  its table is well-formed for it;
- every control a mapping names exists in its framework's table.
A mapping may name a check that is not installed (a later wave's, or a plugin's): it is simply unused.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# The id format of each framework we map to, from the framework's own numbering:
# - CIS benchmarks number recommendations by section: "1.1.3", "5.2.2.1", "8.1.12" (two to four parts).
# - CISA SCuBA policies are "MS.<PRODUCT>.<group>.<number>v<version>", here the Entra ID baseline (AAD).
# - Partner Center security requirements are Graph's securityRequirementType enum members (camelCase).
ID_FORMATS: dict[str, re.Pattern[str]] = {
    "CIS-M365": re.compile(r"[1-9]\d*(\.[1-9]\d*){1,3}"),
    "CIS-Azure": re.compile(r"[1-9]\d*(\.[1-9]\d*){1,3}"),
    "SCuBA-AAD": re.compile(r"MS\.AAD\.[1-9]\d*\.[1-9]\d*v[1-9]\d*"),
    "PartnerCenter": re.compile(r"[a-z]+(?:[A-Z][a-z]+)+"),
}


class FrameworkDataError(Exception):
    """The packaged framework data is malformed or inconsistent (a packaging bug, named precisely)."""


class Framework(BaseModel):
    """One framework as the data file declares it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    short: str = Field(min_length=1)  # the label outputs print ("CIS M365", "SCuBA")
    version: str = Field(min_length=1)
    date: date
    source: str = Field(min_length=1)
    controls: dict[str, str] = Field(min_length=1)  # control id -> published title


class FrameworkData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    frameworks: dict[str, Framework]
    checks: dict[str, dict[str, list[str]]]  # check id -> framework key -> control ids


@dataclass(frozen=True)
class FrameworkControl:
    """One control a check gives evidence for, as every output carries it."""

    framework: str  # the framework's label, e.g. "CIS M365"
    version: str
    control: str
    title: str
    key: str = ""  # the data file's framework key, e.g. "CIS-M365"

    def as_dict(self) -> dict[str, str]:
        """The public shape: ``{"framework", "version", "control", "title"}``."""
        return {"framework": self.framework, "version": self.version, "control": self.control, "title": self.title}

    @property
    def label(self) -> str:
        """One-line form used in CSV cells and tables: "CIS M365 6.0.0 5.2.2.2"."""
        return f"{self.framework} {self.version} {self.control}"


def validate(data: FrameworkData) -> FrameworkData:
    """Check ids against ``ID_FORMATS`` and mappings against the tables; raise ``FrameworkDataError``."""
    problems: list[str] = []
    for key, framework in data.frameworks.items():
        pattern = ID_FORMATS.get(key)
        if pattern is None:
            problems.append(f"framework {key!r} has no known id format")
            continue
        problems += [f"{key}: malformed control id {cid!r}" for cid in framework.controls if not pattern.fullmatch(cid)]
        problems += [f"{key} {cid}: empty title" for cid, title in framework.controls.items() if not title.strip()]
    for check_id, mapping in data.checks.items():
        for key, control_ids in mapping.items():
            framework = data.frameworks.get(key)
            if framework is None:
                problems.append(f"{check_id}: unknown framework {key!r}")
                continue
            problems += [f"{check_id}: {key} has no control {cid!r}" for cid in control_ids if cid not in framework.controls]
    if problems:
        raise FrameworkDataError("framework data: " + "; ".join(problems))
    return data


def parse(text: str) -> FrameworkData:
    """Parse and validate framework data from TOML text. Raises ``FrameworkDataError``."""
    try:
        return validate(FrameworkData.model_validate(tomllib.loads(text)))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise FrameworkDataError(f"framework data: {exc}") from exc


@lru_cache(maxsize=1)
def load() -> FrameworkData:
    """The packaged data (auditor/frameworks.toml), parsed and validated once per process."""
    return parse(resources.files("auditor").joinpath("frameworks.toml").read_text(encoding="utf-8"))


def controls_for(check_id: str, data: FrameworkData | None = None) -> tuple[FrameworkControl, ...]:
    """The framework controls ``check_id`` gives evidence for, in the data file's framework order; () when
    none."""
    data = data or load()
    mapping = data.checks.get(check_id, {})
    found: list[FrameworkControl] = []
    for key, framework in data.frameworks.items():
        for cid in mapping.get(key, []):
            found.append(FrameworkControl(framework.short, framework.version, cid, framework.controls[cid], key))
    return tuple(found)


def labels(controls: object) -> str:
    """The CSV/XLSX cell: every control's one-line label joined by "; " (accepts FrameworkControl objects or
    the ``{"framework", "version", "control"}`` dicts of results.json)."""
    parts = []
    for item in controls or ():  # type: ignore[union-attr]
        if isinstance(item, FrameworkControl):
            parts.append(item.label)
        else:
            get = item.get if isinstance(item, dict) else lambda name: getattr(item, name)
            parts.append(f"{get('framework')} {get('version')} {get('control')}")
    return "; ".join(parts)
