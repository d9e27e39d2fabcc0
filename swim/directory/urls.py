from django.urls import path

from swim.directory import views, views_map

urlpatterns = [
    path("", views.search, name="directory-search"),
    path("export.csv", views.export, name="directory-export"),
    path("mine/", views.my_organisations, name="directory-mine"),
    path("lookup/", views.lookup, name="directory-lookup"),
    path("imports/", views.imports, name="directory-imports"),
    path("imports/new/", views.import_new, name="directory-import-new"),
    path("imports/<int:pk>/", views.import_detail, name="directory-import"),
    path(
        "imports/<int:pk>/rejected.csv", views.import_rejections, name="directory-import-rejections"
    ),
    path("org/<str:org_id>/", views.organisation, name="directory-organisation"),
    path("map/", views_map.map_page, name="directory-map"),
    path("map/data/", views_map.map_data, name="directory-map-data"),
]
