select
    sales_month,
    product_id,
    product_name,
    category_code,
    category_name,
    brand,
    orders,
    units,
    net_revenue
from gold.mart_product_performance
