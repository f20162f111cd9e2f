select * from gold.mart_customer_cohorts
