"""The messages Machikoe sends in a LINE chat, as Messaging API JSON.

Japanese first, English where the resident's LINE speaks it. Quick replies
hold at most 13 items, so a longer category list becomes a flex carousel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from service.channels.line.postbacks import ANSWER, CATEGORY, FIXED, RATE, RESTART, START, SUBMIT, USE_PHOTO_LOCATION

if TYPE_CHECKING:
    from service.channels.line.conversation import Choice, State

MAX_DESCRIPTION = 2000
MAX_ANSWER = 200
QUICK_REPLY_LIMIT = 13
BUTTONS_PER_BUBBLE = 5

TEXTS: dict[str, dict[str, str]] = {
    "welcome": {"ja": "まちの困りごとを通報できます。写真を送るか、「通報」と送ってください。",
                "en": "You can report a problem in town. Send a photo, or send \"report\"."},
    "ask_location": {"ja": "場所を教えてください。位置情報を送るか、住所を入力してください。",
                     "en": "Where is it? Send a location, or type the address."},
    "photo_location": {"ja": "写真の位置を使う", "en": "Use the photo's position"},
    "send_location": {"ja": "位置情報を送る", "en": "Send a location"},
    "restart": {"ja": "やり直す", "en": "Start over"},
    "restarted": {"ja": "最初からやり直します。写真を送るか、「通報」と送ってください。",
                  "en": "Starting over. Send a photo, or send \"report\"."},
    "address_not_found": {"ja": "その住所の場所が見つかりませんでした。位置情報を送るか、別の書き方で入力してください。",
                          "en": "That address could not be found. Send a location, or type it another way."},
    "outside": {"ja": "この場所は受付対象の区域外です。お手数ですが、該当する自治体へ直接ご連絡ください。別の場所を送ることもできます。",
                "en": "This place is outside the area served. Please contact that municipality directly, or send another place."},
    "no_categories": {"ja": "この場所で受け付けている種類がありません。", "en": "No kind of report is taken at this place."},
    "ask_category": {"ja": "どのような困りごとですか。", "en": "What kind of problem is it?"},
    "ask_description": {"ja": "状況をひとことで入力してください。", "en": "Describe it in a line or two."},
    "too_long": {"ja": "長すぎます。2000文字以内で入力してください。", "en": "Too long: at most 2000 characters."},
    "too_many_photos": {"ja": "写真は5枚までです。", "en": "At most 5 photos."},
    "photo_missing": {"ja": "写真を受け取れませんでした（{reason}）。もう一度送るか、写真なしで続けてください。",
                      "en": "The photo could not be received ({reason}). Send it again, or go on without it."},
    "summary": {"ja": "この内容で送信しますか。\n種類: {category}\n場所: {place}\n写真: {photos}枚\n内容: {description}",
                "en": "Send this report?\nKind: {category}\nPlace: {place}\nPhotos: {photos}\nDescription: {description}"},
    "submit": {"ja": "送信", "en": "Send"},
    "received": {"ja": "受付しました（受付番号 {id}）。状況はこちらで確認できます。\n{url}",
                 "en": "Received (number {id}). Follow its status here:\n{url}"},
    "refused": {"ja": "送信できませんでした: {reason}", "en": "The report could not be sent: {reason}"},
    "expired": {"ja": "時間がたったため、前の入力は取り消しました。", "en": "Time ran out, so the earlier answers were dropped."},
    "status": {"ja": "通報 {id} の状況: {status}", "en": "Report {id}: {status}"},
    "reply": {"ja": "担当課より: {reply}", "en": "From the department: {reply}"},
    "rate": {"ja": "対応はいかがでしたか。5段階で評価してください。", "en": "How was it handled? Rate it from 1 to 5."},
    "ask_fixed": {"ja": "直りましたか。", "en": "Is it fixed?"},
    "yes": {"ja": "はい", "en": "Yes"},
    "no": {"ja": "いいえ", "en": "No"},
    "ask_comment": {"ja": "ひとことあればお送りください（なければ「なし」）。", "en": "Any comment? (or \"none\")"},
    "thanks": {"ja": "評価ありがとうございました。", "en": "Thank you for your rating."},
    "reopened": {"ja": "評価ありがとうございました。直っていないため、担当課が再度確認します。",
                 "en": "Thank you. As it is not fixed, the department will look again."},
}


def text_for(name: str, language: str, **values: object) -> str:
    texts = TEXTS[name]
    return texts.get(language, texts["ja"]).format(**values)


def _text(body: str, quick: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "text", "text": body[:5000]}
    if quick:
        message["quickReply"] = {"items": quick[:QUICK_REPLY_LIMIT]}
    return message


def _postback(label: str, data: str, display: str | None = None) -> dict[str, Any]:
    action = {"type": "postback", "label": label[:20], "data": data}
    if display:
        action["displayText"] = display[:300]
    return {"type": "action", "action": action}


def _restart(language: str) -> dict[str, Any]:

    label = text_for("restart", language)
    return _postback(label, RESTART, label)


def welcome(language: str) -> dict[str, Any]:

    return _text(text_for("welcome", language), [_postback("通報" if language == "ja" else "Report", START, "通報")])


def restarted(language: str) -> dict[str, Any]:
    return _text(text_for("restarted", language))


def expired(language: str) -> dict[str, Any]:
    return _text(text_for("expired", language))


def ask_location(language: str, *, photo_gps: bool) -> dict[str, Any]:

    items = [{"type": "action", "action": {"type": "location", "label": text_for("send_location", language)[:20]}}]
    if photo_gps:
        items.insert(0, _postback(text_for("photo_location", language), USE_PHOTO_LOCATION, text_for("photo_location", language)))
    return _text(text_for("ask_location", language), [*items, _restart(language)])


def address_not_found(language: str) -> dict[str, Any]:
    return _text(text_for("address_not_found", language), [_restart(language)])


def outside(language: str) -> dict[str, Any]:
    return _text(text_for("outside", language), [_restart(language)])


def no_categories(language: str) -> dict[str, Any]:
    return _text(text_for("no_categories", language), [_restart(language)])


def too_long(language: str) -> dict[str, Any]:
    return _text(text_for("too_long", language))


def too_many_photos(language: str) -> dict[str, Any]:
    return _text(text_for("too_many_photos", language))


def photo_missing(reason: str, language: str) -> dict[str, Any]:
    return _text(text_for("photo_missing", language, reason=reason))


def notice(body: str) -> dict[str, Any]:
    return _text(body)


def ask_category(choices: Sequence[Choice], language: str) -> dict[str, Any]:
    """Quick replies for up to 13 categories; a flex carousel of button bubbles beyond that."""
    question = text_for("ask_category", language)
    if len(choices) < QUICK_REPLY_LIMIT:
        return _text(question, [*(_postback(c.name, CATEGORY + c.code, c.name) for c in choices), _restart(language)])
    bubbles = []
    for start in range(0, len(choices), BUTTONS_PER_BUBBLE):
        buttons = [{"type": "button", "style": "secondary", "height": "sm",
                    "action": {"type": "postback", "label": c.name[:40], "data": CATEGORY + c.code, "displayText": c.name}}
                   for c in choices[start:start + BUTTONS_PER_BUBBLE]]
        bubbles.append({"type": "bubble", "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons}})
    return {"type": "flex", "altText": question, "contents": {"type": "carousel", "contents": bubbles[:12]}}


def ask_question(question: dict[str, Any], language: str) -> dict[str, Any]:
    label = question.get(f"description_{language}") or question.get("description_ja") or question.get("description") or question["code"]
    values = question.get("values", [])
    quick = [_postback(str(v.get(f"name_{language}") or v.get("name_ja") or v.get("name") or v["key"]), ANSWER + str(v["key"]),
                       str(v.get("name_ja") or v.get("name") or v["key"])) for v in values]
    return _text(str(label), [*quick, _restart(language)] if quick else [_restart(language)])


def ask_description(language: str) -> dict[str, Any]:
    return _text(text_for("ask_description", language), [_restart(language)])


def summary(state: State, language: str) -> dict[str, Any]:

    place = state.address or f"{state.lat:.5f}, {state.lon:.5f}"
    body = text_for("summary", language, category=state.category_name, place=place, photos=len(state.photos),
                    description=state.description)
    return {
        "type": "template", "altText": body[:400],
        "template": {"type": "confirm", "text": body[:240],
                     "actions": [{"type": "postback", "label": text_for("submit", language), "data": SUBMIT,
                                  "displayText": text_for("submit", language)},
                                 {"type": "postback", "label": text_for("restart", language), "data": RESTART,
                                  "displayText": text_for("restart", language)}]},
    }


def received(public_id: str, url: str, language: str) -> dict[str, Any]:
    return _text(text_for("received", language, id=public_id, url=url))


def refused(reason: str, language: str) -> dict[str, Any]:
    return _text(text_for("refused", language, reason=reason), [_restart(language)])


def plain(body: str) -> dict[str, Any]:
    return _text(body)


def rating_invitation(public_id: str, language: str) -> dict[str, Any]:
    """Five buttons, 1 to 5; the postback carries the report and the score."""
    return _text(text_for("rate", language), [_postback(f"{score}", f"{RATE}{public_id}:{score}", "★" * score) for score in range(1, 6)])


def ask_fixed(public_id: str, score: int, language: str) -> dict[str, Any]:
    return _text(text_for("ask_fixed", language), [
        _postback(text_for("yes", language), f"{FIXED}{public_id}:{score}:yes", text_for("yes", language)),
        _postback(text_for("no", language), f"{FIXED}{public_id}:{score}:no", text_for("no", language)),
    ])


def ask_comment(language: str) -> dict[str, Any]:
    return _text(text_for("ask_comment", language))


def rated(fixed: bool, language: str) -> dict[str, Any]:
    return _text(text_for("thanks" if fixed else "reopened", language))
