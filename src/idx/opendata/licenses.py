"""The licenses a dataset may carry. Both allow reuse with attribution, commercial reuse included."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class License:
    id: str
    title: str | Promise
    url: str
    # How the portal asks reusers to credit the city (出典の記載例).
    attribution_ja: str


LICENSES = {
    license.id: license
    for license in (
        License(
            id="pdl-1.0",
            title=_("Public Data License (Version 1.0)"),
            url="https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
            attribution_ja="出典：{publisher}ウェブサイト（{url}）、公共データ利用規約（第1.0版）",
        ),
        License(
            id="cc-by-4.0",
            title=_("Creative Commons Attribution 4.0 International"),
            url="https://creativecommons.org/licenses/by/4.0/",
            attribution_ja="出典：{publisher}（{url}）、CC BY 4.0",
        ),
    )
}
