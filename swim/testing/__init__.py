"""Test helpers shared by every app: personas and small ``make_*`` builders.

The personas (one place, as in healthchecks): admin, facilitator, member of organisation A,
member of organisation B, funder, and the anonymous visitor.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from swim.accounts.models import Membership, Role, User
from swim.directory.models import Organisation

PASSWORD = "correct horse battery staple"  # noqa: S105 - test personas only
_counter = itertools.count(1)


def make_org(**overrides: Any) -> Organisation:
    """An organisation with plausible defaults; any field can be overridden."""
    n = next(_counter)
    fields: dict[str, Any] = {
        "org_id": f"GB-CHC-9{n:06d}",
        "name": f"Test Community Project {n}",
        "postcode": "M32 0AA",
        "source": "test",
        "activities": "Community activities for local residents.",
    }
    fields.update(overrides)
    return Organisation.objects.create(**fields)


def make_user(email: str, role: Role = Role.MEMBER, **overrides: Any) -> User:
    return User.objects.create_user(email, PASSWORD, role=role, **overrides)


@dataclass
class Personas:
    admin: User
    facilitator: User
    member_a: User
    member_b: User
    funder: User
    org_a: Organisation
    org_b: Organisation

    def by_name(self, name: str) -> User:
        user: User = getattr(self, name)
        return user


PERSONA_NAMES = ["admin", "facilitator", "member_a", "member_b", "funder"]


def make_personas() -> Personas:
    org_a = make_org(name="Alpha Women's Centre", org_id="GB-CHC-1000001")
    org_b = make_org(name="Beta Youth Project", org_id="GB-CHC-1000002")
    member_a = make_user("member.a@example.org", Role.MEMBER, full_name="Amina Member")
    member_b = make_user("member.b@example.org", Role.MEMBER, full_name="Ben Member")
    Membership.objects.create(user=member_a, organisation=org_a)
    Membership.objects.create(user=member_b, organisation=org_b)
    return Personas(
        admin=make_user("admin@example.org", Role.ADMIN, full_name="Ada Admin", is_superuser=True),
        facilitator=make_user(
            "facilitator@example.org", Role.FACILITATOR, full_name="Fatima Facilitator"
        ),
        member_a=member_a,
        member_b=member_b,
        funder=make_user("funder@example.org", Role.FUNDER, full_name="Femi Funder"),
        org_a=org_a,
        org_b=org_b,
    )
