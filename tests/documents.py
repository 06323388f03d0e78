"""Read Kassa's PDF documents back as a shopper's bank would: their text, and every bar code
and QR code printed on them.

Everything runs offline: pypdf and pypdfium2 (PDFium, bundled in its wheel) read the PDF,
zxing-cpp (also a self-contained wheel) decodes the codes from the rendered pages.
"""

from __future__ import annotations

import io
import re

import pypdf
import pypdfium2  # type: ignore[import-untyped]
import zxingcpp

__all__ = ["pdf_codes", "pdf_text"]

#: Pixels per PDF point when rendering: 4 is 288 dpi, so a 0.25 mm bar is about 2.8 pixels
#: wide, as a phone camera or a 300 dpi scanner sees a printed invoice.
DEFAULT_SCALE = 4.0

_WHITESPACE = re.compile(r"\s+")  # in str patterns \s also covers no-break spaces


def pdf_text(data: bytes) -> str:
    """The text of every page in order, with each run of whitespace (line breaks, no-break
    and narrow no-break spaces included) turned into one plain space, so a test can look
    for a phrase as a reader sees it: ``"129,90 €" in pdf_text(data)``."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return _WHITESPACE.sub(" ", text).strip()


def pdf_codes(data: bytes, *, scale: float = DEFAULT_SCALE) -> list[tuple[str, str]]:
    """Every bar code and QR code that can be read from the pages of ``data``, as
    ``(format, text)`` pairs: ``("Code128", "4371...")``, ``("QRCode", "BCD\\n...")``.

    Each page is rendered in grey at ``scale`` pixels per PDF point (1 = 72 dpi) and decoded
    with zxing-cpp; the codes come page by page, top to bottom and then left to right on
    a page. A code that does not decode (damaged, too small at this scale, a wrong check
    character) is simply not in the list.
    """
    found: list[tuple[str, str]] = []
    document = pypdfium2.PdfDocument(data)
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                image = page.render(scale=scale, grayscale=True).to_pil()
            finally:
                page.close()
            codes = zxingcpp.read_barcodes(image)
            codes.sort(key=lambda code: (code.position.top_left.y, code.position.top_left.x))
            found.extend((code.format.name, code.text) for code in codes)
    finally:
        document.close()
    return found
