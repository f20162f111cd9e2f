"""A Markdown report of the causal estimates with its plots (PNG beside it): effect and 95 % CI per
estimator, covariate balance before and after weighting, propensity overlap by arm."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ml.causal.analyses import Result


def write_report(results: Sequence[Result], out_dir: Path, title: str = "Causal estimates") -> Path:
    """report.md and its figures in `out_dir`; returns the report's path."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"# {title}", "", "Estimands, estimators and the decision rule: docs/causal.md.", ""]
    for key in dict.fromkeys((r.analysis_type, r.analysis_id) for r in results):
        group = [r for r in results if (r.analysis_type, r.analysis_id) == key]
        name = f"{key[0]}_{key[1]}"
        primary = next((r for r in group if r.is_primary), group[0])
        lines += [f"## {key[0].capitalize()} {key[1]}", "", f"Estimand: {primary.estimate.estimand}.", ""]
        lines += _table(group)
        lines += [
            "",
            f"![effect and 95 % CI per estimator]({_effects_plot(group, out_dir / f'{name}_effects.png')})",
        ]
        lines += _extra_diagnostics(group, out_dir, name)
        lines.append("")
    path = out_dir / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _table(group: Sequence[Result]) -> list[str]:
    rows = [
        "| estimator | primary | effect | 95 % CI | p-value | units (treated / control) | diagnostics | decision |",
        "|---|---|---:|---|---:|---|---|---|",
    ]
    for r in group:
        e = r.estimate
        verdict, reason = r.decision()
        rows.append(
            f"| {e.estimator} | {'yes' if r.is_primary else ''} | {e.effect:+.4f} | [{e.ci_lower:+.4f}, "
            f"{e.ci_upper:+.4f}] | {e.p_value:.3g} | {e.n} ({e.n_treated} / {e.n_control}) | "
            f"{'passed' if r.diagnostics_passed else 'FAILED'} | **{verdict}**: {reason} |"
        )
    return rows


def _extra_diagnostics(group: Sequence[Result], out_dir: Path, name: str) -> list[str]:
    lines: list[str] = []
    for r in group:
        d = r.estimate.diagnostics
        if "variance_reduction" in d:
            lines.append(
                f"\nCUPED on {', '.join(d['covariates'])}: variance reduced by {d['variance_reduction']:.1%} "
                f"(CI {d['ci_width_ratio']:.3f} times as wide)."
            )
        if "sample_ratio" in d and r.estimate.estimator == "difference_in_means":
            srm, power = d["sample_ratio"], d["power"]
            lines.append(
                f"\nSample ratio {srm['counts']}: chi-square p = {srm['p_value']:.3g}"
                f"{' (MISMATCH)' if srm['mismatch'] else ''}. Minimum detectable effect at this sample "
                f"(alpha 0.05, power 0.8): {power['minimum_detectable_effect']:.4f}."
            )
        if "smd_after" in d and r.estimate.estimator == "ipw":
            balance = _balance_plot(d["smd_before"], d["smd_after"], out_dir / f"{name}_balance.png")
            overlap = _overlap_plot(d["overlap"], out_dir / f"{name}_overlap.png")
            lines += [
                f"\nPropensity range {d['propensity_range'][0]:.3f} .. {d['propensity_range'][1]:.3f}; "
                f"{d['outside_trim_rule']} units outside the trimming rule [0.1, 0.9]; largest weight "
                f"{d['max_weight']:.1f}.",
                "",
                f"![standardised mean differences before and after weighting]({balance})",
                "",
                f"![propensity overlap by arm]({overlap})",
            ]
    return lines


def _effects_plot(group: Sequence[Result], path: Path) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 0.6 * len(group) + 1.2))
    for i, r in enumerate(group):
        e = r.estimate
        axes.errorbar(
            e.effect, i, xerr=[[e.effect - e.ci_lower], [e.ci_upper - e.effect]], fmt="o", capsize=4
        )
    axes.axvline(0, color="grey", linewidth=1)
    axes.set_yticks(range(len(group)), [r.estimate.estimator for r in group])
    axes.set_xlabel("effect (treated - control) with 95 % CI")
    return _save(figure, path)


def _balance_plot(before: dict[str, float], after: dict[str, float], path: Path) -> str:
    import matplotlib.pyplot as plt

    names = list(before)
    figure, axes = plt.subplots(figsize=(6, 0.5 * len(names) + 1.2))
    axes.scatter([abs(before[n]) for n in names], names, label="before weighting")
    axes.scatter([abs(after[n]) for n in names], names, label="after weighting")
    axes.axvline(0.1, color="grey", linestyle="--", linewidth=1)
    axes.set_xlabel("|standardised mean difference|")
    axes.legend()
    return _save(figure, path)


def _overlap_plot(overlap: dict[str, list], path: Path) -> str:
    import matplotlib.pyplot as plt

    edges = overlap["edges"]
    figure, axes = plt.subplots(figsize=(6, 3))
    for arm in ("treated", "control"):
        axes.stairs(overlap[arm], edges, label=arm)
    axes.set_xlabel("estimated propensity")
    axes.set_ylabel("units")
    axes.legend()
    return _save(figure, path)


def _save(figure, path: Path) -> str:
    import matplotlib.pyplot as plt

    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path.name
