"""The place names (地名) printed on Japanese licence plates.

One name per 運輸支局 or 自動車検査登録事務所, plus the ご当地ナンバー introduced in
2006, 2014 and 2020, grouped by prefecture as 国土交通省 lists them. A name
added later belongs in this tuple; the plate pattern is built from it.

Checked against the CC0 list of kyto64/number-plate-japan.csv (commit
a1ac2643, its CSV last changed 2025-08-19), which is taken from Wikipedia's
日本のナンバープレート一覧 and kept in tests/data/plate_regions with its source:
each of its 133 names, ご当地ナンバー included, is here, and
tests/privacy/test_plate_regions.py checks that each is masked. Five names
here are on neither that list nor the copy of the article that repository
keeps (docs/wiki_html_example, 2025-08-19): 上尾, 天草, 安曇野, 府中 and 日野; they stay, as a name too many
only masks a plate-shaped string, but no source confirms them. 袖ケ浦 is the
city's spelling of the office's 袖ヶ浦.
"""

from __future__ import annotations

PLATE_REGIONS: tuple[str, ...] = (
    # 北海道
    "札幌", "函館", "旭川", "室蘭", "苫小牧", "釧路", "知床", "帯広", "北見",
    # 東北
    "青森", "八戸", "弘前", "岩手", "盛岡", "平泉", "宮城", "仙台", "秋田", "山形", "庄内",
    "福島", "会津", "郡山", "白河", "いわき",
    # 関東
    "水戸", "土浦", "つくば", "宇都宮", "那須", "とちぎ", "群馬", "前橋", "高崎",
    "大宮", "川口", "所沢", "川越", "熊谷", "春日部", "越谷", "上尾",
    "千葉", "成田", "習志野", "市川", "船橋", "袖ケ浦", "袖ヶ浦", "市原", "野田", "柏", "松戸",
    "品川", "世田谷", "練馬", "杉並", "板橋", "足立", "江東", "葛飾", "八王子", "多摩", "府中", "日野",
    "横浜", "川崎", "湘南", "相模", "山梨", "富士山",
    # 北陸信越
    "新潟", "長岡", "上越", "長野", "松本", "諏訪", "安曇野", "富山", "石川", "金沢", "福井",
    # 中部
    "岐阜", "飛騨", "静岡", "浜松", "沼津", "伊豆", "名古屋", "豊橋", "三河", "岡崎", "豊田",
    "尾張小牧", "一宮", "春日井", "三重", "鈴鹿", "伊勢志摩", "四日市",
    # 近畿
    "滋賀", "京都", "大阪", "なにわ", "和泉", "堺", "神戸", "姫路", "奈良", "飛鳥", "和歌山",
    # 中国
    "鳥取", "島根", "出雲", "岡山", "倉敷", "広島", "福山", "山口", "下関",
    # 四国
    "徳島", "香川", "高松", "愛媛", "高知",
    # 九州・沖縄
    "福岡", "北九州", "久留米", "筑豊", "佐賀", "長崎", "佐世保", "熊本", "天草", "大分",
    "宮崎", "鹿児島", "奄美", "沖縄",
)
