"""Resident pages of the FAQ assistant and inquiries."""

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


ask = ask_feedback = faq_detail = inquiry_new = inquiry_detail = inquiry_reply = my_inquiries = _todo
