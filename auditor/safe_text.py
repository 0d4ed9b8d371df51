"""Text from tenants made safe to keep: the one place that knows what a store or a file cannot hold.

Tenant data is written by whoever administers the tenant (display names, domains, evidence values), and a
snapshot is a file anyone can edit. This module grows with every sink that has a rule of its own; each
function is pure and total (any str in, a str out, never an exception)."""

from __future__ import annotations

import re
from typing import Any

_NUL = "\x00"


def storable(text: str) -> str:
    """``text`` as PostgreSQL's text type accepts it (and SQLite keeps it alike): NUL characters removed,
    lone surrogates (valid in a Python str and a JSON file, not in UTF-8) replaced by U+FFFD."""
    if _NUL in text:
        text = text.replace(_NUL, "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Through UTF-16: a high-low pair becomes its character, a lone half becomes U+FFFD.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def storable_value(value: Any) -> Any:
    """``storable`` applied to every string in a JSON-shaped value (dict keys included)."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(str(k)) if isinstance(k, str) else k: storable_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable_value(v) for v in value]
    return value


# C0 and C1 control characters and DEL: what a terminal executes (ESC starts colour, title and hyperlink
# sequences; CR rewrites a line; BEL, BS, VT, FF, NUL) instead of showing. Each becomes a visible escape.
_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))}
# Bidirectional formatting characters (Unicode "Bidi_Control"): an override or isolate reverses or
# reorders how the text after it reads (a "Trojan Source" name). Shown escaped on a terminal.
_BIDI = {code: f"\\u{code:04x}" for code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_TERMINAL = {**_CONTROL, **_BIDI}


def terminal(text: object) -> str:
    """``text`` as a terminal or a log line shows it, never executes it: control characters (ESC, CR, LF,
    BEL, …, C1 controls) and bidirectional formatting characters become visible ``\\xNN`` / ``\\uNNNN``
    escapes, so a tenant name can neither colour, retitle, link, rewrite nor reorder what is printed, nor
    start a new log line. Rich markup is not interpreted anywhere the CLI prints (auditor.cli_common.console),
    so brackets stay as they are."""
    return str(text).translate(_TERMINAL)


# In files (CSV, XLSX, HTML, PDF) a line break may stay (multi-line summaries), as one LF; a tab stays.
# Every other control character is dropped: none has a meaning in a report cell, and some (NUL, VT, BS)
# break parsers or hide text. So are the explicit bidirectional embeddings, overrides and isolates
# (U+202A-U+202E, U+2066-U+2069): tenant text often reaches a page inside a sentence the tool wrote
# ("We checked NAME's Microsoft 365…"), where an override left open reversed the rest of the tool's
# sentence. Without them the text shows in the order it is stored, which is also what the data says (a
# "Trojan Source" name shows its real order). The marks (LRM, RLM, ALM) stay: they reorder nothing beyond
# their own neighbourhood.
_FILE_DROP = {code: None for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0),
                                       *range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_BIDI_CHARACTERS = frozenset(chr(code) for code in _BIDI)
_FIRST_STRONG_ISOLATE, _POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


def file_text(text: str) -> str:
    """``text`` as a report, CSV or spreadsheet cell holds it: CR LF and lone CR become LF (a lone CR is a
    row break to spreadsheets), other control characters and the explicit bidirectional embeddings,
    overrides and isolates are dropped (a "Trojan Source" name such as ``\\u202etxt.exe`` reads in its
    stored order, and cannot reverse the sentence around it), and text still holding a bidirectional mark
    is wrapped in an isolate (U+2068 … U+2069; Unicode Bidirectional Algorithm, UAX #9)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_FILE_DROP)
    if not _BIDI_CHARACTERS.isdisjoint(text):
        text = _FIRST_STRONG_ISOLATE + text + _POP_DIRECTIONAL_ISOLATE
    return text


# What spreadsheets (Excel, LibreOffice, Google Sheets) read as the start of a formula (OWASP "CSV
# Injection"), also in their full-width forms; and what they skip before it.
_FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_SKIPPED_BEFORE_FORMULA = " \t\n,;|\u3000" + _FIRST_STRONG_ISOLATE


def spreadsheet_text(text: str) -> str:
    """``file_text(text)`` made inert for a spreadsheet: a value that would start a formula, even after
    leading spaces, tabs, line breaks or separators, gets a leading apostrophe, which spreadsheets show
    as text and never evaluate."""
    text = file_text(text)
    if text.lstrip(_SKIPPED_BEFORE_FORMULA)[:1] in _FORMULA_STARTS:
        return "'" + text
    return text


ELLIPSIS = "…"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut (for names in reports
    and file names; JSON keeps them whole)."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


# For one-line messages (notifications): controls, zero-width and direction characters and the Unicode
# line and paragraph separators, in runs, each run one space.
_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+")


def one_line(text: object, limit: int) -> str:
    """``text`` as one line of plain words: every run of control, zero-width or direction-changing
    characters (and line separators) becomes a space, the ends are trimmed, and it is shortened to
    ``limit`` characters with an ellipsis. Escaping for a format is the renderer's job."""
    return shorten(_ONE_LINE.sub(" ", str(text)).strip(), limit)
