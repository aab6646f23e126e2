"""LINE: a resident reports through a jurisdiction's LINE official account.

The webhook stores each signed event and answers at once; a job replays the
event through the conversation (a small state machine per LINE user and
jurisdiction), which ends in the same intake call as ``POST /api/v1/reports``.
A LINE user id is private data, like a device id: it stays in these tables.
"""
