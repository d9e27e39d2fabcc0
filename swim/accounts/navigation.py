"""The navigation each role sees, derived from the permission module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import reverse

from swim.accounts.permissions import may

if TYPE_CHECKING:
    from django.http import HttpRequest


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    perm: str


NAV_ITEMS = [
    NavItem("Dashboard", "dashboard", "accounts.view_dashboard"),
    NavItem("My organisations", "directory-mine", "directory.view_my_organisations"),
    NavItem("Directory", "directory-search", "directory.view_directory"),
    NavItem("Diagnostic", "diagnostic-home", "diagnostic.view_diagnostic"),
    NavItem("Imports", "directory-imports", "directory.import_data"),
    NavItem("Discovery", "discovery-home", "discovery.view_discovery"),
    NavItem("Concentration map", "discovery-concentration", "discovery.view_concentration"),
    NavItem("Background jobs", "jobs-list", "accounts.use_admin_site"),
    NavItem("Administration", "admin:index", "accounts.use_admin_site"),
]


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool


def navigation_for(request: HttpRequest) -> list[NavLink]:
    """The links ``request.user`` may follow, marking the one for the current page."""
    allowed = [(item, reverse(item.url_name)) for item in NAV_ITEMS if may(request.user, item.perm)]
    matching = [
        url
        for item, url in allowed
        if request.path == url or (item.url_name != "dashboard" and request.path.startswith(url))
    ]
    best = max(matching, key=len, default=None)  # /discovery/concentration/ over /discovery/
    return [NavLink(item.label, url, url == best) for item, url in allowed]
