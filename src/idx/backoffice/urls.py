from django.urls import path

from idx.backoffice import alerts, counter, message_templates, notices, views
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
    path("exports/", views.export, name="export"),
    path("audit/", views.audit_export, name="audit_export"),
    path("procedures/", views.procedure_list, name="procedure_list"),
    path("procedures/new/", views.procedure_create_view, name="procedure_create"),
    path("procedures/<slug:code>/edit/", views.procedure_edit, name="procedure_edit"),
]
