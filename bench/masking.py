"""Throughput of masking personal data in public text.

Masks every sentence of the masking corpus (tests/privacy/corpus.jsonl) over
several rounds and prints sentences per second, next to a floor measured in
the same run: one plain ``re.sub`` of a single phone pattern over the same
sentences. The ratio says how many such substitutions one full masking costs.
Also prints the span-level precision and recall on the corpus.

Run with ``python bench/masking.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import machine_summary
from service.privacy import Kind, mask_personal_data
from tests.privacy.corpus import load, score

PLAIN_PATTERN = re.compile(r"0[0-9]{1,4}-[0-9]{1,4}-[0-9]{4}")


def best_rate(work, sentences: list[str], rounds: int) -> float:
    """Sentences per second of the fastest round, so a busy neighbour costs as little as possible."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for sentence in sentences:
            work(sentence)
        best = min(best, time.perf_counter() - started)
    return len(sentences) / best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    entries = load()
    sentences = [entry["text"] for entry in entries]
    print(machine_summary())
    print(f"corpus: {len(sentences)} sentences, {sum(map(len, sentences)):,} characters, best of {args.rounds} rounds")

    masking = best_rate(mask_personal_data, sentences, args.rounds)
    plain = best_rate(lambda s: PLAIN_PATTERN.sub("［電話番号］", s), sentences, args.rounds)
    print(f"mask_personal_data: {masking:12,.0f} sentences/s")
    print(f"plain re.sub:       {plain:12,.0f} sentences/s (one phone pattern)")
    print(f"ratio: masking takes {plain / masking:.1f}x the time of one re.sub")

    result = score(entries)
    for kind in [*Kind, None]:
        name = kind.value if kind else None
        print(f"{name or 'overall':>13}: precision {result.precision(name):.3f}, recall {result.recall(name):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
