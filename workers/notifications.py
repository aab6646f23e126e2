"""Tasks that deliver outbox events to subscribers."""
