from django.urls import path

from idx.backoffice import (
    alerts,
    assist,
    cases,
    checks,
    counter,
    disaster_guide,
    dxplan,
    events,
    exports,
    handover,
    imports,
    insights,
    intake,
    message_templates,
    notices,
    opendata,
    participation,
    participation_processes,
    payments,
    place_texts,
    procedure_builder,
    procedure_versions,
    procedures,
    public_comment,
    reconciliation,
    sign_in,
    surveys,
)
from idx.backoffice import booking as booking_views
from idx.identity.mfa import views as mfa_views

app_name = "backoffice"

urlpatterns = [
    path("", cases.queue, name="queue"),
    path("login/", sign_in.sign_in, name="login"),
    path("logout/", sign_in.sign_out, name="logout"),
    path("login/second-factor/", mfa_views.second_factor, name="mfa_verify"),
    path("login/enrol/", mfa_views.enrol, name="mfa_enrol"),
    path("passkey/<slug:purpose>/options/", mfa_views.passkey_options, name="passkey_options"),
    path("passkey/<slug:purpose>/verify/", mfa_views.passkey_verify, name="passkey_verify"),
    path("reauth/", mfa_views.reauth, name="reauth"),
    path("cases/bulk-assign/", cases.bulk_assign, name="bulk_assign"),
    path("cases/filters/save/", cases.queue_filter_save, name="queue_filter_save"),
    path("cases/filters/<int:pk>/delete/", cases.queue_filter_delete, name="queue_filter_delete"),
    path("cases/<str:public_id>/", cases.case_detail, name="case_detail"),
    path("cases/<str:public_id>/assign-self/", cases.case_assign_self, name="case_assign_self"),
    path("cases/<str:public_id>/start-review/", cases.case_start_review, name="case_start_review"),
    path(
        "cases/<str:public_id>/request-correction/",
        cases.case_request_correction,
        name="case_request_correction",
    ),
    path("cases/<str:public_id>/correction/", cases.case_correction, name="case_correction"),
    path("cases/<str:public_id>/decide/", cases.case_decide, name="case_decide"),
    path("cases/<str:public_id>/comment/", cases.case_comment, name="case_comment"),
    path("cases/<str:public_id>/files/<str:attachment_id>/", cases.case_attachment, name="case_attachment"),
    path("cases/<str:public_id>/my-number/", cases.case_my_number, name="case_my_number"),
    path("counter/", counter.counter_start, name="counter_start"),
    path("counter/<str:public_id>/steps/<slug:step_id>/", counter.counter_step, name="counter_step"),
    path("counter/<str:public_id>/review/", counter.counter_review, name="counter_review"),
    path("counter/<str:public_id>/show/", counter.counter_show, name="counter_show"),
    path("notices/", notices.notice_list, name="notice_list"),
    path("templates/", message_templates.template_list, name="template_list"),
    path("place-texts/", place_texts.place_list, name="place_list"),
    path("place-texts/municipality/", place_texts.place_municipality, name="place_municipality"),
    path("place-texts/departments/<slug:code>/", place_texts.place_department, name="place_department"),
    path("templates/<slug:purpose>/<str:language>/", message_templates.template_edit, name="template_edit"),
    path(
        "templates/<slug:purpose>/<str:language>/reset/",
        message_templates.template_reset,
        name="template_reset",
    ),
    path("alerts/", alerts.alert_list, name="alert_list"),
    path("alerts/guide/", disaster_guide.disaster_guide_edit, name="disaster_guide"),
    path("inquiries/desk/", disaster_guide.inquiry_desk_edit, name="inquiry_desk"),
    path("alerts/new/", alerts.alert_new, name="alert_new"),
    path("alerts/<str:identifier>/update/", alerts.alert_new, name="alert_update"),
    path("alerts/<str:identifier>/confirm/", alerts.alert_confirm, name="alert_confirm"),
    path("alerts/<str:identifier>/cancel/", alerts.alert_cancel, name="alert_cancel"),
    path("faqs/", assist.faq_list, name="faq_list"),
    path("faqs/new/", assist.faq_edit, name="faq_new"),
    path("faqs/export.csv", assist.faq_export, name="faq_export"),
    path("faqs/import/", assist.faq_import, name="faq_import"),
    path("faqs/gaps/", assist.gap_list, name="gap_list"),
    path("faqs/synonyms/", assist.faq_synonyms, name="faq_synonyms"),
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
    path("opendata/", opendata.dataset_list, name="opendata_list"),
    path("opendata/new/", opendata.dataset_new, name="opendata_new"),
    path("opendata/<slug:name>/", opendata.dataset_detail, name="opendata_detail"),
    path("opendata/<slug:name>/review/", opendata.dataset_review, name="opendata_review"),
    path("opendata/<slug:name>/withdraw/", opendata.dataset_withdraw, name="opendata_withdraw"),
    path("exports/", exports.export, name="export"),
    path("audit/", exports.audit_export, name="audit_export"),
    path("procedures/", procedures.procedure_list, name="procedure_list"),
    path("procedures/new/", procedures.procedure_create_view, name="procedure_create"),
    path("procedures/<slug:code>/edit/", procedures.procedure_edit, name="procedure_edit"),
    path("procedures/<slug:code>/versions/", procedure_versions.version_list, name="procedure_versions"),
    path(
        "procedures/<slug:code>/versions/diff/",
        procedure_versions.version_diff,
        name="procedure_version_diff",
    ),
    path("procedures/<slug:code>/publish/", procedure_versions.publish, name="procedure_publish"),
    path("procedures/<slug:code>/withdraw/", procedure_versions.withdraw, name="procedure_withdraw"),
    path("procedures/<slug:code>/builder/", procedure_builder.builder_overview, name="procedure_builder"),
    path(
        "procedures/<slug:code>/builder/action/",
        procedure_builder.builder_action,
        name="procedure_builder_action",
    ),
    path(
        "procedures/<slug:code>/builder/add/",
        procedure_builder.builder_add_item,
        name="procedure_builder_add",
    ),
    path(
        "procedures/<slug:code>/builder/steps/add/",
        procedure_builder.builder_step,
        name="procedure_builder_step_add",
    ),
    path(
        "procedures/<slug:code>/builder/steps/<slug:step_id>/",
        procedure_builder.builder_step,
        name="procedure_builder_step",
    ),
    path(
        "procedures/<slug:code>/builder/steps/<slug:step_id>/delete/",
        procedure_builder.builder_delete_step,
        name="procedure_builder_step_delete",
    ),
    path(
        "procedures/<slug:code>/builder/items/<str:path>/",
        procedure_builder.builder_item,
        name="procedure_builder_item",
    ),
    path(
        "procedures/<slug:code>/builder/items/<str:path>/move/",
        procedure_builder.builder_move,
        name="procedure_builder_move",
    ),
    path(
        "procedures/<slug:code>/builder/items/<str:path>/delete/",
        procedure_builder.builder_delete_item,
        name="procedure_builder_delete",
    ),
    path(
        "procedures/<slug:code>/builder/preview/",
        procedure_builder.builder_preview,
        name="procedure_builder_preview",
    ),
    path(
        "procedures/<slug:code>/builder/easy-japanese/",
        procedure_builder.builder_easy_japanese,
        name="procedure_builder_easyja",
    ),
]

# Pages of further domains, each module keeping its own list (in this namespace).
urlpatterns += insights.urlpatterns + dxplan.urlpatterns
urlpatterns += (
    participation.urlpatterns + public_comment.urlpatterns + surveys.urlpatterns + events.urlpatterns
)
urlpatterns += participation_processes.urlpatterns
urlpatterns += intake.urlpatterns
urlpatterns += imports.urlpatterns
urlpatterns += checks.urlpatterns
urlpatterns += handover.urlpatterns
