"""Photo storage behind one interface: a local directory or S3-compatible objects."""
