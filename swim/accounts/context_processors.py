from typing import Any

from django.http import HttpRequest

from swim.accounts.navigation import navigation_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Put the role's navigation links in every template."""
    return {"nav_links": navigation_for(request) if request.user.is_authenticated else []}
