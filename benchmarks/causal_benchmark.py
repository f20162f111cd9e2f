"""The causal estimators on the generator's world at SF 0.1, over several seeds, next to the planted truth.

Usage: .venv/bin/python benchmarks/causal_benchmark.py [--seeds 42 7 11] [--scale 0.1] [--days 90]
       [--work-dir DIR]
Writes benchmarks/results/causal.md (and causal.json). Per seed, in a folder of its own under --work-dir:
the generator's world (generator.run.generate; the experiment and the campaign lie in its first 56 days
and the generator is horizon independent, so 90 days give the same ones as 365), the quick build (raw load
+ truth load + `dbt build` of the two causal marts, their parents and their tests, the truth test
included), then the analyses the asset runs (ml/causal/analyses.py, without Dagster and MLflow). Compared
with _truth/experiment.json (true effect 0.04, observed difference) and _truth/campaign.json (true uplift
0.06, naive difference and its expected bias, the difference weighted by the true propensities), and the
estimated propensities with the planted ones of _truth/campaign_propensity.csv.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"


def build(work: Path, scale: float, days: int, seed: int) -> Any:
    from emporium.config import load_settings
    from emporium.dbt import run_dbt
    from generator.config import Params
    from generator.run import generate
    from ingest.raw_load import load_raw, load_truth

    env = {"EMPORIUM_DATA_DIR": str(work), "DBT_TARGET": "duckdb", "DBT_TARGET_PATH": str(work / "target")}
    settings = load_settings(env)
    generate(Params(seed=seed, scale=scale, days=days), settings.landing_dir, work / "seeds")
    load_raw(settings, None, run_id="causal-benchmark")
    load_truth(settings)
    selection = "+mart_experiment_customers +mart_campaign_customers assert_campaign_customers_match_truth"
    run_dbt(
        settings,
        "build",
        "--full-refresh",
        "--select",
        selection,
        "--indirect-selection",
        "cautious",
        quiet=True,
    )
    return settings


def measure(settings: Any) -> dict[str, Any]:
    from ml.causal.analyses import CAMPAIGN_COVARIATES, campaign_frame
    from ml.causal.estimate import Design
    from ml.causal.observational import propensity_scores
    from orchestration.causal import analyse, read_marts

    experiments, campaigns = read_marts(settings)
    started = time.perf_counter()
    results = analyse(experiments, campaigns)
    seconds = time.perf_counter() - started
    truth_dir = settings.truth_dir
    experiment = json.loads((truth_dir / "experiment.json").read_text())
    campaign = json.loads((truth_dir / "campaign.json").read_text())
    planted = pd.read_csv(truth_dir / "campaign_propensity.csv")
    frame = campaign_frame(campaigns[campaigns["campaign_id"] == 1])
    design = Design("customer_id", "contacted", "converting_sessions", "sessions", CAMPAIGN_COVARIATES)
    frame = frame.assign(estimated=propensity_scores(frame, design)).merge(planted, on="customer_id")
    ordered = frame.sort_values("estimated")
    deciles = [ordered.iloc[rows] for rows in np.array_split(np.arange(len(ordered)), 10)]
    return {
        "estimates": [
            {
                "analysis": f"{r.analysis_type} {r.analysis_id}",
                "estimator": r.estimate.estimator,
                "effect": r.estimate.effect,
                "ci": [r.estimate.ci_lower, r.estimate.ci_upper],
                "decision": r.decision()[0],
                "diagnostics_passed": r.diagnostics_passed,
                "variance_reduction": r.estimate.diagnostics.get("variance_reduction"),
                "srm_p": r.estimate.diagnostics.get("sample_ratio", {}).get("p_value"),
            }
            for r in results
        ],
        "estimator_seconds": seconds,
        "experiment": {
            "true_effect": experiment["true_absolute_effect"],
            "observed_difference": experiment["observed"]["difference"],
            "customers": len(experiments),
            "truth_customers": experiment["assigned_customers"],
            "sessions": int(experiments["sessions"].sum()),
            "truth_sessions": experiment["observed"]["control_sessions"]
            + experiment["observed"]["treatment_sessions"],
        },
        "campaign": {
            "true_uplift": campaign["true_uplift"],
            "naive_difference": campaign["naive"]["difference"],
            "expected_bias": campaign["naive"]["expected_bias"],
            "ipw_true_propensity": campaign["ipw_with_true_propensity"]["difference"],
            "eligible": len(frame),
            "truth_eligible": campaign["eligible_customers"],
        },
        "propensity": {
            "correlation": float(np.corrcoef(frame["estimated"], frame["propensity"])[0, 1]),
            "mean_absolute_difference": float((frame["estimated"] - frame["propensity"]).abs().mean()),
            "calibration": [
                (float(d["estimated"].mean()), float(d["contacted_x"].mean()), float(d["propensity"].mean()))
                for d in deciles
            ],
        },
    }


def render(runs: dict[str, dict[str, Any]], scale: float, days: int, seconds: dict[str, float]) -> str:
    lines = [
        "# Causal estimates against the planted truth",
        "",
        f"`benchmarks/causal_benchmark.py`: SF {scale}, {days} days, seeds {', '.join(runs)}; quick build (raw load +"
        " dbt build of the causal marts and their parents), then the analyses of `ml/causal/analyses.py`. 95 % CIs."
        " Planted: experiment 1 effect 0.04 (absolute, session conversion), campaign 1 uplift 0.06.",
    ]
    lines += _section(
        runs,
        "experiment 1",
        "## Experiment 1 (randomised; truth 0.04)",
        _experiment_row,
        (
            "| seed | customers (truth) | sessions (truth) | observed difference (truth file) | difference in means"
            " | CUPED | CUPED variance reduction | SRM p | decision (CUPED) |",
            "|---|---|---|---:|---|---|---:|---:|---|",
        ),
    )
    lines += _section(runs, "campaign 1", "## Campaign 1 (targeted on value; truth 0.06)", _campaign_row, (
        "| seed | eligible (truth) | naive | naive (truth file), expected bias"
        " | IPW, true propensities (truth file) | IPW | AIPW | decision (AIPW) |",
        "|---|---|---|---|---:|---|---|---|",
    ))  # fmt: skip
    covered = [
        (x["estimator"], x["ci"][0] <= (0.04 if x["analysis"] == "experiment 1" else 0.06) <= x["ci"][1])
        for run in runs.values()
        for x in run["estimates"]
    ]
    lines += ["", "CIs covering the planted effect, per estimator over the seeds: " + ", ".join(
        f"{name} {sum(c for n, c in covered if n == name)}/{sum(1 for n, _ in covered if n == name)}"
        for name in dict.fromkeys(n for n, _ in covered)
    ) + "."]  # fmt: skip
    lines += [
        "",
        "## Estimated against planted propensities (campaign 1)",
        "",
        "| seed | correlation | mean absolute difference"
        " | calibration: mean estimated / share contacted / mean planted, lowest and highest decile |",
        "|---|---:|---:|---|",
    ]  # fmt: skip
    for seed, run in runs.items():
        p = run["propensity"]
        low, high = p["calibration"][0], p["calibration"][-1]
        lines.append(
            f"| {seed} | {p['correlation']:.3f} | {p['mean_absolute_difference']:.3f} | "
            f"{low[0]:.2f} / {low[1]:.2f} / {low[2]:.2f}; {high[0]:.2f} / {high[1]:.2f} / {high[2]:.2f} |"
        )
    lines += [
        "",
        "Seconds per seed (generate + quick build, then the estimators alone): "
        + ", ".join(f"{seed}: {seconds[seed]:.0f} + {runs[seed]['estimator_seconds']:.2f}" for seed in runs)
        + ". 2 cores shared with other jobs.",
    ]
    return "\n".join(lines) + "\n"


def _section(
    runs: dict[str, dict[str, Any]], analysis: str, title: str, row: Any, header: tuple[str, str]
) -> list[str]:
    lines = ["", title, "", *header]
    for seed, run in runs.items():
        estimates = {x["estimator"]: x for x in run["estimates"] if x["analysis"] == analysis}
        lines.append(row(seed, run, estimates))
    return lines


def _experiment_row(seed: str, run: dict[str, Any], e: dict[str, Any]) -> str:
    ex, plain, adjusted = run["experiment"], e["difference_in_means"], e["cuped"]
    cells = [seed, f"{ex['customers']} ({ex['truth_customers']})", f"{ex['sessions']} ({ex['truth_sessions']})",
             f"{ex['observed_difference']:+.4f}", _ci(plain), _ci(adjusted), f"{adjusted['variance_reduction']:.1%}",
             f"{plain['srm_p']:.2f}", adjusted["decision"]]  # fmt: skip
    return "| " + " | ".join(cells) + " |"


def _campaign_row(seed: str, run: dict[str, Any], e: dict[str, Any]) -> str:
    c = run["campaign"]
    truth = f"{c['naive_difference']:+.4f}, {c['expected_bias']:+.4f}"
    cells = [seed, f"{c['eligible']} ({c['truth_eligible']})", _ci(e["naive"]), truth,
             f"{c['ipw_true_propensity']:+.4f}", _ci(e["ipw"]), _ci(e["aipw"]), e["aipw"]["decision"]]  # fmt: skip
    return "| " + " | ".join(cells) + " |"


def _ci(x: dict[str, Any]) -> str:
    return f"{x['effect']:+.4f} [{x['ci'][0]:+.4f}, {x['ci'][1]:+.4f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7, 11])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument(
        "--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "emporium-causal-benchmark"
    )
    args = parser.parse_args()
    runs, seconds = {}, {}
    for seed in args.seeds:
        started = time.perf_counter()
        settings = build(args.work_dir / f"seed-{seed}", args.scale, args.days, seed)
        seconds[str(seed)] = time.perf_counter() - started
        runs[str(seed)] = {**measure(settings), "build_seconds": seconds[str(seed)]}
        print(f"seed {seed}: {seconds[str(seed)]:.0f} s", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "causal.json").write_text(json.dumps(runs, indent=1) + "\n", encoding="utf-8")
    (RESULTS / "causal.md").write_text(render(runs, args.scale, args.days, seconds), encoding="utf-8")
    print((RESULTS / "causal.md").read_text(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
