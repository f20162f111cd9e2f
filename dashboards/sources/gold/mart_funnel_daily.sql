select * from gold.mart_funnel_daily
