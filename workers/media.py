"""Tasks that fetch photos given by URL."""
