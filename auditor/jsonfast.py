"""JSON parsing and writing through orjson, with the standard library's results for every input.

Profiling ``auditor collect`` (issue 16) put JSON at about 40 % of its CPU: ``json.loads`` of every Graph and
ARM answer, and pydantic's indented ``model_dump_json`` of every snapshot. orjson does both several times
faster. It differs from the standard library in a few corners, which ``loads`` hands to ``json.loads`` so
that the result, and the error, are exactly what ``json.loads`` gives:

- orjson rejects NaN and Infinity, a UTF-8 byte order mark, lone surrogates and encodings other than UTF-8,
  and nesting deeper than 1,024 (all failures: the standard library then decides);
- orjson reads an integer beyond 64 bits as a float, silently; such an integer needs 19 digits or more, so
  a body with a run of 19 digits anywhere is parsed by the standard library (cheaply found: one C-level
  ``bytes.translate`` and a substring search, about a third of orjson's own parse time).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from pydantic_core import to_jsonable_python

# Digits stay digits ("0"), every other byte becomes a space: a run of 19 digits becomes b"0" * 19.
_DIGITS_ONLY = bytes(0x30 if 0x30 <= i <= 0x39 else 0x20 for i in range(256))
_LONG_NUMBER = b"0" * 19  # int64 holds 18 digits always, 19 only up to 9,223,372,036,854,775,807
# Anything orjson would write its own way (datetimes, enums and other str/int subclasses, dataclasses)
# goes through pydantic's own conversion instead, so the text matches what pydantic wrote before.
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
INDENTED = orjson.OPT_INDENT_2 | _PASSTHROUGH
COMPACT = _PASSTHROUGH


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """``json.loads(data)``, faster: the same value for every input, the same exception for every failure."""
    if isinstance(data, str):  # rare here (a $batch item's non-JSON body): not worth a second path
        return json.loads(data)
    raw = bytes(data) if not isinstance(data, bytes) else data
    if _LONG_NUMBER in raw.translate(_DIGITS_ONLY):
        return json.loads(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)  # raises the standard library's own error, or accepts what orjson does not


def dumps(document: Any, *, indent: bool = False) -> bytes:
    """``document`` as UTF-8 JSON (two-space indented when asked). Raises orjson.JSONEncodeError (a
    TypeError) for what orjson cannot write exactly: an integer beyond 64 bits, a dict key that is not a
    string, a string with a lone surrogate; callers that may meet one keep a slower exact path."""
    return orjson.dumps(document, default=to_jsonable_python, option=INDENTED if indent else COMPACT)
