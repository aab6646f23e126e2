"""Channels: conversations that turn into the same domain calls as the resident API."""
