"""Print a new X25519 key pair for sealing 個人番号 (IDX_MY_NUMBER_PUBLIC_KEY / _PRIVATE_KEY)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from idx.common.my_number import generate_key_pair


class Command(BaseCommand):
    help = (
        "Print a new key pair for sealing 個人番号. Give the public key to every role; keep the "
        "private key only on the back office (IDX_MY_NUMBER_PRIVATE_KEY_FILE), never on the portal."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        public, private = generate_key_pair()
        self.stdout.write(f"IDX_MY_NUMBER_PUBLIC_KEY={public}")
        self.stdout.write(f"IDX_MY_NUMBER_PRIVATE_KEY={private}")
