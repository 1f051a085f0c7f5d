from django.urls import path

from idx.api import ckan
from idx.api.v1 import api

urlpatterns = [
    path("v1/", api.urls),
    # CKAN's Action API: /api/3/action/<name>, and /api/action/<name> where the ckanapi client calls.
    path("3/action/<str:name>", ckan.action, name="ckan_action"),
    path("action/<str:name>", ckan.action, name="ckan_action_unversioned"),
]
