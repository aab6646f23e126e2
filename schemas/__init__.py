"""marshmallow schemas: every request and response body, and nothing else."""
