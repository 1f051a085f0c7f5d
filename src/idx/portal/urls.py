from django.urls import path

from idx.portal import (
    account,
    applications,
    apply,
    assist,
    catalog,
    counter,
    dxplan,
    events,
    insights,
    opendata,
    opendata_standards,
    paper_forms,
    participation,
    payments,
    public_comment,
    sign_in,
    signing,
    surveys,
)
from idx.portal import booking as booking_views

app_name = "portal"

urlpatterns = [
    path("", catalog.catalog, name="catalog"),
    path("procedures/<slug:code>/", catalog.procedure_detail, name="procedure_detail"),
    path("procedures/<slug:code>/start/", apply.application_start, name="application_start"),
    path("my/applications/", applications.my_applications, name="my_applications"),
    path("my/applications/<str:public_id>/", applications.application_detail, name="application_detail"),
    path(
        "my/applications/<str:public_id>/steps/<slug:step_id>/",
        apply.application_step,
        name="application_step",
    ),
    path("my/signature/callback/", signing.signature_callback, name="signature_callback"),
    path("my/applications/<str:public_id>/review/", apply.application_review, name="application_review"),
    path("my/applications/<str:public_id>/receipt/", apply.application_receipt, name="application_receipt"),
    path(
        "my/applications/<str:public_id>/receipt.pdf",
        apply.application_receipt_pdf,
        name="application_receipt_pdf",
    ),
    path(
        "my/applications/<str:public_id>/withdraw/",
        applications.application_withdraw,
        name="application_withdraw",
    ),
    path(
        "my/applications/<str:public_id>/discard/",
        applications.application_discard,
        name="application_discard",
    ),
    path(
        "my/applications/<str:public_id>/correct/",
        applications.application_correct,
        name="application_correct",
    ),
    path(
        "my/applications/<str:public_id>/files/<str:attachment_id>/",
        applications.attachment_download,
        name="attachment_download",
    ),
    path("opendata/", opendata.dataset_list, name="opendata_list"),
    path("opendata/<slug:name>/", opendata.dataset_detail, name="opendata_detail"),
    path("counter/", counter.counter_code, name="counter_code"),
    path("counter/t/<str:token>/", counter.counter_token, name="counter_token"),
    path("counter/confirm/", counter.counter_confirm, name="counter_confirm"),
    path("counter/done/", counter.counter_done, name="counter_done"),
    path("ask/", assist.ask, name="ask"),
    path("ask/feedback/", assist.ask_feedback, name="ask_feedback"),
    path("faq/<slug:key>/", assist.faq_detail, name="faq_detail"),
    path("inquiries/new/", assist.inquiry_new, name="inquiry_new"),
    path("inquiries/<str:public_id>/", assist.inquiry_detail, name="inquiry_detail"),
    path("inquiries/<str:public_id>/reply/", assist.inquiry_reply, name="inquiry_reply"),
    path("my/inquiries/", assist.my_inquiries, name="my_inquiries"),
    path("my/applications/<str:public_id>/pay/", payments.application_pay, name="application_pay"),
    path("my/payments/", payments.my_payments, name="my_payments"),
    path("my/payments/<str:reference>/", payments.payment_detail, name="payment_detail"),
    path("my/payments/<str:reference>/return/", payments.payment_return, name="payment_return"),
    path("my/payments/<str:reference>/receipt.pdf", payments.payment_receipt_pdf, name="payment_receipt_pdf"),
    path("booking/", booking_views.service_list, name="booking_services"),
    path("booking/my/", booking_views.my_bookings, name="booking_mine"),
    path("booking/my/<str:public_id>/", booking_views.booking_detail, name="booking_detail"),
    path("booking/my/<str:public_id>/cancel/", booking_views.booking_cancel, name="booking_cancel"),
    path("booking/my/<str:public_id>/rebook/", booking_views.booking_rebook, name="booking_rebook"),
    path("booking/my/<str:public_id>/booking.ics", booking_views.booking_calendar, name="booking_calendar"),
    path("booking/display/", booking_views.display, name="booking_display"),
    path("booking/ticket/", booking_views.ticket_lookup, name="booking_ticket_lookup"),
    path("booking/ticket/<str:code>/", booking_views.ticket, name="booking_ticket"),
    path("booking/<slug:code>/", booking_views.service_detail, name="booking_service"),
    path("my/account/", account.account, name="account"),
    path("my/account/tokens/<int:token_id>/revoke/", account.token_revoke, name="account_token_revoke"),
    path("accounts/signup/", sign_in.sign_up, name="signup"),
    path("accounts/verify/<str:token>/", sign_in.verify_email, name="verify_email"),
    path("accounts/login/", sign_in.sign_in, name="login"),
    path("accounts/logout/", sign_in.sign_out, name="logout"),
]

# Pages of further domains, each module keeping its own list (in this namespace).
urlpatterns += insights.urlpatterns + dxplan.urlpatterns + opendata_standards.urlpatterns
urlpatterns += (
    participation.urlpatterns + public_comment.urlpatterns + surveys.urlpatterns + events.urlpatterns
)
urlpatterns += paper_forms.urlpatterns
