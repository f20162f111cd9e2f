"""Data quality: landing-file validation, Great Expectations gates between layers, row accounting."""
