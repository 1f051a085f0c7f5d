"""``{{ text|linkify }}``: plain text with its web addresses as links, everything else escaped.

Django's ``urlize`` reads ``&sect`` in ``?a=1&section=2`` as the entity § and breaks the address;
messages carry such addresses, so this filter escapes the text itself and links only ``http(s)://``
addresses, with ``rel="nofollow noopener"``. Trailing punctuation (。、) stays outside the link.
"""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_ADDRESS = re.compile(r"https?://[^\s<>\"'「」（）。、]+")
_TRAILING = ".,;:!?)]}"


@register.filter(is_safe=True)
def linkify(value: object) -> SafeString:
    text = str(value or "")
    out: list[str] = []
    position = 0
    for match in _ADDRESS.finditer(text):
        address = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(address)
        out.append(escape(text[position : match.start()]))
        out.append(f'<a href="{escape(address)}" rel="nofollow noopener">{escape(address)}</a>')
        position = end
    out.append(escape(text[position:]))
    # Every piece of the text and every address is escaped above.
    return mark_safe("".join(out))  # noqa: S308  # nosec B308, B703
