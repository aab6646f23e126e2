"""Each form of personal data, as a reader of the public text would see it masked."""

import pytest

from service.privacy import Finding, Kind, mask_personal_data

# What the public reads: e-mail addresses, マイナンバー with a right check digit
# (and only those), house numbers below the 町丁目, which stays, and phone
# numbers after TEL, ℡ or a slash.
MASKED = [
    ("返信はtaro.yamada@example.jpまで", "返信は［メールアドレス］まで"),
    ("写真はｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐに送りました", "写真は［メールアドレス］に送りました"),
    ("Mail jane_doe99@example.co.uk.", "Mail ［メールアドレス］."),
    ("マイナンバーは123456789018です", "マイナンバーは［個人番号］です"),
    ("個人番号 5260 1815 9084", "個人番号 ［個人番号］"),
    ("番号3016-6131-8600", "番号［個人番号］"),
    ("９１３９０９９６０３００を拾った", "［個人番号］を拾った"),
    ("注文番号 526018159087 の件", "注文番号 526018159087 の件"),  # wrong check digit
    ("5260 1815-9084", "5260 1815-9084"),  # mixed separators are no card's layout
    ("港区芝公園4丁目2-8", "港区芝公園4丁目［番地］"),
    ("港区芝公園４丁目２番８号の前", "港区芝公園４丁目［番地］の前"),
    ("中央区1-2-3", "中央区［番地］"),
    ("芝３番５号", "芝［番地］"),
    ("12番地の3の空き地", "［番地］の空き地"),
    ("西町1209番地", "西町［番地］"),
    ("北8条西5丁目1番の前", "北8条西5丁目［番地］の前"),
    ("吉祥寺本町1丁目二番三号", "吉祥寺本町1丁目［番地］"),
    ("コーポ中目黒201号室", "コーポ中目黒［番地］"),
    ("I live at 1-2-3 Shiba, Minato-ku.", "I live at ［番地］ Shiba, Minato-ku."),
    ("港区芝公園四丁目二番八号", "港区芝公園四丁目［番地］"),
    ("TEL.03-1234-5678", "TEL.［電話番号］"),
    ("℡090-1234-5678", "℡［電話番号］"),
    ("090-1234-5678/080-1111-2222", "［電話番号］/［電話番号］"),
]


@pytest.mark.parametrize(("text", "masked"), MASKED)
def test_personal_data_is_masked_where_it_stands(text, masked):
    assert mask_personal_data(text).text == masked


@pytest.mark.parametrize(
    "number",
    [
        "090-1234-5678",
        "03-1234-5678",
        "(03)1234-5678",
        "03（1234）5678",
        "+81 90 1234 5678",
        "+81-3-1234-5678",
        "+81 (0)3 1234 5678",
        "0120-123-456",
        "0570-000-123",
        "0800-123-4567",
        "050-3456-7890",
        "０９０－１２３４－５６７８",
        "090 1234 5678",
        "090.1234.5678",
        "090ー1234ー5678",
        "０８０ー２２２２ー３３３３",
        "09012345678",
        "0312345678",
        "0466-12-3456",
        "03-12345678",
    ],
)
def test_phone_numbers_are_masked_in_every_form(number):
    assert mask_personal_data(f"連絡は{number}まで").text == "連絡は［電話番号］まで"


@pytest.mark.parametrize(
    "text",
    [
        "ロット番号 0123-4567-89 の看板",  # four, four and two digits is no phone number
        "案内板の番号は090-12です",
        "〒105-0011",
        "〒060-0001の近く",
        "2024-03-12の朝",
        "0901234567",  # ten digits cannot be a mobile number
        "0012345678",
        "R-0901234567の報告",
        "r_0312345678の件",
    ],
)
def test_numbers_that_are_no_phone_numbers_stay(text):
    assert mask_personal_data(text).text == text


@pytest.mark.parametrize(
    "plate",
    [
        "品川 500 さ 12-34",
        "品川500さ1234",
        "練馬 300 あ ・・・1",
        "千葉 500 な ・123",
        "習志野 300 に 45-67",
        "なにわ 330 ち 12-00",
        "尾張小牧 580 あ 1-23",
        "品川５００さ１２－３４",
        "練馬３００あ・・・１",
        "品川 300 さ 12ー34",
        "袖ケ浦 300 こ 56-56",
        "富士山 300 も 10-10",
    ],
)
def test_licence_plates_are_masked(plate):
    assert mask_personal_data(f"{plate}の車が止まっています").text == "［ナンバー］の車が止まっています"


@pytest.mark.parametrize(
    "text",
    [
        "品川 500 お 12-34",  # お is never used on plates
        "品川 500 ん 12-34",
        "練馬区役所の前にある300台収容の駐輪場",
        "品川 500 の看板",
        "渋谷 500 さ 12-34",  # 渋谷 is no plate region
    ],
)
def test_strings_that_are_no_plates_stay(text):
    assert Kind.PLATE not in mask_personal_data(text).kinds


@pytest.mark.parametrize(
    "text",
    [
        "3月12日の夕方",
        "1,200円",
        "2-3日前から",
        "電柱番号 12-345 の街灯",
        "電柱番号 東京 12-345-6 の近く",
        "東電 12-345",
        "第3-2駐輪場",
        "国道16号",
        "2番線ホーム",
        "約2-3分おき",
        "道幅は3-4mくらい",
        "3丁目の交差点",
        "日付2024-03-12",
        "The score was 2-1 when the fence fell.",
    ],
)
def test_dates_prices_counts_and_identifiers_stay(text):
    assert mask_personal_data(text).text == text


def test_findings_name_kind_and_span_in_the_original_text():
    text = "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐか０９０－１２３４－５６７８、品川 500 さ 12-34"
    result = mask_personal_data(text)
    assert result.findings == (
        Finding(Kind.EMAIL, 0, 15),
        Finding(Kind.PHONE, 16, 29),
        Finding(Kind.PLATE, 30, 44),
    )
    assert [text[f.start : f.end] for f in result.findings] == [
        "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ",
        "０９０－１２３４－５６７８",
        "品川 500 さ 12-34",
    ]
    assert result.text == "［メールアドレス］か［電話番号］、［ナンバー］"


def test_text_around_the_spans_stays_as_written():
    text = "（至急）ＡＢＣ公園の　ベンチ。携帯０９０－１２３４－５６７８㈱まで！"
    assert mask_personal_data(text).text == "（至急）ＡＢＣ公園の　ベンチ。携帯［電話番号］㈱まで！"


def test_text_without_personal_data_comes_back_unchanged():
    text = "公園のベンチが壊れています。"
    result = mask_personal_data(text)
    assert result.text is text
    assert result.findings == ()
    assert result.kinds == frozenset()


def test_a_long_text_with_thousands_of_findings_is_masked_whole():
    text = "連絡は090-1234-5678、中央区1-2-3、品川500さ1234。" * 2000
    result = mask_personal_data(text)
    assert result.text == "連絡は［電話番号］、中央区［番地］、［ナンバー］。" * 2000
    assert len(result.findings) == 6000
