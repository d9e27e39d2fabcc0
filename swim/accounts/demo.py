"""Demo accounts, one per role, for ``make demo`` (never for production)."""

from __future__ import annotations

from dataclasses import dataclass

from swim.accounts.models import Membership, Role, User
from swim.directory.models import Organisation


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    role: Role
    password: str = "swim-demo-2026"  # noqa: S105 - printed for the demo on purpose


DEMO_ACCOUNTS = [
    DemoAccount("admin@swim.example", "Ada Admin", Role.ADMIN),
    DemoAccount("facilitator@swim.example", "Fatima Facilitator", Role.FACILITATOR),
    DemoAccount("member@swim.example", "Mo Member", Role.MEMBER),
    DemoAccount("funder@swim.example", "Femi Funder", Role.FUNDER),
]


def ensure_demo_accounts(member_organisation: Organisation | None = None) -> list[DemoAccount]:
    """Create the demo accounts if missing (idempotent); link the member to an organisation."""
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(email=account.email).first()
        if user is None:
            extra = {"is_superuser": True} if account.role == Role.ADMIN else {}
            user = User.objects.create_user(
                account.email,
                account.password,
                full_name=account.full_name,
                role=account.role,
                **extra,
            )
        if account.role == Role.MEMBER and member_organisation is not None:
            Membership.objects.get_or_create(user=user, organisation=member_organisation)
    return DEMO_ACCOUNTS
