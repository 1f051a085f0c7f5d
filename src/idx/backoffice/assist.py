"""Staff pages of the FAQ knowledge base and inquiries."""

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


faq_list = faq_edit = faq_export = faq_import = gap_list = gap_resolve = _todo
inquiry_list = inquiry_detail = inquiry_answer = inquiry_to_faq = inquiry_close = _todo
