"""Request types for views (signed-in user and django-htmx details)."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from swim.accounts.models import User


class AuthedRequest(HttpRequest):
    """A request from a signed-in person (LoginRequiredMiddleware guarantees it)."""

    user: User
    htmx: HtmxDetails


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails
