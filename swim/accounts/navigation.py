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
    NavItem("Imports", "directory-imports", "directory.import_data"),
    NavItem("Discovery", "discovery-home", "discovery.view_discovery"),
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
    links = []
    for item in NAV_ITEMS:
        if not may(request.user, item.perm):
            continue
        url = reverse(item.url_name)
        current = request.path == url or (
            item.url_name != "dashboard" and request.path.startswith(url)
        )
        links.append(NavLink(item.label, url, current))
    return links
