select * from gold.mart_quality_gate_runs
