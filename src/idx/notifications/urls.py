from django.urls import path

from idx.notifications import line, views

app_name = "notifications"

urlpatterns = [
    path("my/notifications/", views.inbox, name="inbox"),
    path("my/notifications/settings/", views.subscriptions, name="subscriptions"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("line/webhook/", line.webhook, name="line_webhook"),
    path("my/notifications/settings/line-code/", views.line_code, name="line_code"),
    path("my/notifications/webpush/", views.web_push_subscribe, name="web_push"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/feed.atom", views.alert_feed, name="alert_feed"),
    path("alerts/<str:identifier>.xml", views.alert_cap, name="alert_cap"),
]
