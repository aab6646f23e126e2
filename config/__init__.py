"""Settings, the default category catalogue and the demo data."""
