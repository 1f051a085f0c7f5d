"""Demo claims of the 児童手当 認定請求 whose automated checks pass or fail in different ways.

Each claimant is a household of the demo 住民記録 (idx.checks.contrib.demo): three claims pass
every check (one names a child born on 29 February) and wait for the supervisor's approval in
bulk; the others show a differing address, a child past the age limit, a claim made late and a
core system that does not answer. They are made by residents of their own, so no other demo
claim makes them duplicates.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from idx.applications import services
from idx.applications.models import Application
from idx.checks.services import application_checks_run
from idx.common.models import Municipality
from idx.demo_idp.jpki import demo_signature
from idx.identity.models import Department, Role, User
from idx.procedures.models import Procedure

CHILD_ALLOWANCE = "child-allowance-certification"


def _child(name: str, kana: str, birth: str) -> dict[str, Any]:
    return {
        "name": name,
        "name_kana": kana,
        "birth_date": birth,
        "relationship": "biological_child",
        "living_with_claimant": True,
    }


def _claims(today: dt.date) -> list[dict[str, Any]]:
    def days_ago(days: int) -> str:
        return (today - dt.timedelta(days=days)).isoformat()

    return [
        {
            "claimant": (
                "上野 太郎",
                "ウエノ タロウ",
                "1985-11-02",
                "518-0872",
                "三重県伊賀市上野東町2950番地",
            ),
            "children": [
                _child("上野 蓮", "ウエノ レン", "2015-07-30"),
                _child("上野 陽菜", "ウエノ ヒナ", "2020-02-29"),
            ],
            "moved_in": days_ago(5),
        },
        {
            "claimant": (
                "伊賀 太郎",
                "イガ タロウ",
                "1988-06-15",
                "518-0873",
                "三重県伊賀市上野丸之内116番地",
            ),
            "children": [
                _child("伊賀 一郎", "イガ イチロウ", "2012-09-20"),
                _child("伊賀 さくら", "イガ サクラ", "2019-04-08"),
            ],
            "moved_in": days_ago(3),
        },
        {
            "claimant": (
                "Silva Ana",
                "シルバ アナ",
                "1992-05-18",
                "518-0801",
                "三重県伊賀市緑ケ丘本町1500番地5",
            ),
            "children": [_child("Silva Lucas", "シルバ ルーカス", "2018-12-24")],
            "moved_in": days_ago(8),
        },
        {  # the address differs from the record (丸柱1512番地)
            "claimant": (
                "阿山 美咲",
                "アヤマ ミサキ",
                "1991-08-09",
                "518-1325",
                "三重県伊賀市阿山町丸柱1500番地",
            ),
            "children": [_child("阿山 悠斗", "アヤマ ユウト", "2016-05-14")],
            "moved_in": days_ago(2),
        },
        {  # 青山 拓海 reached 18 on 31 March 2026: past the first 31 March after it
            "claimant": (
                "青山 健一",
                "アオヤマ ケンイチ",
                "1979-01-17",
                "518-0226",
                "三重県伊賀市青山町阿保1411番地1",
            ),
            "children": [
                _child("青山 拓海", "アオヤマ タクミ", "2008-04-01"),
                _child("青山 結衣", "アオヤマ ユイ", "2011-10-10"),
            ],
            "moved_in": days_ago(6),
        },
        {  # claimed 40 days after moving in
            "claimant": (
                "名張 翔",
                "ナバリ ショウ",
                "1990-01-25",
                "518-0131",
                "三重県伊賀市ゆめが丘一丁目1番地3",
            ),
            "children": [_child("名張 蒼", "ナバリ アオイ", "2023-06-06")],
            "moved_in": days_ago(40),
        },
        {  # the demo core system does not answer for this name: to be checked by hand
            "claimant": (
                "応答 なし",
                "オウトウ ナシ",
                "1987-07-07",
                "518-0873",
                "三重県伊賀市上野丸之内1番地",
            ),
            "children": [_child("応答 はな", "オウトウ ハナ", "2017-07-07")],
            "moved_in": days_ago(1),
        },
    ]


def load_checks(municipality: Municipality) -> int:
    """Submit the claims (once), run their checks and return how many were made."""
    if not settings.IDX_DEMO_IDP:
        return 0  # the claims need the demo card's signature
    procedure = Procedure.objects.filter(municipality=municipality, code=CHILD_ALLOWANCE).first()
    if procedure is None or procedure.published_version is None:
        return 0
    example = procedure.published_version.definition.get("example") or {}
    department = Department.objects.filter(municipality=municipality, code="kodomo-katei").first()
    clerk = User.objects.filter(municipality=municipality, role=Role.CLERK, department=department).first()
    made = 0
    with services.notifications_muted():
        for index, claim in enumerate(_claims(timezone.localdate()), start=1):
            email = f"checks-demo{index}@{municipality.slug}.example.jp"
            if User.objects.filter(municipality=municipality, email=email).exists():
                continue
            name, kana, birth, postal, address = claim["claimant"]
            resident = User.objects.create_user(
                municipality=municipality,
                email=email,
                password=None,  # made for the demo's checks; they never sign in
                full_name=name,
                full_name_kana=kana,
                email_verified_at=timezone.now(),
            )
            answers = copy.deepcopy(example)
            answers["claimant"].update(
                {
                    "name": name,
                    "name_kana": kana,
                    "birth_date": birth,
                    "postal_code": postal,
                    "address": address,
                }
            )
            answers["bank_account"]["account_holder_kana"] = kana
            answers.update(
                {
                    "moved_in_date": claim["moved_in"],
                    "has_spouse": False,
                    "children": claim["children"],
                    "has_older_children": False,
                }
            )
            for key in ("spouse", "older_children", "spouse_income_yen"):
                answers.pop(key, None)
            with transaction.atomic():
                application = services.application_start(resident=resident, procedure=procedure)
                application = services.application_save_answers(
                    application=application, actor=resident, answers=answers
                )
                application = services.application_submit(
                    application=application,
                    actor=resident,
                    declaration_accepted=True,
                    signature=demo_signature(application),
                )
                if index == 3 and clerk is not None:  # one of the passing claims is already in review
                    services.case_start_review(
                        application=application, staff=clerk, expected_version=application.row_version
                    )
            made += 1
            application_checks_run(application=Application.objects.get(pk=application.pk))
    return made
