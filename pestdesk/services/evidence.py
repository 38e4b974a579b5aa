"""The text inside a stored evidence file, for the name detector (``services.names``).

Plain text (UTF-8, UTF-16 with its BOM, Windows-1252) is read as it is. Office and other
ZIP-packed documents (.docx, .xlsx, .pptx, .odt, .ods, .zip of text files) are read part by
part: their XML and text parts, with the tags taken out. What cannot be read -- a PDF, a
picture, a packed file with an encrypted, nested or binary part, or one that unpacks to more
than ``MAX_UNPACKED`` -- answers ``None``: the caller must then treat the file as one that may
name anybody (the purge removes it from a case of a removed student; the AVG export never
includes evidence content).
"""

from __future__ import annotations

import codecs
import html
import io
import re
import zipfile

MAX_UNPACKED = 50 * 1024 * 1024  # bytes, all text parts of one packed file together
MAX_PARTS = 5000
#: parts of a packed document that hold text
TEXT_PARTS = (".xml", ".rels", ".txt", ".csv", ".htm", ".html", ".json", ".md", ".vml")
#: parts that are pictures (read by nobody: the file's name and description decide for them,
#: as for a picture on its own)
PICTURE_PARTS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf",
                 ".svg", ".webp")
#: where a packed document's text breaks (paragraph, cell, row, line, tab); other tags
#: sit inside a word ("<w:t>Zo</w:t><w:t>ë</w:t>") and go without a trace
_BREAK = re.compile(r"</(?:\w+:)?(?:p|h|tr|row|si|c|td|li|div|title)\s*>"
                    r"|<(?:\w+:)?(?:br|tab|s|cr)\b[^>]*/>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def evidence_text(data: bytes) -> str | None:
    """The readable text of ``data``, or None when it cannot be read completely."""
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return _packed_text(data)
    return plain_text(data)


def plain_text(data: bytes) -> str | None:
    """The text of a file that is text (UTF-8, UTF-16 with its BOM, Windows-1252), else None."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return None


def _packed_text(data: bytes) -> str | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if len(parts) > MAX_PARTS:
        return None
    texts, total = [], 0
    for part in parts:
        name = part.filename.lower()
        if part.is_dir():
            continue
        if part.flag_bits & 0x1:  # encrypted: cannot be read
            return None
        if name.endswith(PICTURE_PARTS):
            continue
        if not name.endswith(TEXT_PARTS) and name != "mimetype":
            return None  # a binary or nested part (an embedded file, a zip in the zip)
        total += part.file_size
        if total > MAX_UNPACKED:
            return None
        try:
            with archive.open(part) as stream:
                raw = stream.read(MAX_UNPACKED + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            return None
        if len(raw) > part.file_size or len(raw) > MAX_UNPACKED:
            return None  # the header lied about the size
        text = plain_text(raw)
        if text is None:
            return None
        if name.endswith((".xml", ".rels", ".htm", ".html", ".vml")):
            text = html.unescape(_TAG.sub("", _BREAK.sub("\n", text)))
        texts.append(text)
    return "\n".join(texts)
