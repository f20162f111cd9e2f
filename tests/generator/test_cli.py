"""The `generate` / `append` subcommands: parameters reach the manifest and append continues from it."""

from __future__ import annotations

import json
from pathlib import Path

from gen_support import file_hashes

from emporium.config import PROJECT_ROOT, Settings
from generator.cli import main
from tests import support


def _manifest(out: Path) -> dict[str, object]:
    return json.loads((out / "_truth" / "manifest.json").read_text())


def test_generate_then_append_through_the_cli(tmp_path: Path) -> None:
    out, seeds = tmp_path / "landing", tmp_path / "seeds"
    common = ["--out", str(out), "--seeds-dir", str(seeds), "--quiet"]
    args = ["generate", "--scale", "0.01", "--days", "6", "--seed", "3", "--drift-day", "4"]
    assert main([*args, "--missing-key-rate", "0.2", *common]) == 0
    manifest = _manifest(out)
    assert manifest["drift_date"] == "2025-01-05"
    assert manifest["defect_rates"]["missing_key"] == 0.2
    assert (seeds / "countries.csv").is_file()

    assert main(["append", "--days", "2", *common]) == 0
    manifest = _manifest(out)
    assert (manifest["days"], manifest["end_date"], manifest["seed"]) == (8, "2025-01-08", 3)
    assert (out / "orders" / "date=2025-01-08" / "orders_2025-01-08.csv").is_file()
    assert not (out / "orders" / "date=2025-01-09").exists()
    revenue = (out / "_truth" / "daily_revenue.csv").read_text().splitlines()
    assert len(revenue) == 1 + 8


def test_drift_day_accepts_a_date(tmp_path: Path) -> None:
    out = tmp_path / "landing"
    args = ["generate", "--scale", "0.01", "--days", "2", "--drift-day", "2025-03-01", "--quiet"]
    main([*args, "--out", str(out), "--seeds-dir", str(tmp_path / "seeds")])
    assert _manifest(out)["drift_date"] == "2025-03-01"


def test_the_suites_tiny_world_is_the_one_these_tests_check(tiny: Path, tmp_path: Path) -> None:
    """tests/support.generate (what every warehouse test builds from) writes exactly the `tiny` fixture's
    zone: a labelled feature-mart grid, both campaign arms and the drift day all inside its horizon."""
    support.generate(tmp_path / "landing", tmp_path / "seeds")
    assert file_hashes(tmp_path / "landing") == file_hashes(tiny)
    manifest = _manifest(tiny)
    assert manifest["drift_date"] == "2025-03-01" < manifest["end_date"] == "2025-04-30"


def test_the_seeds_the_generator_writes_equal_the_committed_ones(tiny_landing: Settings) -> None:
    """dbt loads the committed seeds/, the generator draws its world from its own reference data: the two
    must not drift apart (the tiny world spans one year, as the committed holidays do)."""
    written = {p.name: p.read_bytes() for p in (tiny_landing.data_dir / "seeds").glob("*.csv")}
    committed = {p.name: p.read_bytes() for p in (PROJECT_ROOT / "seeds").glob("*.csv")}
    assert written.keys() == committed.keys()
    assert [name for name in written if written[name] != committed[name]] == []
