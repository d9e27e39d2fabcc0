from django.urls import path

from swim.diagnostic import views

urlpatterns = [
    path("", views.home, name="diagnostic-home"),
    path("rounds/new/", views.round_new, name="diagnostic-round-new"),
    path("rounds/<int:round_pk>/invite/", views.invite, name="diagnostic-invite"),
    path("rounds/<int:round_pk>/answer/<str:org_id>/", views.answer, name="diagnostic-answer"),
    path("area/", views.area, name="diagnostic-area"),
    path("area/export.csv", views.area_export, name="diagnostic-area-export"),
    path("org/<str:org_id>/", views.results, name="diagnostic-results"),
    path("i/<str:token>/", views.invitation, name="diagnostic-invitation"),
]
