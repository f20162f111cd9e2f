"""Benign variants of a text landing file, normalised before loading: a UTF-8 byte-order mark removed, CRLF
line ends turned into LF. The normalised copy sits in a staging folder under the same relative path, so the
engine's reader treats it exactly like a clean file. (Columns in another order need no copy: both engines
read CSV columns by name.)"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ingest.landing_zone import LandingFile

BOM = b"\xef\xbb\xbf"


def normalised(data: bytes) -> bytes:
    return data.removeprefix(BOM).replace(b"\r\n", b"\n")


def staged_copy(file: LandingFile, staging_dir: Path) -> LandingFile:
    """The file normalised into `staging_dir/<relative path>` (the file itself when nothing needs changing),
    marked `plain` when its text has no CR or NUL byte and no empty line."""
    if file.entity.fmt == "parquet":
        return file
    data = file.path.read_bytes()
    clean = normalised(data)
    plain = not (b"\r" in clean or b"\0" in clean or b"\n\n" in clean or clean.startswith(b"\n"))
    if clean == data:
        return replace(file, plain=plain)
    target = staging_dir / file.relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(clean)
    return LandingFile(file.entity, target, file.relative, file.day, plain)
