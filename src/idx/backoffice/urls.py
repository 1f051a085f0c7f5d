from django.urls import path

from idx.backoffice import (
    alerts,
    assist,
    counter,
    message_templates,
    notices,
    payments,
    reconciliation,
    views,
)
from idx.backoffice import booking as booking_views
from idx.identity.mfa import views as mfa_views

app_name = "backoffice"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("login/second-factor/", mfa_views.second_factor, name="mfa_verify"),
    path("login/enrol/", mfa_views.enrol, name="mfa_enrol"),
    path("passkey/<slug:purpose>/options/", mfa_views.passkey_options, name="passkey_options"),
    path("passkey/<slug:purpose>/verify/", mfa_views.passkey_verify, name="passkey_verify"),
    path("reauth/", mfa_views.reauth, name="reauth"),
    path("cases/bulk-assign/", views.bulk_assign, name="bulk_assign"),
    path("cases/<str:public_id>/", views.case_detail, name="case_detail"),
    path("cases/<str:public_id>/assign-self/", views.case_assign_self, name="case_assign_self"),
    path("cases/<str:public_id>/start-review/", views.case_start_review, name="case_start_review"),
    path(
        "cases/<str:public_id>/request-correction/",
        views.case_request_correction,
        name="case_request_correction",
    ),
    path("cases/<str:public_id>/decide/", views.case_decide, name="case_decide"),
    path("cases/<str:public_id>/comment/", views.case_comment, name="case_comment"),
    path("cases/<str:public_id>/files/<str:attachment_id>/", views.case_attachment, name="case_attachment"),
    path("cases/<str:public_id>/my-number/", views.case_my_number, name="case_my_number"),
    path("counter/", counter.counter_start, name="counter_start"),
    path("counter/<str:public_id>/steps/<slug:step_id>/", counter.counter_step, name="counter_step"),
    path("counter/<str:public_id>/review/", counter.counter_review, name="counter_review"),
    path("counter/<str:public_id>/show/", counter.counter_show, name="counter_show"),
    path("notices/", notices.notice_list, name="notice_list"),
    path("templates/", message_templates.template_list, name="template_list"),
    path("templates/<slug:purpose>/<str:language>/", message_templates.template_edit, name="template_edit"),
    path("alerts/", alerts.alert_list, name="alert_list"),
    path("alerts/new/", alerts.alert_new, name="alert_new"),
    path("alerts/<str:identifier>/update/", alerts.alert_new, name="alert_update"),
    path("alerts/<str:identifier>/confirm/", alerts.alert_confirm, name="alert_confirm"),
    path("alerts/<str:identifier>/cancel/", alerts.alert_cancel, name="alert_cancel"),
    path("faqs/", assist.faq_list, name="faq_list"),
    path("faqs/new/", assist.faq_edit, name="faq_new"),
    path("faqs/export.csv", assist.faq_export, name="faq_export"),
    path("faqs/import/", assist.faq_import, name="faq_import"),
    path("faqs/gaps/", assist.gap_list, name="gap_list"),
    path("faqs/gaps/<int:gap_id>/resolve/", assist.gap_resolve, name="gap_resolve"),
    path("faqs/<slug:key>/edit/", assist.faq_edit, name="faq_edit"),
    path("payments/", payments.payment_list, name="payment_list"),
    path("payments/counter/<str:public_id>/", payments.counter_payment, name="counter_payment"),
    path("payments/settlements/", reconciliation.settlement_list, name="settlement_list"),
    path("payments/settlements/import/", reconciliation.settlement_import, name="settlement_import"),
    path(
        "payments/settlements/<int:settlement_id>/",
        reconciliation.settlement_detail,
        name="settlement_detail",
    ),
    path(
        "payments/settlements/lines/<int:line_id>/resolve/",
        reconciliation.settlement_resolve,
        name="settlement_resolve",
    ),
    path("payments/finance-export/", reconciliation.finance_export, name="finance_export"),
    path("payments/<str:reference>/", payments.payment_detail, name="payment_detail"),
    path("payments/<str:reference>/refund/", payments.payment_refund, name="payment_refund"),
    path("inquiries/", assist.inquiry_list, name="inquiry_list"),
    path("inquiries/<str:public_id>/", assist.inquiry_detail, name="inquiry_detail"),
    path("inquiries/<str:public_id>/answer/", assist.inquiry_answer, name="inquiry_answer"),
    path("inquiries/<str:public_id>/to-faq/", assist.inquiry_to_faq, name="inquiry_to_faq"),
    path("inquiries/<str:public_id>/close/", assist.inquiry_close, name="inquiry_close"),
    path("booking/", booking_views.booking_day, name="booking_day"),
    path(
        "booking/bookings/<str:public_id>/cancel/", booking_views.booking_staff_cancel, name="booking_cancel"
    ),
    path("booking/counter/", booking_views.counter, name="booking_counter"),
    path("booking/counter/check-in/", booking_views.check_in, name="booking_check_in"),
    path("booking/counter/walk-in/", booking_views.walk_in, name="booking_walk_in"),
    path("booking/counter/call-next/", booking_views.call_next, name="booking_call_next"),
    path(
        "booking/tickets/<int:ticket_id>/<slug:move>/", booking_views.ticket_move, name="booking_ticket_move"
    ),
    path("booking/manage/", booking_views.manage, name="booking_manage"),
    path("booking/manage/services/new/", booking_views.service_edit, name="booking_service_new"),
    path(
        "booking/manage/services/<int:service_id>/", booking_views.service_edit, name="booking_service_edit"
    ),
    path("booking/manage/closures/", booking_views.closure_add, name="booking_closure_add"),
    path(
        "booking/manage/closures/<int:closure_id>/delete/",
        booking_views.closure_delete,
        name="booking_closure_delete",
    ),
    path("booking/manage/counters/", booking_views.resource_add, name="booking_resource_add"),
    path("exports/", views.export, name="export"),
    path("audit/", views.audit_export, name="audit_export"),
    path("procedures/", views.procedure_list, name="procedure_list"),
    path("procedures/new/", views.procedure_create_view, name="procedure_create"),
    path("procedures/<slug:code>/edit/", views.procedure_edit, name="procedure_edit"),
]
