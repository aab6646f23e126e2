"""LINE's Messaging API as Machikoe uses it: reply, push, message content, bot info.

Built on the official line-bot-sdk (v3). The base URLs are settings, so
staging and tests point them at a stand-in. Errors come out as
:class:`LineApiError`, with ``temporary`` telling a retry from a refusal.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

import urllib3

TIMEOUT_SECONDS = 5.0
T = TypeVar("T")


class LineApiError(Exception):
    def __init__(self, message: str, status: int | None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def temporary(self) -> bool:
        """A 5xx, a 429 or no answer at all: worth another try later."""
        return self.status is None or self.status >= 500 or self.status == 429


@dataclass(frozen=True)
class LineEndpoints:
    api_base_url: str
    data_api_base_url: str


@functools.cache
def _sdk() -> ModuleType:
    """The SDK's messaging package, imported when a process first speaks to LINE: it takes about two seconds,
    which every command, web and worker process would otherwise pay at start."""
    from linebot.v3 import messaging

    return messaging


class LineClient:
    """One channel's access to LINE, by its access token."""

    def __init__(self, endpoints: LineEndpoints, access_token: str) -> None:
        sdk = _sdk()
        self._api = sdk.ApiClient(sdk.Configuration(host=endpoints.api_base_url.rstrip("/"), access_token=access_token))
        self._data = sdk.ApiClient(sdk.Configuration(host=endpoints.data_api_base_url.rstrip("/"), access_token=access_token))

    def close(self) -> None:
        self._api.close()
        self._data.close()

    def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> None:
        request = _sdk().ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": messages[:5]})
        self._call(lambda: _sdk().MessagingApi(self._api).reply_message(request, _request_timeout=TIMEOUT_SECONDS))

    def push(self, user_id: str, messages: list[dict[str, Any]], retry_key: str | None = None) -> None:
        request = _sdk().PushMessageRequest.from_dict({"to": user_id, "messages": messages[:5]})
        self._call(lambda: _sdk().MessagingApi(self._api).push_message(request, x_line_retry_key=retry_key,
                                                                _request_timeout=TIMEOUT_SECONDS))

    def content(self, message_id: str) -> bytes:
        return bytes(self._call(lambda: _sdk().MessagingApiBlob(self._data).get_message_content(message_id,
                                                                                         _request_timeout=TIMEOUT_SECONDS)))

    def language(self, user_id: str) -> str | None:
        """The user's language from their profile (a BCP 47 tag), or None before they consented to share it."""
        profile = self._call(lambda: _sdk().MessagingApi(self._api).get_profile(user_id, _request_timeout=TIMEOUT_SECONDS))
        return profile.language

    def bot_info(self) -> dict[str, Any]:
        info = self._call(lambda: _sdk().MessagingApi(self._api).get_bot_info(_request_timeout=TIMEOUT_SECONDS))
        return {"basic_id": info.basic_id, "display_name": info.display_name}

    @staticmethod
    def _call(action: Callable[[], T]) -> T:
        try:
            return action()
        except _sdk().ApiException as exc:
            raise LineApiError(f"LINE answered {exc.status}", exc.status) from None
        except (OSError, urllib3.exceptions.HTTPError) as exc:
            raise LineApiError(f"LINE could not be reached ({type(exc).__name__})", None) from None
