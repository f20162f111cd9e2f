"""Machine learning and causal inference (a domain package: imports only the base, `emporium`)."""
