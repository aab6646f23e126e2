"""The shapes of e-mail addresses, マイナンバー, licence plates and house numbers.

Every pattern runs over the normalised copy of a text (see ``matching_text``),
so it is written for half-width digits, letters and hyphens only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from service.privacy import my_number
from service.privacy.plate_regions import PLATE_REGIONS

EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![A-Za-z0-9\-])"
)

# Twelve digits, solid or in groups of four with the same separator twice.
_FOUR_DIGITS = re.compile(r"[0-9]{4}")
_MY_NUMBER = re.compile(r"(?<![0-9A-Za-z_\-.])[0-9]{4}([ -]?)[0-9]{4}\1[0-9]{4}(?![0-9A-Za-z_]|[-.][0-9])")


def find_my_numbers(text: str) -> Iterator[tuple[int, int]]:
    """Yield the spans of twelve-digit numbers whose check digit is right."""
    if not _FOUR_DIGITS.search(text):
        return
    for match in _MY_NUMBER.finditer(text):
        digits = match.group().replace(" ", "").replace("-", "")
        if my_number.is_valid(digits):
            yield match.span()


# The hiragana used on plates: all of the basic syllables except お, し, へ and ん.
_PLATE_KANA = "あいうえかきくけこさすせそたちつてとなにぬねのはひふほまみむめもやゆよらりるれろわを"
_REGIONS = "|".join(sorted(map(re.escape, PLATE_REGIONS), key=len, reverse=True))
# 一連番号: 12-34 for four digits, and dots for the leading blanks of shorter ones.
_SERIAL = r"(?:[0-9]{1,2}-[0-9]{2}|[0-9]{2} [0-9]{2}|[0-9]{4}|[・.]{1,3}[ ]?[0-9]{1,3})"
# A plate's かな stands before its 一連番号; one cheap search before the long list of regions.
PLATE_HINT = re.compile(r"[" + _PLATE_KANA + r"][ ]?[0-9・.]")
PLATE = re.compile(
    r"(?:" + _REGIONS + r")[ ]?[0-9][0-9A-Z]{0,2}[ ]?[" + _PLATE_KANA + r"][ ]?" + _SERIAL + r"(?![0-9])"
)

_NUMERAL = r"[0-9一二三四五六七八九十〇]+"
_NUMBER = r"[0-9]{1,4}"
# 2番8号, 12番地の3, 3番地, 5番地2号, and a room: 305号室.
_BANCHI = _NUMERAL + r"番(?:地(?:の?" + _NUMERAL + r"(?:号)?)?|" + _NUMERAL + r"号)(?:[ ]?" + _NUMBER + r"号室)?"
_HYPHENATED = _NUMBER + r"(?:-" + _NUMBER + r"){0,2}(?:[ ]?" + _NUMBER + r"号室)?"

# Right after 丁目 any figures are the 番地 and 号: 4丁目2-8, 4丁目2番8号, 5丁目1番.
_AFTER_CHOME = re.compile(
    r"(?<=丁目)[ ]?(" + _BANCHI + r"|" + _NUMERAL + r"番(?![0-9])|" + _HYPHENATED + r")(?![0-9]|-[0-9])"
)
# 番地 and 番…号 say what they are wherever they stand.
_BANCHI_ANYWHERE = re.compile(r"(?<![0-9一二三四五六七八九十〇])" + _BANCHI)
# 1-2-3 or 12-5 after a place name: 中央区1-2-3, 芝公園 4-2-8.
_HYPHENATED_AFTER_PLACE = re.compile(
    r"(?<![0-9\-.])" + _NUMBER + r"(?:-" + _NUMBER + r"){1,2}(?:[ ]?" + _NUMBER + r"号室)?(?![0-9]|-[0-9])"
)
# The same in romaji addresses, three groups before the town: 1-2-3 Shiba.
_HYPHENATED_ROMAJI = re.compile(r"(?<![0-9A-Za-z\-.])[0-9]{1,3}-[0-9]{1,3}-[0-9]{1,3}(?= [A-Z][a-z]+)")
# Every form above holds one of these; most texts hold none.
_HOUSE_NUMBER_HINT = re.compile(r"丁目|番|号室|[0-9]-[0-9]")
_ROOM = re.compile(r"(?<![0-9])" + _NUMBER + r"号室")

# Words after which a hyphenated figure is an identifier, not an address
# (電柱番号 12-345, 品番, 第3-2, 約2-3, 工区12-3), and units that make it a quantity, a date
# or a number of its own (2-3番出口, 1-10棟, 1-234号線).
_IDENTIFIER_ENDINGS = ("号", "柱", "電", "番", "第", "約", "計", "型", "品", "線", "便", "版", "区間", "工区", "区画", "地点", "No", "no", "#")
_IDENTIFIER_WORDS = ("番号", "電柱", "No", "ID")
_IDENTIFIER_REACH = 12
_PHRASE_BREAK = re.compile(r"[。、，,「」()!?]")
# A date such as 2024-03-12 stays, whatever stands before it.
_DATE = re.compile(r"(?:19|20)[0-9]{2}-[0-9]{1,2}(?:-[0-9]{1,2})?")
_UNITS = (*"日月年円時分秒人件個本回台枚歳階度倍週ヶか番号棟", "km", "m", "%", "cm", "kg", "mm")


def _is_ideograph_or_katakana(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or char in "々ヶケ" or "\u30a1" <= char <= "\u30fa"


def _after_place_name(text: str, start: int, end: int) -> bool:
    if _DATE.fullmatch(text, start, end):
        return False
    # Bounded slices keep a text with thousands of figures linear.
    before = text[max(0, start - _IDENTIFIER_REACH - 4) : start].rstrip(" ")
    if not before or not _is_ideograph_or_katakana(before[-1]) or before.endswith(_IDENTIFIER_ENDINGS):
        return False
    # 電柱番号 東京 12-345-6: a word for an identifier a little before the figure, in the same phrase.
    phrase = _PHRASE_BREAK.split(before[-_IDENTIFIER_REACH:])[-1]
    if any(word in phrase for word in _IDENTIFIER_WORDS):
        return False
    return not text[end : end + 4].lstrip(" ").startswith(_UNITS)


def find_house_numbers(text: str) -> Iterator[tuple[int, int]]:
    """Yield the spans of 番地, 号 and room numbers; spans may overlap."""
    if not _HOUSE_NUMBER_HINT.search(text):
        return
    for match in _AFTER_CHOME.finditer(text):
        if not text[match.end() : match.end() + 2].startswith(_UNITS):
            yield match.span(1)
    for match in _BANCHI_ANYWHERE.finditer(text):
        yield match.span()
    for match in _HYPHENATED_AFTER_PLACE.finditer(text):
        if _after_place_name(text, *match.span()):
            yield match.span()
    for match in _HYPHENATED_ROMAJI.finditer(text):
        yield match.span()
    for match in _ROOM.finditer(text):
        yield match.span()
