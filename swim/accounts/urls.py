from django.contrib.auth import views as auth_views
from django.urls import path

from swim.accounts import views
from swim.accounts.forms import EmailAuthenticationForm

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("dashboard/", views.dashboard, name="dashboard"),
]
