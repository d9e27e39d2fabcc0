from django.urls import path

from swim.discovery import views

urlpatterns = [
    path("", views.discovery_home, name="discovery-home"),
    path("runs/<int:pk>/", views.run_detail, name="discovery-run"),
    path("candidates/<int:pk>/", views.candidate_detail, name="discovery-candidate"),
    path("candidates/<int:pk>/shortlist/", views.candidate_shortlist, name="discovery-shortlist"),
    path("candidates/<int:pk>/dismiss/", views.candidate_dismiss, name="discovery-dismiss"),
    path("compare/", views.compare, name="discovery-compare"),
]
