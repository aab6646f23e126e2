"""Administration of the municipality's setup: departments, categories, routing rules with explain, areas."""

from __future__ import annotations
