select * from gold.mart_data_quality_daily
