"""The application: the Dagster code location (definitions.py) and the `emporium` command line."""
