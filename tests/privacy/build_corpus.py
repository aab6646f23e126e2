"""Build corpus.jsonl from the hand-marked sentences in sentences.txt.

Run ``python tests/privacy/build_corpus.py`` after editing sentences.txt. Each
marked sentence gives one corpus entry with the spans its marks enclose; each
Japanese sentence with half-width letters or digits also gives a full-width
variant (the same marks, every ASCII letter, digit and symbol widened), the
way phones with a Japanese keyboard type them. The expected spans come only
from the marks, never from the masker.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).parent
KINDS = {"t": "phone", "e": "email", "n": "my_number", "p": "plate", "h": "house_number"}
MARK = re.compile(r"\{([tenph]):([^{}]+)\}")
# Printable ASCII other than the space maps one to one onto U+FF01..U+FF5E.
WIDEN = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}


def parse(line: str) -> tuple[str, list[dict[str, object]]]:
    """Strip the marks from ``line``; return the text and the spans they enclosed."""
    text: list[str] = []
    spans: list[dict[str, object]] = []
    position = 0
    length = 0
    for match in MARK.finditer(line):
        before = line[position : match.start()]
        text.append(before)
        length += len(before)
        inner = match.group(2)
        spans.append({"start": length, "end": length + len(inner), "kind": KINDS[match.group(1)]})
        text.append(inner)
        length += len(inner)
        position = match.end()
    text.append(line[position:])
    return "".join(text), spans


def widened(text: str) -> str:
    return text.translate(WIDEN)


def entries() -> list[dict[str, object]]:
    result: list[dict[str, object]] = []
    for line in (HERE / "sentences.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, spans = parse(line)
        result.append({"text": text, "spans": spans})
        is_japanese = not text.isascii()
        if is_japanese and re.search(r"[!-~]", text):
            # Widening keeps every character in place, so the spans still hold.
            result.append({"text": widened(text), "spans": spans, "variant": "full-width"})
    return result


def main() -> None:
    lines = [json.dumps(entry, ensure_ascii=False) for entry in entries()]
    (HERE / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} sentences written to {HERE / 'corpus.jsonl'}")


if __name__ == "__main__":
    main()
