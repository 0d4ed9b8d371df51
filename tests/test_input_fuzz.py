"""Every input file fails with one line (issue 11, kind 3): config, snapshot, results file, logo and database
URL. For any bytes, any size, any nesting and any image, each reader either returns its model or raises its
own one-line error naming the file: never another exception, never unbounded memory.

Two shapes of test per reader: a fixed corpus of nasty files (the inputs found, and their kin), checked
through the command line (exit 1, exactly one ``error:`` line on stderr naming the file); and a hypothesis
fuzz of the reader itself, over raw bytes and over mutations of a valid document."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from auditor import store
from auditor.cli import app
from auditor.config import AuditConfig, Branding, ConfigError, load_config
from auditor.input_files import CONFIG_MAX_BYTES, RESULTS_MAX_BYTES, SNAPSHOT_MAX_BYTES
from auditor.outputs import results_json
from auditor.redact import redact_url
from auditor.report import BrandingError, validate_branding
from auditor.results import AuditResults, ResultsError, load_results
from auditor.snapshot import SnapshotError, TenantSnapshot, dump_snapshot, load_snapshot
from tests.builders import make_snapshot
from tests.test_store_backends import audit, tenant

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
runner = CliRunner()

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


def _write(data: bytes, suffix: str) -> Path:
    handle, name = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    return Path(name)


def _sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk space (and must not be read whole)."""
    with open(path, "wb") as stream:
        stream.truncate(size)
    return path


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _one_error_line(result, path: Path | str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(path) in lines[0], result.stderr


# --- config -----------------------------------------------------------------------------------------------

CONFIG_CORPUS = {
    "latin-1": "[[tenants]]\nid = \"52eaad04-13a2-4a2f-9ce8-93a294fadf36\"\nname = \"Société\"\n".encode("latin-1"),
    "utf-16": '[partner]\nid = "52eaad04-13a2-4a2f-9ce8-93a294fadf36"\n'.encode("utf-16"),
    "nul": b"discover_customers = true\x00\n",
    "deep-array": b"a = " + _deep(100_000),
    "deep-inline-table": b"a = " + b"{b = " * 5000 + b"1" + b"}" * 5000,
    "not-a-guid": b'[[tenants]]\nid = "contoso.onmicrosoft.com"\n',
    "same-tenant-twice": b'[[tenants]]\nid = "52eaad04-13a2-4a2f-9ce8-93a294fadf36"\n'
                         b'[[tenants]]\nid = "52EAAD04-13A2-4A2F-9CE8-93A294FADF36"\n',
    "partner-listed-as-tenant": b'[partner]\nid = "52eaad04-13a2-4a2f-9ce8-93a294fadf36"\n'
                                b'[[tenants]]\nid = "52eaad04-13a2-4a2f-9ce8-93a294fadf36"\n',
    "secret-as-variable-name": b'[auth]\nclient_secret_env = "Xq8Q~aB3.cD4-eF5_gH6~iJ7kL8mN9oP0qR1sT2u"\n',
    "password-as-variable-name": b'[auth]\ncertificate_password_env = "hunter2!"\n',
    "database-password": b'database = "postgresql://auditor:S3CRET@db.internal/audits"\n',
    "database-password-in-query": b'database = "postgresql://auditor@db.internal/audits?password=S3CRET"\n',
    "tenants-not-a-list": b'tenants = "all"\n',
    "huge-number": b"concurrency = " + b"9" * 5000 + b"\n",
    "empty-table-name": b"[]\n",
    "password-in-endpoint": b'[endpoints]\ngraph = "https://app:S3CRET@graph.microsoft.com"\n',
    "nul-in-logo-path": b'[branding]\nlogo = "logo\\u0000.png"\n',
    "nul-in-certificate-path": b'[auth]\nmethod = "certificate"\nclient_id = "x"\ncertificate_path = "\\u0000"\n',
}


@pytest.mark.parametrize("name", sorted(CONFIG_CORPUS))
def test_a_nasty_config_is_one_error_line(tmp_path, name):
    path = tmp_path / f"{name}.toml"
    path.write_bytes(CONFIG_CORPUS[name])
    result = runner.invoke(app, ["evaluate", "--config", str(path), str(tmp_path)])
    _one_error_line(result, path)
    for secret in ("S3CRET", "Xq8Q~aB3", "hunter2"):
        assert secret not in result.output


@pytest.mark.parametrize("kind", ["too-large", "folder", "device"])
def test_a_config_that_is_no_file_or_too_large_is_one_error_line(tmp_path, kind):
    path = {"too-large": lambda: _sparse(tmp_path / "big.toml", CONFIG_MAX_BYTES + 1),
            "folder": lambda: tmp_path, "device": lambda: Path("/dev/zero")}[kind]()
    result = runner.invoke(app, ["evaluate", "--config", str(path), str(tmp_path)])
    _one_error_line(result, path)


@FUZZ
@given(st.binary(max_size=3000))
def test_config_reader_fuzz_bytes(data):
    _config_outcome(data)


@FUZZ
@given(st.lists(st.sampled_from(list('[]{}="\'\n ,.#*-_:01azAZ\\') + ["tenants", "id", "auth", "partner", "database",
       "method", "risk_acceptances", "\x00", "é", "\ud7ff", "52eaad04-13a2-4a2f-9ce8-93a294fadf36"]), max_size=80)
       .map("".join))
def test_config_reader_fuzz_toml_like_text(text):
    _config_outcome(text.encode("utf-8", "surrogatepass"))


def _config_outcome(data: bytes) -> None:
    path = _write(data, ".toml")
    try:
        assert isinstance(load_config(path), AuditConfig)
    except ConfigError as exc:
        assert "\n" not in str(exc).strip() and str(path) in str(exc)
    finally:
        path.unlink()


# --- snapshot ---------------------------------------------------------------------------------------------


def _valid_snapshot() -> dict:
    return json.loads(dump_snapshot(make_snapshot(organization=[{"id": "1", "displayName": "Contoso"}])))


SNAPSHOT_CORPUS = {
    "not-utf8": b'{"schema_version": "1", "tenant": {"id": "\xff"}}',
    "deep": _deep(200_000),
    "deep-objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "huge-integer": b'{"schema_version": ' + b"1" * 10_000 + b"}",
    "top-level-list": b"[]",
    "null": b"null",
    "empty": b"",
    "nan-everywhere": json.dumps({**_valid_snapshot(), "collected_at": float("nan")}).encode(),
    "section-not-an-object": json.dumps({**_valid_snapshot(), "sections": {"users": 42}}).encode(),
    "sections-a-list": json.dumps({**_valid_snapshot(), "sections": []}).encode(),
    "deep-section-data": json.dumps(_valid_snapshot()).replace('"data": [{"id": "1"', '"data": [{"x": ' + "[" * 900 + "]" * 900 + ', "id": "1"', 1).encode(),
}


@pytest.mark.parametrize("name", sorted(SNAPSHOT_CORPUS))
def test_a_nasty_snapshot_is_one_error_line(tmp_path, name):
    path = tmp_path / f"{name}.json"
    path.write_bytes(SNAPSHOT_CORPUS[name])
    result = runner.invoke(app, ["evaluate", str(path)])
    if name == "deep-section-data":  # nested deep but within limits: a snapshot like any other
        assert result.exit_code == 0 and "Traceback" not in result.output
        return
    _one_error_line(result, path)


@pytest.mark.parametrize("kind", ["too-large", "device"])
def test_a_snapshot_that_is_no_file_or_too_large_is_one_error_line(tmp_path, kind):
    path = _sparse(tmp_path / "big.json", SNAPSHOT_MAX_BYTES + 1) if kind == "too-large" else Path("/dev/zero")
    result = runner.invoke(app, ["evaluate", str(path)])
    _one_error_line(result, path)


@FUZZ
@given(st.binary(max_size=3000))
def test_snapshot_reader_fuzz_bytes(data):
    _snapshot_outcome(data)


def _mutate(document: object, path: list, value: object) -> object:
    """``document`` with the node reached by following ``path`` (indexes taken modulo) replaced by ``value``."""
    if not path or not isinstance(document, (dict, list)) or not document:
        return value
    keys = list(document) if isinstance(document, dict) else list(range(len(document)))
    key = keys[path[0] % len(keys)]
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[key] = _mutate(copy[key], path[1:], value)
    return copy


@FUZZ
@given(st.lists(st.integers(min_value=0, max_value=50), max_size=6), JSON)
def test_snapshot_reader_fuzz_mutated_documents(path, value):
    from auditor.evaluate import evaluate
    from auditor.registry import Registry

    snapshot = _snapshot_outcome(json.dumps(_mutate(_valid_snapshot(), path, value)).encode())
    if snapshot is not None:  # what loads must evaluate: a check that trips on odd data is an ERROR result
        evaluate([snapshot], Registry.from_entry_points(), snapshot.collected_at)


def _snapshot_outcome(data: bytes) -> TenantSnapshot | None:
    path = _write(data, ".json")
    try:
        return load_snapshot(path)
    except SnapshotError as exc:
        assert "\n" not in str(exc).strip() and str(path) in str(exc)
        return None
    finally:
        path.unlink()


# --- results file (auditor report) ---------------------------------------------------------------------------


def _valid_results() -> dict:
    return json.loads(results_json(audit("run-1", [tenant("t-1", "Contoso", {"MFA-1": "FAIL", "MFA-2": "PASS"})])))


RESULTS_CORPUS = {
    "not-utf8": b'{"tool": {"name": "\xff"}}',
    "deep": _deep(200_000),
    "huge-integer": b'{"tool": ' + b"1" * 10_000 + b"}",
    "empty": b"",
    "tenants-null": json.dumps({**_valid_results(), "tenants": None}).encode(),
    "utf-16": json.dumps(_valid_results()).encode("utf-16"),
}


@pytest.mark.parametrize("name", sorted(RESULTS_CORPUS))
def test_a_nasty_results_file_is_one_error_line(tmp_path, name):
    path = tmp_path / f"{name}.json"
    path.write_bytes(RESULTS_CORPUS[name])
    result = runner.invoke(app, ["report", str(path), "--out", str(tmp_path / "out")])
    _one_error_line(result, path)


def test_a_results_file_too_large_is_one_error_line(tmp_path):
    path = _sparse(tmp_path / "results.json", RESULTS_MAX_BYTES + 1)
    _one_error_line(runner.invoke(app, ["report", str(path), "--out", str(tmp_path / "out")]), path)


@FUZZ
@given(st.binary(max_size=3000))
def test_results_reader_fuzz_bytes(data):
    _results_outcome(data)


@FUZZ
@given(st.lists(st.integers(min_value=0, max_value=50), max_size=6), JSON)
def test_results_reader_fuzz_mutated_documents(path, value):
    _results_outcome(json.dumps(_mutate(_valid_results(), path, value)).encode())


def _results_outcome(data: bytes) -> None:
    path = _write(data, ".json")
    try:
        assert isinstance(load_results(path), AuditResults)
    except ResultsError as exc:
        assert "\n" not in str(exc).strip() and str(path) in str(exc)
    finally:
        path.unlink()


# --- logo -----------------------------------------------------------------------------------------------------


def _png(width: int, height: int, body: bytes | None = None) -> bytes:
    """A PNG declaring ``width``×``height``; with ``body`` None, a complete 1-colour image (small however
    large it declares to be: a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    if body is None:
        compressor = zlib.compressobj(9)
        row = b"\x00" + b"\x00" * width
        body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", body) + chunk(b"IEND", b"")


LOGO_CORPUS = {
    "bomb": _png(20_000, 20_000),
    "header-only": _png(64, 64, body=b"")[:40],
    "bad-idat": _png(64, 64, body=b"\x78\x9c garbage"),
    "jpeg-magic-only": b"\xff\xd8\xff" + b"\x00" * 100,
    "gif-magic-only": b"GIF89a" + b"\xff" * 20,
    "webp-magic-only": b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8,
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>',
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(LOGO_CORPUS))
def test_a_nasty_logo_is_one_error_line(tmp_path, name):
    logo = tmp_path / f"{name}.img"
    logo.write_bytes(LOGO_CORPUS[name])
    config = tmp_path / "tenants.toml"
    config.write_text(f'[branding]\nlogo = "{logo}"\n', encoding="utf-8")
    result = runner.invoke(app, ["report", str(_write(json.dumps(_valid_results()).encode(), ".json")),
                                 "--config", str(config), "--out", str(tmp_path / "out")])
    _one_error_line(result, logo)
    assert not (tmp_path / "out").exists()


def test_a_small_real_logo_is_accepted(tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(_png(64, 32))
    validate_branding(Branding(logo=logo))


@FUZZ
@given(st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBP", b""]),
       st.binary(max_size=2000))
def test_logo_reader_fuzz(magic, body):
    path = _write(magic + body, ".img")
    try:
        validate_branding(Branding(logo=path))
    except BrandingError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
    finally:
        path.unlink()


# --- database URL ---------------------------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=120))
def test_database_url_reader_fuzz(text):
    try:
        url = store.resolve_db_url(text)
    except store.StoreError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(url, str) and isinstance(redact_url(url), str)


@FUZZ
@given(st.text(st.characters(blacklist_characters="\x00/", blacklist_categories=("Cs",)), min_size=1, max_size=40))
def test_any_sqlite_file_name_opens_or_is_one_error_line(name):
    folder = Path(tempfile.mkdtemp())
    try:
        engine = store.open_db(str(folder / name))
        engine.dispose()
    except store.StoreError as exc:
        assert "\n" not in str(exc)


@pytest.fixture(scope="module")
def closed_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


PASSWORD = st.text(st.characters(blacklist_characters="\x00@", blacklist_categories=("Cs",)), min_size=6, max_size=24)
QUERY_SAFE = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="-_.~!$*+"),
                     min_size=6, max_size=24)


@settings(max_examples=40, deadline=None)
@given(password=PASSWORD)
def test_a_password_in_the_url_is_never_printed(closed_port, password):
    _never_printed(f"postgresql://auditor:{password}@127.0.0.1:{closed_port}/audits", password)


@settings(max_examples=40, deadline=None)
@given(password=QUERY_SAFE, key=st.sampled_from(["password", "sslpassword"]))
def test_a_password_in_the_query_is_never_printed(closed_port, password, key):
    _never_printed(f"postgresql://auditor@127.0.0.1:{closed_port}/audits?{key}={password}", password)


def _never_printed(url: str, password: str) -> None:
    assert password not in redact_url(url)
    result = runner.invoke(app, ["history", "--db", url])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert password not in result.output


@pytest.mark.parametrize("url", [
    "postgresql://u:p@ss@127.0.0.1:{port}/db",      # an unescaped '@' in the password
    "postgresql://u:S3CRET@host:notaport/db",       # a port that is not a number
    "postgresql://u:S3CRET@[::1/db",                # an unclosed IPv6 bracket
])
def test_a_malformed_database_url_is_one_error_line_without_the_password(closed_port, url):
    result = runner.invoke(app, ["history", "--db", url.format(port=closed_port)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert "S3CRET" not in result.output and "ss@" not in result.output
