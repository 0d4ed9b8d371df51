"""The Dockerfile and docs/automation.md stay true without a container engine or a CI service: the image's
base, packages, user and entry point; the pipelines parse and use only options the CLI has."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import typer
import yaml

from auditor.cli import app

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
GUIDE = (ROOT / "docs" / "automation.md").read_text(encoding="utf-8")


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    found = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def stages() -> list[list[tuple[str, str]]]:
    parts: list[list[tuple[str, str]]] = []
    for instruction in instructions(DOCKERFILE):
        if instruction[0] == "FROM":
            parts.append([])
        if parts:
            parts[-1].append(instruction)
    return parts


def test_the_image_is_debian_slim_and_the_runtime_stage_has_pango():
    args = dict(arg.split("=", 1) for kind, arg in instructions(DOCKERFILE) if kind == "ARG" and "=" in arg)
    assert args["BASE_IMAGE"] == "debian:bookworm-slim"
    build, runtime = stages()
    assert build[0][1] == "${BASE_IMAGE} AS build" and runtime[0][1] == "${BASE_IMAGE}"
    installed = " ".join(arg for kind, arg in runtime if kind == "RUN")
    # the packages README.md and .ci/run name for WeasyPrint, and CA certificates for SMTP STARTTLS
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fontconfig", "ca-certificates"):
        assert f" {package}" in installed, package
    assert "--no-install-recommends" in installed and "rm -rf /var/lib/apt/lists/*" in installed


def test_the_image_runs_auditor_as_an_unprivileged_user():
    _, runtime = stages()
    user = [arg for kind, arg in runtime if kind == "USER"]
    assert user == ["auditor"]
    assert any(kind == "RUN" and "useradd --system --uid 10001" in arg for kind, arg in runtime)
    assert ("ENTRYPOINT", '["auditor"]') in runtime
    cmd = next(arg for kind, arg in runtime if kind == "CMD")
    assert cmd.startswith('["run"')
    # the default command's options exist
    options = {o for p in typer.main.get_command(app).commands["run"].params for o in p.opts}
    assert {word for word in re.findall(r'"(--[a-z-]+)"', cmd)} <= options


def test_the_image_copies_every_package_the_project_installs():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {name.rstrip("*") for name in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    build, _ = stages()
    copied = {arg.split()[0] for kind, arg in build if kind == "COPY"}
    assert packages <= copied
    assert project["project"]["readme"] in " ".join(arg for kind, arg in build if kind == "COPY")
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv"} <= set(ignored) and not packages & set(ignored)


def yaml_blocks() -> list[dict]:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.+?)```", GUIDE, flags=re.DOTALL)]


def test_the_pipelines_parse_run_quarterly_and_publish_the_reports_whatever_the_exit_code():
    github, azure = yaml_blocks()
    triggers = github.get("on", github.get(True))  # YAML 1.1 reads the key `on` as true, as PyYAML does
    assert triggers["schedule"][0]["cron"] == azure["schedules"][0]["cron"] == "0 2 1 1,4,7,10 *"
    steps = github["jobs"]["audit"]["steps"]
    upload = next(step for step in steps if str(step.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "out/"
    assert github["jobs"]["audit"]["env"]["AUDITOR_DB"] == "${{ secrets.AUDITOR_DB }}"
    publish = next(step for step in azure["steps"] if step.get("task", "").startswith("PublishPipelineArtifact"))
    assert publish["condition"] == "always()"
    audit = next(step for step in azure["steps"] if step.get("displayName") == "Audit")
    assert set(audit["env"]) == {"AUDITOR_DB", "AUDITOR_CERT_PASSWORD", "AUDITOR_TEAMS_URL", "AUDITOR_SMTP_PASSWORD"}
    assert any(step.get("task", "").startswith("DownloadSecureFile") for step in azure["steps"])


def test_every_auditor_command_in_the_guide_uses_real_options():
    commands = typer.main.get_command(app).commands
    text = re.sub(r"\\\n\s*", " ", GUIDE)
    used = []
    for match in re.finditer(r"\bauditor (run|notify|report|history|diff)\b([^`\n#]*)", text):
        name, rest = match.groups()
        used += [(name, option) for option in re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest)]
    assert {name for name, _ in used} >= {"run", "notify"}
    unknown = [(n, o) for n, o in used if o not in {opt for p in commands[n].params for opt in p.opts}]
    assert unknown == []


def test_the_guide_config_is_a_valid_config():
    from auditor.config import parse_config

    block = re.search(r"```toml\n(.+?)```", GUIDE, flags=re.DOTALL).group(1)
    config = parse_config(block, "docs/automation.md")
    assert config.auth.method == "certificate" and [c.channel.value for c in config.notify] == ["teams", "email"]


def test_the_readme_notify_example_is_a_valid_config():
    from auditor.config import parse_config

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Notifications"):readme.index("## Risk acceptance")]
    block = re.search(r"```toml\n(.+?)```", section, flags=re.DOTALL).group(1)
    assert parse_config(block, "README.md").notify[0].target_env == "AUDITOR_TEAMS_URL"
    assert shlex.split("auditor notify --run RUN")[1] in typer.main.get_command(app).commands
