select * from gold.mart_daily_revenue
