"""Taxes: the eL番号 and eL-QR content issued by the tax system, shown with the 地方税お支払サイト link.

IDX does not generate eL-QR codes or take the money: the common tax payment system (eLTAX) does.
The tax system's file of issued slips is imported (``idx payments_import_eltax``) so residents see
what they owe on the portal, with the QR code to scan and the link to the payment site; the
settlement file then marks the slips paid (reconciliation).
"""

from __future__ import annotations

from idx.payments.providers import PaymentProvider, providers

PAYMENT_SITE = "https://www.payment.eltax.lta.go.jp/"


@providers.register("eltax")
class EltaxProvider(PaymentProvider):
    identifier = "eltax"
    label = "地方税お支払サイト"
    online = False

    def check_config(self) -> list[str]:
        site = str(self.settings.get("payment_site", PAYMENT_SITE))
        return [] if site.startswith("https://") else ["payment_site must be an https:// URL"]
