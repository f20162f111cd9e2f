"""Landing zone -> warehouse schema `raw`: file-level validation, rejection and the raw load."""
