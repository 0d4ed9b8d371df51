"""Reading an input file (config, snapshot, results) safely: bounded size, regular files only, one line on
failure. Each reader turns ``InputFileError`` into its own error type (ConfigError, SnapshotError, …), so
every bad input file ends as one ``error:`` line naming the file and exit 1, never a traceback."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

MiB = 1024 * 1024
# Far above any real file, far below what would exhaust memory once parsed: a 100,000-user tenant's
# snapshot is about 230 MB; a tenants.toml of 10,000 tenants about 1 MB.
CONFIG_MAX_BYTES = 16 * MiB
SNAPSHOT_MAX_BYTES = 1024 * MiB
RESULTS_MAX_BYTES = 1024 * MiB


class InputFileError(Exception):
    """An input file that cannot be read; the message is one line and names the file."""


def read_input(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, refusing more than ``limit`` bytes before reading them.

    Raises InputFileError for a missing or unreadable file, a folder, a device or pipe (``/dev/zero`` would
    never end), or a file larger than ``limit``."""
    try:
        with open(path, "rb") as stream:
            info = os.fstat(stream.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise InputFileError(f"{path}: not a regular file")
            if info.st_size > limit:
                raise InputFileError(f"{path}: {_size(info.st_size)} is larger than the {_size(limit)} this tool reads")
            data = stream.read(limit + 1)  # a file growing while read is still bounded
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:  # an embedded NUL in the path
        raise InputFileError(f"{path!r}: cannot read: {exc}") from None
    if len(data) > limit:
        raise InputFileError(f"{path}: larger than the {_size(limit)} this tool reads")
    return data


def decode_utf8(path: Path, data: bytes) -> str:
    """``data`` as UTF-8 text (a leading byte-order mark dropped); InputFileError naming the offset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 text (byte {exc.start}: 0x{data[exc.start]:02x}); save it as UTF-8") from None


def validation_error_line(path: Path, error: "ValidationError", what: str) -> str:
    """One line for the first problem pydantic found in the file at ``path``, which should hold ``what``
    ("a results file", "a snapshot"): "PATH: not valid JSON: …" when the text is not JSON at all,
    "PATH: WHAT must be a JSON object" for any other JSON value, "PATH: field a.b: message (and N more)"
    otherwise; never pydantic's own "Invalid JSON" wording or an empty field name."""
    first = error.errors()[0]
    if first["type"] == "json_invalid":
        return f"{path}: not valid JSON: {first.get('ctx', {}).get('error', first['msg'])}"
    if not first["loc"] and first["type"] in ("model_type", "dict_type", "model_attributes_type"):
        return f"{path}: {what} must be a JSON object"
    location = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    extra = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{path}: field {location}: {message}{extra}" if location else f"{path}: {message}{extra}"


def _size(count: int) -> str:
    return f"{count / MiB:.0f} MiB" if count >= MiB else f"{count} bytes"
