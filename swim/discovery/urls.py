from django.urls import path

from swim.discovery import views, views_maps

urlpatterns = [
    path("", views.discovery_home, name="discovery-home"),
    path("runs/<int:pk>/", views.run_detail, name="discovery-run"),
    path("runs/<int:pk>/cancel/", views.run_cancel, name="discovery-run-cancel"),
    path("prepare-text/", views.prepare_text, name="discovery-prepare-text"),
    path("candidates/<int:pk>/", views.candidate_detail, name="discovery-candidate"),
    path("candidates/<int:pk>/shortlist/", views.candidate_shortlist, name="discovery-shortlist"),
    path("candidates/<int:pk>/dismiss/", views.candidate_dismiss, name="discovery-dismiss"),
    path("compare/", views.compare, name="discovery-compare"),
    path("runs/<int:pk>/map/", views_maps.run_map_data, name="discovery-run-map"),
    path("concentration/", views_maps.concentration, name="discovery-concentration"),
    path(
        "concentration/export/",
        views_maps.concentration_export,
        name="discovery-concentration-export",
    ),
]
