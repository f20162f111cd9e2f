"""What one raw load did: rows and files per entity, the files it rejected, the warnings it accepted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tabulate import tabulate


@dataclass(frozen=True, order=True)
class FileIssue:
    """A landing file's problem: a rejection (the file was left out) or a warning (it loaded)."""

    entity: str
    landing_day: dt.date | None  # None: the file is in no valid partition
    file: str  # relative to the landing root
    line: int | None
    problem: str


@dataclass
class LoadReport:
    run_id: str
    engine: str
    days: tuple[dt.date, ...] | None  # None: a full reload
    rows: dict[str, int] = field(default_factory=dict)  # entity -> rows loaded
    files: dict[str, int] = field(default_factory=dict)  # entity -> files loaded
    rejected: list[FileIssue] = field(default_factory=list)
    warnings: list[FileIssue] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)  # files whose earlier rejection this load closed
    fingerprints: dict[str, str] = field(default_factory=dict)  # every file considered: path -> fingerprint
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.rejected

    def rejected_for(self, entity: str) -> list[FileIssue]:
        return [issue for issue in self.rejected if issue.entity == entity]

    def scope(self) -> str:
        if self.days is None:
            return "every landing day (full reload)"
        if len(self.days) <= 3:
            return "landing day(s) " + ", ".join(map(str, self.days))
        return f"{len(self.days)} landing days from {min(self.days)} to {max(self.days)}"

    def render(self) -> str:
        rows = [
            (entity, self.files.get(entity, 0), self.rows[entity], len(self.rejected_for(entity)))
            for entity in self.rows
        ]
        parts = [
            f"raw load {self.run_id} into {self.engine}, {self.scope()}: "
            f"{sum(self.rows.values()):,} rows from {sum(self.files.values()):,} files in {self.seconds:.1f} s",
            tabulate(rows, headers=["entity", "files", "rows", "rejected"], intfmt=","),
        ]
        if self.rejected:
            parts += [
                "",
                f"REJECTED {len(self.rejected)} problem(s): these files were NOT loaded",
                _issues(self.rejected),
            ]
        if self.warnings:
            parts += [
                "",
                f"accepted with {len(self.warnings)} warning(s) (normalised on load)",
                _issues(self.warnings),
            ]
        if self.resolved:
            parts += ["", "earlier rejections resolved: " + ", ".join(self.resolved)]
        return "\n".join(parts)


def _issues(issues: list[FileIssue]) -> str:
    rows = [(i.file, "" if i.line is None else i.line, i.problem) for i in sorted(issues)]
    return tabulate(rows, headers=["file", "line", "problem"], disable_numparse=True)
