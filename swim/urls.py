from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("dashboard" if request.user.is_authenticated else "login")


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


admin.site.site_header = "SWiM administration"
admin.site.site_title = "SWiM"

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("", include("swim.accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("directory/", include("swim.directory.urls")),
    path("jobs/", include("swim.jobs.urls")),
    path("discovery/", include("swim.discovery.urls")),
    path("diagnostic/", include("swim.diagnostic.urls")),
    path("admin/", admin.site.urls),
]
