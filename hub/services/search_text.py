"""The text of an attachment, for search: TXT, PDF (pdfminer.six, the kept PDF text extractor that
pdfplumber is built on) and DOCX (its word/document.xml). Never raises: a forged type, a zip bomb
or a PDF the extractor cannot read gives None ("text not extracted"), and the file is kept.
"""

from __future__ import annotations

import io
import logging
import zipfile
from xml.etree import ElementTree

log = logging.getLogger(__name__)

MAX_TEXT = 200_000                 # characters kept of one attachment's text
MAX_XML = 20 * 1024 * 1024         # a DOCX's document.xml larger than this unpacked: a zip bomb
MAX_PDF_PAGES = 200
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def attachment_text(name: str, data: bytes) -> str | None:
    """The attachment's text, or None if it has none we can read."""
    kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    try:
        if kind == "txt":
            return _txt(data)
        if kind == "pdf" and data.startswith(b"%PDF"):
            return _pdf(data)
        if kind == "docx" and data.startswith(b"PK"):
            return _docx(data)
    except Exception as e:  # noqa: BLE001 - any file may be damaged or hostile: its text is not extracted
        log.info("no text extracted from %s: %s", name[:80], type(e).__name__)
    return None


def _txt(data: bytes) -> str | None:
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)[:MAX_TEXT]
        except UnicodeDecodeError:
            continue
    return None


def _pdf(data: bytes) -> str | None:
    from pdfminer.high_level import extract_text
    text = extract_text(io.BytesIO(data), maxpages=MAX_PDF_PAGES)
    return text[:MAX_TEXT] if text.strip() else None


def _docx(data: bytes) -> str | None:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo("word/document.xml")
        if info.file_size > MAX_XML:
            return None
        with z.open(info) as f:
            xml = f.read(MAX_XML + 1)
    if len(xml) > MAX_XML:
        return None
    root = ElementTree.fromstring(xml)
    paragraphs = ("".join(t.text or "" for t in p.iter(f"{_W}t")) for p in root.iter(f"{_W}p"))
    text = "\n".join(p for p in paragraphs if p)
    return text[:MAX_TEXT] or None
