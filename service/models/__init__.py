"""Database models; importing this package registers every table."""

from service.models.assignment import Assignment
from service.models.audit import AuditEntry
from service.models.category import Category
from service.models.client import ApiClient, RemoteMedia
from service.models.duplicate import DuplicateCandidate
from service.models.follower import Follower
from service.models.jurisdiction import Area, Department, Jurisdiction, RoutingRule
from service.models.line import LineChannel, LineEvent, LineReport, LineUser
from service.models.notification import SUBSCRIBER_KINDS, Delivery, Subscriber
from service.models.outbox import OutboxEvent
from service.models.photo import Photo, PhotoRegion
from service.models.rating import Rating
from service.models.report import HistoryEntry, Report
from service.models.response_template import ResponseTemplate
from service.models.staff import ROLES, Staff
from service.models.web_session import WebSession

__all__ = [
    "ROLES",
    "SUBSCRIBER_KINDS",
    "ApiClient",
    "Area",
    "Assignment",
    "AuditEntry",
    "Category",
    "Delivery",
    "Department",
    "DuplicateCandidate",
    "Follower",
    "HistoryEntry",
    "Jurisdiction",
    "LineChannel",
    "LineEvent",
    "LineReport",
    "LineUser",
    "OutboxEvent",
    "Photo",
    "PhotoRegion",
    "Rating",
    "RemoteMedia",
    "Report",
    "ResponseTemplate",
    "RoutingRule",
    "Staff",
    "Subscriber",
    "WebSession",
]
