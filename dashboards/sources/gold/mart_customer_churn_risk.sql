-- risk bands per country and tier only: no customer-level rows leave the warehouse
select
    as_of_date,
    model_name,
    model_version,
    risk_band,
    country_code,
    loyalty_tier,
    count(*) as customers,
    sum(churn_probability) as expected_churners,
    avg(churn_probability) as mean_churn_probability
from gold.mart_customer_churn_risk
group by 1, 2, 3, 4, 5, 6
