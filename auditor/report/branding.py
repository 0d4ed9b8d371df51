"""The partner's branding, validated before anything is rendered and resolved for the templates: the logo
(raster only, decoded once to prove it whole) and the colours derived from the primary colour."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from auditor.config import Branding
from auditor.report.paths import PLACEHOLDER_LOGO, BrandingError

LOGO_MAX_BYTES = 5 * 1024 * 1024
LOGO_MAX_PIXELS = 4096 * 4096  # a 5 MiB PNG can declare 400 megapixels: gigabytes once decoded, per PDF
_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_type(data: bytes) -> str | None:
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def validate_branding(branding: Branding) -> None:
    """Refuse unusable branding before anything is rendered.

    Decision: SVG logos are refused. An SVG is a document that can reference other files and URLs; a
    raster image cannot, and every partner has its logo as PNG."""
    colour = branding.primary_color or ""
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        raise BrandingError(f"branding.primary_color {colour!r} is not a colour like #1f4e79")
    if branding.logo is None:
        return
    path = Path(branding.logo)
    if not path.is_file():
        raise BrandingError(f"branding.logo {path}: {'not a regular file' if path.exists() else 'no such file'}")
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            head = stream.read(512)
    except OSError as exc:
        raise BrandingError(f"branding.logo {path}: cannot read: {exc.strerror or exc}") from None
    if size > LOGO_MAX_BYTES:
        raise BrandingError(f"branding.logo {path}: {size // 1024} KiB is too large (at most {LOGO_MAX_BYTES // 1024 // 1024} MiB)")
    if image_type(head) is None:
        if b"<svg" in head.lower():
            raise BrandingError(f"branding.logo {path}: SVG is not accepted; give a PNG, JPEG, GIF or WebP image")
        raise BrandingError(f"branding.logo {path}: not a PNG, JPEG, GIF or WebP image")
    # The magic bytes are not enough: WeasyPrint fails mid-render on a truncated file. Pillow (a WeasyPrint
    # dependency) decodes it fully here, before anything is written.
    from PIL import Image, ImageFile

    # WeasyPrint turns LOAD_TRUNCATED_IMAGES on for the whole process when it is imported; a logo is judged
    # whole or damaged whatever was imported before.
    truncated_ok, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > LOGO_MAX_PIXELS:  # judged from the header, before anything is decoded
                raise BrandingError(f"branding.logo {path}: {width}×{height} pixels is too large (a logo needs "
                                    f"at most {LOGO_MAX_PIXELS // 1_000_000} megapixels)")
            image.load()
    except BrandingError:
        raise
    # Pillow's decoders raise more than OSError and ValueError on damaged files (SyntaxError, struct.error,
    # EOFError, IndexError, DecompressionBombError, ...): any of them means the logo cannot be used.
    except Exception as exc:
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise BrandingError(f"branding.logo {path}: damaged or incomplete image ({detail})") from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok


@dataclass(frozen=True)
class Brand:
    """Branding resolved for the templates: the logo as bytes, colours derived from the primary colour."""

    partner_name: str
    footer_text: str
    primary: str
    on_primary: str
    primary_soft: str
    logo_path: Path
    logo_mime: str
    logo_is_placeholder: bool

    @cached_property  # read once per process, not once per report
    def logo_data_uri(self) -> str:
        data = base64.b64encode(self.logo_path.read_bytes()).decode("ascii")
        return f"data:{self.logo_mime};base64,{data}"

    @property
    def logo_file_url(self) -> str:
        return self.logo_path.resolve().as_uri()


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _tint(colour: str, amount: float) -> str:
    r, g, b = _rgb(colour)
    return "#" + "".join(f"{round(v + (255 - v) * amount):02x}" for v in (r, g, b))


def resolve_brand(branding: Branding | None) -> Brand:
    branding = branding or Branding()
    validate_branding(branding)
    primary = branding.primary_color.lower()
    if branding.logo is not None:
        path = Path(branding.logo).resolve()
        mime = image_type(path.read_bytes()[:64]) or "application/octet-stream"
        placeholder = False
    else:
        path, mime, placeholder = PLACEHOLDER_LOGO, "image/svg+xml", True
    # White text on dark brand colours, near-black on light ones, so the cover stays readable.
    on_primary = "#ffffff" if _luminance(primary) < 0.4 else "#111820"
    return Brand(
        partner_name=branding.partner_name.strip(),
        footer_text=branding.footer_text.strip(),
        primary=primary,
        on_primary=on_primary,
        primary_soft=_tint(primary, 0.88),
        logo_path=path,
        logo_mime=mime,
        logo_is_placeholder=placeholder,
    )

