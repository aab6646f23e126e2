"""The corpus is the spec: span-level precision and recall per kind and overall."""

import pytest

from service.privacy import Kind, mask_personal_data
from service.privacy.masking import PLACEHOLDERS
from tests.privacy import build_corpus
from tests.privacy.corpus import load, score

REQUIRED = 0.97


@pytest.fixture(scope="module")
def corpus():
    return load()


def test_committed_corpus_is_built_from_the_marked_sentences(corpus):
    assert corpus == build_corpus.entries()


def test_corpus_holds_enough_sentences_of_every_kind_and_near_misses(corpus):
    assert len(corpus) >= 500
    assert sum(1 for entry in corpus if entry.get("variant") != "full-width") >= 500
    assert sum(1 for entry in corpus if entry.get("variant") == "full-width") >= 100
    assert sum(1 for entry in corpus if not entry["spans"]) >= 100
    kinds = [span["kind"] for entry in corpus for span in entry["spans"]]
    for kind in Kind:
        assert kinds.count(kind.value) >= 20, kind


@pytest.mark.parametrize("kind", [*Kind, None], ids=[*(k.value for k in Kind), "overall"])
def test_precision_and_recall_on_the_corpus(corpus, kind):
    result = score(corpus)
    kind_name = kind.value if kind else None
    misses = [miss for miss in result.misses if kind is None or miss[1] == kind_name]
    assert result.precision(kind_name) >= REQUIRED, misses
    assert result.recall(kind_name) >= REQUIRED, misses


def test_masking_changes_only_the_spans_it_reports(corpus):
    for entry in corpus:
        text = entry["text"]
        result = mask_personal_data(text)
        rebuilt = []
        position = 0
        for finding in result.findings:
            assert position <= finding.start < finding.end <= len(text)
            rebuilt.append(text[position : finding.start])
            rebuilt.append(PLACEHOLDERS[finding.kind])
            position = finding.end
        rebuilt.append(text[position:])
        assert result.text == "".join(rebuilt), text
        if not result.findings:
            assert result.text is text


def test_masking_masked_text_changes_nothing(corpus):
    for entry in corpus:
        once = mask_personal_data(entry["text"]).text
        twice = mask_personal_data(once)
        assert twice.text == once
        assert twice.findings == ()
