"""Every plate place name (地名) of a published list is masked in a plate string."""

import csv
from pathlib import Path

import pytest

from service.privacy import Kind, mask_personal_data
from service.privacy.plate_regions import PLATE_REGIONS

# CC0, built from Wikipedia's 日本のナンバープレート一覧; see tests/data/plate_regions/SOURCE.md.
PUBLISHED = Path(__file__).resolve().parent.parent / "data" / "plate_regions" / "number_plate_japan.csv"


def published_names() -> list[str]:
    with PUBLISHED.open(encoding="utf-8", newline="") as rows:
        return sorted({row["地名"] for row in csv.DictReader(rows)})


def test_the_published_list_is_read_whole():
    names = published_names()
    # 133 distinct names in 138 rows at the commit recorded in SOURCE.md.
    assert len(names) == 133
    assert {"品川", "なにわ", "知床", "富士山", "袖ヶ浦", "いわき"} <= set(names)


@pytest.mark.parametrize("name", published_names())
def test_each_published_place_name_is_masked_in_a_plate(name):
    assert name in PLATE_REGIONS
    masked = mask_personal_data(f"{name} 500 さ 12-34の車が止まっています")
    assert masked.text == "［ナンバー］の車が止まっています"
    assert [finding.kind for finding in masked.findings] == [Kind.PLATE]
