"""The masking corpus and its span-level score."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from service.privacy import mask_personal_data

CORPUS = Path(__file__).parent / "corpus.jsonl"


def load() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]


@dataclass
class Score:
    true_positives: Counter
    false_positives: Counter
    false_negatives: Counter
    misses: list[tuple[str, str, str]]

    def precision(self, kind: str | None = None) -> float:
        tp, fp = self._count(self.true_positives, kind), self._count(self.false_positives, kind)
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, kind: str | None = None) -> float:
        tp, fn = self._count(self.true_positives, kind), self._count(self.false_negatives, kind)
        return tp / (tp + fn) if tp + fn else 1.0

    @staticmethod
    def _count(counter: Counter, kind: str | None) -> int:
        return counter[kind] if kind else sum(counter.values())


def score(entries: list[dict]) -> Score:
    """Compare found spans with expected spans; a span counts only if start, end and kind all agree."""
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    misses: list[tuple[str, str, str]] = []
    for entry in entries:
        text = entry["text"]
        expected = {(s["start"], s["end"], s["kind"]) for s in entry["spans"]}
        found = {(f.start, f.end, f.kind.value) for f in mask_personal_data(text).findings}
        for _, _, kind in found & expected:
            tp[kind] += 1
        for start, end, kind in found - expected:
            fp[kind] += 1
            misses.append(("false positive", kind, f"{text[start:end]!r} in {text!r}"))
        for start, end, kind in expected - found:
            fn[kind] += 1
            misses.append(("missed", kind, f"{text[start:end]!r} in {text!r}"))
    return Score(tp, fp, fn, misses)
