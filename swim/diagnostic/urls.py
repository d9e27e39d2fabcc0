from django.urls import path

from swim.diagnostic import views, views_csv, views_invitations

urlpatterns = [
    path("", views.home, name="diagnostic-home"),
    path("rounds/new/", views.round_new, name="diagnostic-round-new"),
    path("rounds/<int:round_pk>/invite/", views_invitations.invite, name="diagnostic-invite"),
    path(
        "rounds/<int:round_pk>/invite/many/",
        views_invitations.invite_many,
        name="diagnostic-invite-many",
    ),
    path(
        "invitations/<int:pk>/revoke/",
        views_invitations.revoke,
        name="diagnostic-invitation-revoke",
    ),
    path(
        "invitations/<int:pk>/resend/",
        views_invitations.resend,
        name="diagnostic-invitation-resend",
    ),
    path("rounds/<int:round_pk>/answer/<str:org_id>/", views.answer, name="diagnostic-answer"),
    path("rounds/<int:round_pk>/import/", views_csv.import_responses, name="diagnostic-import"),
    path("rounds/<int:round_pk>/template.csv", views_csv.template_csv, name="diagnostic-template"),
    path(
        "rounds/<int:round_pk>/responses.csv",
        views_csv.responses_csv,
        name="diagnostic-responses-csv",
    ),
    path("area/", views.area, name="diagnostic-area"),
    path("area/export.csv", views.area_export, name="diagnostic-area-export"),
    path("org/<str:org_id>/", views.results, name="diagnostic-results"),
    path("i/<str:token>/", views.invitation, name="diagnostic-invitation"),
]
