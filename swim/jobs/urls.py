from django.urls import path

from swim.jobs import views

urlpatterns = [
    path("", views.job_list, name="jobs-list"),
    path("check-worker/", views.job_check_worker, name="jobs-check-worker"),
    path("<int:pk>/", views.job_detail, name="jobs-detail"),
    path("<int:pk>/cancel/", views.job_cancel, name="jobs-cancel"),
]
