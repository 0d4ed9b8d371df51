"""Where the bundled sample portfolio lives, installed or in a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def sample_dir() -> Path:
    return Path(str(resources.files("sample_data")))


def sample_snapshots_dir() -> Path:
    return sample_dir() / "tenants"


def sample_config_path() -> Path:
    return sample_dir() / "config.toml"
