select * from gold.mart_prediction_monitoring_daily
