select * from gold.mart_drift_reports
