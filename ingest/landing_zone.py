"""The landing zone's layout, parsed in one place: `<entity>/date=YYYY-MM-DD/<entity>_YYYY-MM-DD.<ext>`.

The validator (ingest/validation.py), the raw load and the orchestrator's landing sensor all read paths
through these functions, so a partition means the same thing everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from emporium.contract import Entity

TRUTH_DIR = "_truth"
_PARTITION = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class LandingFile:
    entity: Entity
    path: Path
    relative: str  # to the landing root, as raw.<entity>._source_file
    day: dt.date  # the landing day, as raw.<entity>.date
    # text without a CR or NUL byte and without empty lines, so any line reader gives exactly its lines
    # (known once the raw load has read it: ingest/normalise.staged_copy); False, the default, is always safe
    plain: bool = False

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.path)


def is_partition(name: str) -> bool:
    """Does the folder name look like a partition (`date=` + 10 characters), valid date or not?"""
    return _PARTITION.match(name) is not None


def partition_day(name: str) -> dt.date | None:
    """The day of a partition folder name `date=YYYY-MM-DD`; None if it is not one or not a real date."""
    match = _PARTITION.match(name)
    if match is None:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def landing_day_of(relative: str | Path) -> dt.date | None:
    """The landing day of a path relative to the landing root (`<entity>/date=.../<file>`), else None."""
    parts = Path(relative).parts
    return partition_day(parts[1]) if len(parts) == 3 else None


def fingerprint(path: Path) -> str:
    """Cheap change detector: size and modification time (a re-sent file changes at least the latter)."""
    stat = path.stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def entity_files(
    landing_dir: Path, entity: Entity, days: Collection[dt.date] | None = None
) -> list[LandingFile]:
    """The entity's data files (`*.<ext>` in valid partitions) of `days` (all when None), oldest first.

    Only candidates: whether a file is accepted is the validator's call."""
    files = []
    for partition in sorted((landing_dir / entity.name).glob("date=*/")):
        day = partition_day(partition.name)
        if day is None or (days is not None and day not in days):
            continue
        for path in sorted(partition.glob(f"*.{entity.ext}")):
            if path.is_file():
                files.append(LandingFile(entity, path, path.relative_to(landing_dir).as_posix(), day))
    return files


def _data_files(landing_dir: Path) -> Iterator[Path]:
    for top in sorted(landing_dir.iterdir()):
        if top.name != TRUTH_DIR and top.is_dir():
            yield from (path for path in sorted(top.rglob("*")) if path.is_file())


def landing_days(landing_dir: Path) -> list[dt.date]:
    """Every landing day with at least one partition folder in the zone, oldest first."""
    if not landing_dir.is_dir():
        return []
    days = {
        day
        for top in landing_dir.iterdir()
        if top.is_dir() and top.name != TRUTH_DIR
        for partition in top.glob("date=*/")
        if (day := partition_day(partition.name)) is not None
    }
    return sorted(days)


def file_fingerprints(landing_dir: Path) -> dict[str, str]:
    """Relative path -> fingerprint of every file in the zone (`_truth/` included); diff two to see what
    landed or was re-sent, and `landing_day_of` the changed paths for the partitions to rebuild."""
    if not landing_dir.is_dir():
        return {}
    paths = list(_data_files(landing_dir))
    truth = landing_dir / TRUTH_DIR
    if truth.is_dir():
        paths += sorted(p for p in truth.rglob("*") if p.is_file())
    return {path.relative_to(landing_dir).as_posix(): fingerprint(path) for path in paths}
