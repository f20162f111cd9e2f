select * from gold.mart_sales_daily
