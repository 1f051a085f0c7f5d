from django.urls import path

from idx.backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
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
    path("exports/", views.export, name="export"),
    path("audit/", views.audit_export, name="audit_export"),
    path("procedures/", views.procedure_list, name="procedure_list"),
    path("procedures/new/", views.procedure_create_view, name="procedure_create"),
    path("procedures/<slug:code>/edit/", views.procedure_edit, name="procedure_edit"),
]
