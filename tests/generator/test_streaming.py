"""The landing files are written in batches while the days are simulated; how the rows are batched
changes no byte, and the bytes are those the generator wrote when it held the whole world in memory."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from gen_support import PARAMS, file_hashes

from generator import run

# sha256 over "<path> <sha256 of the file>" lines of the PARAMS landing zone as written by the
# whole-table writer of commit 416d81b, before the generator streamed
WHOLE_WORLD_DIGEST = "b2abc414df3d4f6d0cb45a5c5f4a7ddc1fe1da23ed0b8123747158ca22abbe16"


def _digest(hashes: dict[str, str]) -> str:
    return hashlib.sha256("\n".join(f"{k} {v}" for k, v in hashes.items()).encode()).hexdigest()


def test_small_batches_write_the_same_bytes(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[tuple[str, int]] = []
    write = run._EntityStream.write

    def counted(self: run._EntityStream, table: run.Table, through: int) -> None:
        batches.append((self.entity.name, through))
        write(self, table, through)

    monkeypatch.setattr(run, "STREAM_ROWS", 500)  # web events: a batch every day or two
    monkeypatch.setattr(run._EntityStream, "write", counted)
    run.generate(PARAMS, tmp_path / "landing", None)
    per_entity = {name: sum(1 for n, _ in batches if n == name) for name, _ in batches}
    assert per_entity["web_events"] > 10 and per_entity["orders"] > 1  # late rows carried across batches
    streamed = file_hashes(tmp_path / "landing")
    assert streamed == file_hashes(landing)
    assert _digest(streamed) == WHOLE_WORLD_DIGEST
    assert not list((tmp_path / "landing").glob(".defect-log-*"))  # the spool is gone
