"""Administration of who and what may reach Machikoe: staff accounts and keys, API clients, subscribers, deliveries, the audit log."""

from __future__ import annotations
