from django.urls import path

from swim.directory import views

urlpatterns = [
    path("", views.search, name="directory-search"),
    path("mine/", views.my_organisations, name="directory-mine"),
    path("imports/", views.imports, name="directory-imports"),
    path("imports/<int:pk>/", views.import_detail, name="directory-import"),
    path("org/<str:org_id>/", views.organisation, name="directory-organisation"),
]
