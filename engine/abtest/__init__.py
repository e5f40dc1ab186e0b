"""A/B analysis over SMS send events in DuckDB."""
