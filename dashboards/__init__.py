"""The BI dashboards: an Evidence project (pages/, sources/gold/) over the gold marts, and its build (site.py)."""
