"""What changed between two versions of 粗大ごみ収集の申込, in the words staff read before publishing."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.utils import translation

from idx.procedures.definition import parse
from idx.procedures.diff import diff_definitions
from idx.procedures.services import shipped_definitions

BULKY = "bulky-waste-collection"


def bulky_waste() -> dict[str, Any]:
    return copy.deepcopy(next(d for d in shipped_definitions() if d["code"] == BULKY))


def _step(data: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(step for step in data["steps"] if step["id"] == step_id)


def _item(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(item for item in items if item["field"] == name)


def revised(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 as a clerk of 廃棄物対策課 would make it:

    - a yes/no question 「収集に立ち会いますか」 and, only when the answer is いいえ, 「置き場所の目印」
    - a repeat group 「同じ日に出す家族の申込」 (name and relationship)
    - 「収集場所の住所」 becomes 「収集場所の住所（番地まで）」 in Japanese
    - the choice 「その他」 of 品目の種類 is removed
    """
    schema = data["schema"]
    schema["properties"]["attend"] = {"type": "boolean"}
    schema["properties"]["landmark"] = {"type": "string", "maxLength": 100}
    schema["properties"]["household"] = {
        "type": "array",
        "maxItems": 5,
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "maxLength": 50},
                "relationship": {"type": "string", "maxLength": 20},
            },
        },
    }
    schema["required"].append("attend")
    schedule = _step(data, "schedule")
    schedule["items"] += [
        {
            "field": "attend",
            "widget": "yes_no",
            "label": {
                "ja": "収集に立ち会いますか",
                "ja-easy": "ごみを取りに来るとき、家にいますか",
                "en": "Will you be present?",
            },
        },
        {
            "field": "landmark",
            "widget": "text",
            "when": {"field": "attend", "equals": False},
            "label": {"ja": "置き場所の目印", "ja-easy": "ごみを置く場所の目じるし", "en": "Landmark"},
        },
        {
            "field": "household",
            "widget": "repeat",
            "label": {"ja": "同じ日に出す家族の申込", "ja-easy": "同じ日に出す家族", "en": "Family members"},
            "add_label": {"ja": "家族を追加", "ja-easy": "家族を増やす", "en": "Add a family member"},
            "items": [
                {"field": "name", "widget": "text", "label": {"ja": "氏名", "ja-easy": "名前", "en": "Name"}},
                {
                    "field": "relationship",
                    "widget": "text",
                    "label": {"ja": "続柄", "ja-easy": "あなたとの関係", "en": "Relationship"},
                },
            ],
        },
    ]
    address = _item(_step(data, "applicant")["items"], "collection_address")
    address["label"]["ja"] = "収集場所の住所（番地まで）"
    item_type = _item(_item(_step(data, "items")["items"], "items")["items"], "item_type")
    item_type["options"] = [option for option in item_type["options"] if option["value"] != "other"]
    enum = schema["properties"]["items"]["items"]["properties"]["item_type"]["enum"]
    enum.remove("other")
    for entry in data["example"]["items"]:
        assert entry["item_type"] != "other"
    data["example"]["attend"] = True
    return data


def test_the_diff_names_each_change_in_japanese():
    old = bulky_waste()
    new = revised(bulky_waste())
    parse(new)  # version 2 is a valid definition
    with translation.override("ja"):
        diff = diff_definitions(old, new)
        sentences = diff.sentences()
    assert [(change.kind, change.path) for change in diff.items] == [
        ("changed", "collection_address"),
        ("changed", "items[].item_type"),
        ("added", "attend"),
        ("added", "landmark"),
        ("added", "household"),
        ("added", "household[].name"),
        ("added", "household[].relationship"),
    ]
    assert diff.item("collection_address").attributes == ["label"]
    assert diff.item("items[].item_type").attributes == ["options"]
    assert diff.steps == [] and diff.texts == []
    assert sentences == [
        "質問「収集場所の住所（番地まで）」を変更しました",
        "質問文（日本語）：「収集場所の住所」→「収集場所の住所（番地まで）」",
        "「出すもの」の質問「品目の種類」を変更しました",
        "選択肢「その他」を削除しました",
        "質問「収集に立ち会いますか」を追加しました",
        "回答の種類：はい・いいえ",
        "回答は必須",
        "質問「置き場所の目印」を追加しました",
        "回答の種類：1行の文章",
        "表示の条件：「収集に立ち会いますか」が「いいえ」のときに表示",
        "質問「同じ日に出す家族の申込」を追加しました",
        "回答の種類：繰り返す質問のまとまり",
        "「同じ日に出す家族の申込」に質問「氏名」を追加しました",
        "回答の種類：1行の文章",
        "回答は必須",
        "「同じ日に出す家族の申込」に質問「続柄」を追加しました",
        "回答の種類：1行の文章",
    ]


def test_each_attribute_of_an_item_and_the_steps_and_texts():
    old = bulky_waste()
    new = bulky_waste()
    new["name"]["en"] = "Bulky waste collection"
    new["processing_days"] = 10
    new["standard_items"]["applicant.phone"] = "連絡先_電話番号"
    new["schema"]["properties"]["collection_address"]["maxLength"] = 200
    new["schema"]["required"].remove("collection_address")
    applicant = _step(new, "applicant")
    address = _item(applicant["items"], "collection_address")
    address["widget"] = "textarea"
    address["help"]["ja"] = "番地まで入力してください。"
    area = _item(applicant["items"], "area")
    area["options"][0]["label"]["ja"] = "上野地区（旧上野市）"
    schedule = _step(new, "schedule")
    notes = _item(schedule["items"], "placement_notes")
    notes["when"] = {"field": "alternative_date", "answered": True}
    alternative = _item(schedule["items"], "alternative_date")
    old_alternative = _item(_step(old, "schedule")["items"], "alternative_date")
    old_alternative["when"] = {"field": "preferred_date", "answered": True}
    alternative["when"] = {"field": "preferred_date", "answered": True}
    schedule["title"]["ja"] = "収集の日と場所"
    new["steps"] = [new["steps"][0], new["steps"][2], new["steps"][1], new["steps"][3]]
    confirm = new["steps"].pop()
    new["steps"].append({**confirm, "id": "agreement"})
    with translation.override("ja"):
        diff = diff_definitions(old, new)
        sentences = diff.sentences()
    assert [(change.key, change.before, change.after) for change in diff.texts] == [
        ("name", "粗大ごみ収集の申込", "粗大ごみ収集の申込"),
        ("processing_days", "14", "10"),
    ]
    assert sentences[:2] == ["手続名を変更しました（英語）", "処理日数を変更しました"]
    assert [(change.kind, change.step_id) for change in diff.steps] == [
        ("renamed", "schedule"),
        ("added", "agreement"),
        ("removed", "confirm"),
        ("reordered", ""),
    ]
    assert sentences[2:6] == [
        "手順「収集の希望日と出す場所」の名前を「収集の日と場所」に変更しました",
        "手順「確認」を追加しました",
        "手順「確認」を削除しました",
        "手順の順番：申込者と収集場所 → 収集の日と場所 → 出すもの",
    ]
    phone = diff.item("applicant.phone")
    assert phone.attributes == ["standard_item"]
    assert [detail.text for detail in phone.details] == ["標準データ項目：申込者_電話番号→連絡先_電話番号"]
    address_change = diff.item("collection_address")
    assert [detail.text for detail in address_change.details] == [
        "説明文（日本語）：「ごみを出す家の住所を入力してください。」→「番地まで入力してください。」",
        "回答の種類：1行の文章→複数行の文章",
        "任意にしました",
        "最大文字数：150→200",
    ]
    assert [detail.text for detail in diff.item("area").details] == [
        "選択肢「上野地区」を「上野地区（旧上野市）」に変更しました"
    ]
    assert [detail.text for detail in diff.item("placement_notes").details] == [
        "表示の条件：常に表示→「第2希望日（任意）」に回答があるときに表示"
    ]
    assert diff.item("alternative_date") is None  # the same condition: no change
    # The confirmation tick box moved with its step: it was removed and added under the new id.
    assert diff.item("confirm_no_recycling_items").attributes == ["step"]


def test_conditions_in_words():
    old = bulky_waste()
    new = bulky_waste()
    area = _item(_step(new, "applicant")["items"], "area")
    _step(new, "applicant")["items"].append(dict(area, field="area_note", widget="text"))
    new["schema"]["properties"]["area_note"] = {"type": "string", "maxLength": 50}
    note = _step(new, "applicant")["items"][-1]
    note.pop("options")
    note.pop("help")
    note["label"] = {"ja": "地区の補足", "ja-easy": "地区のこと", "en": "District note"}
    note["when"] = {"field": "area", "in": ["shimagahara", "oyamada"]}
    with translation.override("ja"):
        diff = diff_definitions(old, new)
        from idx.procedures.diff import describe_condition

        siblings = {"area": area}
        words = [
            describe_condition({"field": "area", "equals": "ueno"}, siblings),
            describe_condition({"field": "area", "not_equals": "ueno"}, siblings),
            describe_condition(note["when"], siblings),
        ]
    assert diff.item("area_note").kind == "added"
    assert words == [
        "「地区」が「上野地区」のときに表示",
        "「地区」に回答があり、「上野地区」以外のときに表示",
        "「地区」が「島ヶ原地区」、「大山田地区」のいずれかのときに表示",
    ]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_same_definition_has_no_changes(language):
    with translation.override(language):
        assert not diff_definitions(bulky_waste(), bulky_waste())


def test_an_explanatory_text_is_named_as_such():
    old = bulky_waste()
    new = bulky_waste()
    _step(new, "items")["items"].insert(
        0,
        {
            "field": "recycling_notice",
            "widget": "note",
            "label": {
                "ja": "家電4品目は出せません",
                "ja-easy": "出せない電気の製品",
                "en": "Four appliances",
            },
            "help": {
                "ja": "販売店に引き取りを依頼してください。",
                "ja-easy": "店に頼んでください。",
                "en": "Ask the shop.",
            },
        },
    )
    with translation.override("ja"):
        added = diff_definitions(old, new)
        removed = diff_definitions(new, old)
    assert added.sentences() == ["説明文「家電4品目は出せません」を追加しました"]
    assert removed.sentences() == ["説明文「家電4品目は出せません」を削除しました"]


def test_a_condition_on_a_question_of_an_earlier_step_reads_in_words():
    """「地区」が「阿山地区」, never the field and the code (area, ayama)."""
    before = bulky_waste()
    after = copy.deepcopy(before)
    after["schema"]["properties"]["need_help"] = {"type": "boolean"}
    after["steps"][2]["items"].append(
        {
            "field": "need_help",
            "widget": "yes_no",
            "label": {"ja": "運び出しの手伝いが必要ですか", "en": "Do you need help"},
            "when": {"field": "area", "equals": "ayama"},
        }
    )
    with translation.override("ja"):
        text = " ".join(diff_definitions(before, after).sentences())
    assert "地区" in text and "阿山地区" in text
    assert "area" not in text and "ayama" not in text
