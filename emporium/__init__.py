"""Emporium: a dbt-centric analytics-engineering reference platform."""
