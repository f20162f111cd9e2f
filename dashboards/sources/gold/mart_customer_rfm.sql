-- segments and scores only: no customer-level rows leave the warehouse
select
    rfm_segment,
    recency_score,
    frequency_score,
    monetary_score,
    count(*) as customers,
    sum(frequency) as orders,
    sum(monetary) as net_revenue,
    avg(recency_days) as avg_recency_days
from gold.mart_customer_rfm
group by 1, 2, 3, 4
