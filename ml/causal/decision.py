"""The decision rule BI reads (docs/causal.md), applied to one estimate:

- `inconclusive` when the estimate's diagnostics failed (a sample-ratio mismatch; covariates still
  unbalanced after weighting; for the naive difference, arms unbalanced to begin with): its CI is not to be
  trusted, whatever it says;
- `ship` when the whole 95 % CI lies above zero (the effect is positive);
- `don't ship` when the whole CI lies below MIN_WORTHWHILE_EFFECT (the effect, if any, is too small to be
  worth it, or harmful);
- `inconclusive` otherwise (the CI straddles: run longer or larger; `power_analysis` says how much)."""

from __future__ import annotations

from ml.causal.estimate import Estimate

# the smallest effect worth shipping, on the metric's own scale (session conversion: one percentage point)
MIN_WORTHWHILE_EFFECT = 0.01
SHIP, DONT_SHIP, INCONCLUSIVE = "ship", "don't ship", "inconclusive"


def decide(
    estimate: Estimate, diagnostics_passed: bool, min_effect: float = MIN_WORTHWHILE_EFFECT
) -> tuple[str, str]:
    """(decision, reason)."""
    if not diagnostics_passed:
        return INCONCLUSIVE, "diagnostics failed: the interval is not trustworthy"
    if estimate.ci_lower > 0:
        return SHIP, f"95 % CI [{estimate.ci_lower:.4f}, {estimate.ci_upper:.4f}] lies above 0"
    if estimate.ci_upper < min_effect:
        return DONT_SHIP, f"95 % CI lies below the smallest worthwhile effect {min_effect}"
    return (
        INCONCLUSIVE,
        f"95 % CI [{estimate.ci_lower:.4f}, {estimate.ci_upper:.4f}] straddles 0 or {min_effect}",
    )
