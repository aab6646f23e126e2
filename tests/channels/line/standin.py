"""A stand-in for the LINE platform on 127.0.0.1, built from LINE's Messaging API reference.

It plays both of LINE's parts: it signs webhook events and posts them to
Machikoe as LINE does (`X-Line-Signature`, the base64 HMAC-SHA256 of the raw
body with the channel secret), and it answers the Messaging API (reply,
push, bot info) and the content API (message content), recording every call
with its body. Every event it sends and every body it receives is checked
against the official SDK's models, so a shape LINE would not send or accept
fails the test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from linebot.v3.messaging import BotInfoResponse, PushMessageRequest, ReplyMessageRequest, UserProfileResponse
from linebot.v3.webhooks import Event
from werkzeug import Request, Response
from werkzeug.serving import WSGIRequestHandler, make_server


class _Quiet(WSGIRequestHandler):
    """LINE's own request lines (which carry user ids in profile paths) are not Machikoe's log."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class Channel:
    code: str
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    token: str = field(default_factory=lambda: secrets.token_urlsafe(40))


@dataclass
class Call:
    kind: str  # "reply" or "push"
    channel: str
    body: dict[str, Any]

    @property
    def texts(self) -> list[str]:
        return [m.get("text") or m.get("altText") or "" for m in self.body["messages"]]


def new_user_id() -> str:
    return "U" + secrets.token_hex(16)


class LinePlatform:
    def __init__(self, webhook_base: str) -> None:
        self.webhook_base = webhook_base.rstrip("/")
        self.channels: dict[str, Channel] = {}
        self.contents: dict[str, bytes] = {}
        self.content_failures: dict[str, list[int]] = {}
        self.calls: list[Call] = []
        self.languages: dict[str, str] = {}
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def channel(self, code: str) -> Channel:
        self.channels[code] = Channel(code)
        return self.channels[code]

    # --- LINE → Machikoe ---------------------------------------------------

    def send(self, code: str, *events: dict[str, Any], secret: str | None = None, signature: str | None = None) -> requests.Response:
        for event in events:
            Event.from_dict(event)  # the SDK must read what LINE would send
        body = json.dumps({"destination": "U" + "0" * 32, "events": list(events)}, ensure_ascii=False).encode()
        key = (secret or self.channels[code].secret).encode()
        if signature is None:
            signature = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
        return requests.post(f"{self.webhook_base}/channels/line/{code}/webhook", data=body, timeout=5,
                             headers={"Content-Type": "application/json", "X-Line-Signature": signature,
                                      "User-Agent": "LineBotWebhook/2.0"})

    # --- Machikoe → LINE ---------------------------------------------------

    def replies_to(self, code: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.channel == code and c.kind == "reply"]

    def pushes_to(self, code: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.channel == code and c.kind == "push"]

    def wait_for_replies(self, code: str, count: int, timeout: float = 15.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = self.replies_to(code)
            if len(replies) >= count:
                return replies
            time.sleep(0.05)
        raise AssertionError(f"expected {count} replies on {code}, got {[c.texts for c in self.replies_to(code)]}")

    def _channel_by_token(self, request: Request) -> Channel | None:
        header = request.headers.get("Authorization", "")
        return next((c for c in self.channels.values() if header == f"Bearer {c.token}"), None)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        request = Request(environ)
        response = self._answer(request)
        return response(environ, start_response)

    def _answer(self, request: Request) -> Response:
        channel = self._channel_by_token(request)
        if channel is None:
            return _json({"message": "Authentication failed. Confirm that the access token in the authorization header is valid."}, 401)
        path = request.path
        if request.method == "POST" and path in ("/v2/bot/message/reply", "/v2/bot/message/push"):
            kind = "reply" if path.endswith("reply") else "push"
            model = ReplyMessageRequest if kind == "reply" else PushMessageRequest
            body = json.loads(request.get_data())
            model.from_dict(body)  # refuses what LINE would refuse in shape
            if len(body.get("messages", [])) > 5:
                return _json({"message": "The request body has 1 error(s)", "details": [{"message": "Size must be between 1 and 5"}]}, 400)
            with self._lock:
                self.calls.append(Call(kind, channel.code, body))
            return _json({"sentMessages": [{"id": str(time.time_ns()), "quoteToken": secrets.token_urlsafe(8)}]})
        if request.method == "GET" and path.startswith("/v2/bot/profile/"):
            user_id = path.rsplit("/", 1)[1]
            profile = {"displayName": "住民", "userId": user_id}
            if user_id in self.languages:
                profile["language"] = self.languages[user_id]
            UserProfileResponse.from_dict(profile)
            return _json(profile)
        if request.method == "GET" and path == "/v2/bot/info":
            info = {"userId": "U" + "1" * 32, "basicId": f"@{channel.code}", "displayName": f"まちの声 {channel.code}",
                    "chatMode": "bot", "markAsReadMode": "auto"}
            BotInfoResponse.from_dict(info)
            return _json(info)
        if request.method == "GET" and path.startswith("/v2/bot/message/") and path.endswith("/content"):
            message_id = path.split("/")[4]
            failures = self.content_failures.get(message_id)
            if failures:
                return _json({"message": "Internal server error"}, failures.pop(0))
            if message_id not in self.contents:
                return _json({"message": "Not found"}, 404)
            return Response(self.contents[message_id], content_type="image/jpeg")
        return _json({"message": "Not found"}, 404)


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")


# --- Webhook events as LINE documents them -----------------------------------

def _event(kind: str, user_id: str, *, redelivery: bool = False, event_id: str | None = None, reply: bool = True,
           **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind, "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id or ("01" + secrets.token_hex(12).upper()),
        "deliveryContext": {"isRedelivery": redelivery},
        **extra,
    }
    if reply:
        event["replyToken"] = secrets.token_hex(16)
    return event


def image(user_id: str, message_id: str, *, provider: str = "line", **kw: Any) -> dict[str, Any]:
    content: dict[str, Any] = {"type": provider}
    if provider == "external":
        content["originalContentUrl"] = "https://example.com/photo.jpg"
    return _event("message", user_id, message={"id": message_id, "type": "image", "quoteToken": secrets.token_urlsafe(8),
                                               "contentProvider": content}, **kw)


def text(user_id: str, body: str, **kw: Any) -> dict[str, Any]:
    return _event("message", user_id, message={"id": str(time.time_ns()), "type": "text", "quoteToken": secrets.token_urlsafe(8),
                                               "text": body}, **kw)


def location(user_id: str, lat: float, lon: float, address: str | None = None, **kw: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"id": str(time.time_ns()), "type": "location", "latitude": lat, "longitude": lon}
    if address:
        message["address"] = address
    return _event("message", user_id, message=message, **kw)


def postback(user_id: str, data: str, **kw: Any) -> dict[str, Any]:
    return _event("postback", user_id, postback={"data": data}, **kw)


def follow(user_id: str, **kw: Any) -> dict[str, Any]:
    return _event("follow", user_id, follow={"isUnblocked": False}, **kw)


def unfollow(user_id: str, **kw: Any) -> dict[str, Any]:
    return _event("unfollow", user_id, reply=False, **kw)
