"""The library's parts against independent computations: the delta-method standard error against
statsmodels' cluster-robust regression on the sessions themselves, the sample-ratio check, the power
formula against simulated rejections, and bad input named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import ml.causal as causal
from tests.causal.simulate import SHAPES


def test_delta_method_equals_the_cluster_robust_regression_on_sessions() -> None:
    customers = SHAPES[0].draw(np.random.default_rng(7))
    estimate = causal.difference_in_means(customers, SHAPES[0].design)
    # one row per session: converted or not, clustered by customer
    sessions = customers.loc[customers.index.repeat(customers["sessions"])].reset_index(drop=True)
    position = sessions.groupby("unit").cumcount()
    sessions["converted"] = (position < sessions["converting"]).astype(float)
    sessions["treated"] = sessions["treated"].astype(float)
    fit = smf.ols("converted ~ treated", sessions).fit(
        cov_type="cluster", cov_kwds={"groups": sessions["unit"]}
    )
    assert estimate.effect == pytest.approx(fit.params["treated"], rel=1e-9)
    # statsmodels applies the small-sample factor G/(G-1) (N-1)/(N-K); the delta method uses n-1 per arm
    assert estimate.std_error == pytest.approx(fit.bse["treated"], rel=0.01)
    naive_se = smf.ols("converted ~ treated", sessions).fit().bse["treated"]
    assert estimate.std_error > naive_se  # sessions of one customer are correlated: wider than iid


def test_sample_ratio_mismatch_flags_a_broken_split_and_passes_a_fair_one() -> None:
    assert causal.sample_ratio_mismatch(
        {"control": 5000, "treatment": 5400}, {"control": 0.5, "treatment": 0.5}
    )["mismatch"]
    fair = causal.sample_ratio_mismatch(
        {"control": 5010, "treatment": 4990}, {"control": 0.5, "treatment": 0.5}
    )
    assert not fair["mismatch"] and fair["p_value"] > 0.5


def test_power_at_the_minimum_detectable_effect_is_what_simulation_gives() -> None:
    n = 400
    plan = causal.power_analysis(std_dev=1.0, n_treated=n, n_control=n, alpha=0.05, power=0.8)
    mde = plan["minimum_detectable_effect"]
    assert mde == pytest.approx(2.8016 * np.sqrt(2 / n), rel=1e-3)  # (z_0.975 + z_0.8) sqrt(2 / n)
    rng = np.random.default_rng(11)
    rejections = 0
    for _ in range(300):
        treated = np.repeat([True, False], n)
        y = rng.normal(size=2 * n) + mde * treated
        data = pd.DataFrame({"unit": np.arange(2 * n), "treated": treated, "y": y})
        rejections += causal.difference_in_means(data, causal.Design("unit", "treated", "y")).p_value < 0.05
    assert 0.74 <= rejections / 300 <= 0.86


def test_bad_input_names_the_column_and_row() -> None:
    design = causal.Design("unit", "treated", "y")
    data = pd.DataFrame({"unit": [1, 2, 3], "treated": [1, 0, 2], "y": [1.0, 0.0, 1.0]})
    with pytest.raises(causal.CausalInputError, match=r"treatment .treated. must be 0/1.*row 2 \(unit = 3\)"):
        causal.difference_in_means(data, design)
    with pytest.raises(causal.CausalInputError, match=r"column\(s\) \['sessions'\] not in the DataFrame"):
        causal.difference_in_means(data, causal.Design("unit", "treated", "y", "sessions"))
    data = pd.DataFrame({"unit": [1, 1], "treated": [1, 0], "y": [1.0, 0.0]})
    with pytest.raises(causal.CausalInputError, match="one row per unit: 1 repeats"):
        causal.difference_in_means(data, design)
    data = pd.DataFrame({"unit": [1, 2], "treated": [1, 0], "y": [1.0, None]})
    with pytest.raises(causal.CausalInputError, match="'y' needs finite numbers: row 1"):
        causal.difference_in_means(data, design)
