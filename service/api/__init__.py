"""The HTTP layer: thin handlers that parse with a schema, call the domain and
serialise with a schema."""
