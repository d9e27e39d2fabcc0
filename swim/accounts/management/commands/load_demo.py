from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from swim.accounts.demo import ensure_demo_accounts
from swim.diagnostic.sample import ensure_sample_diagnostic
from swim.directory.models import Organisation
from swim.directory.sample import ensure_sample_area


class Command(BaseCommand):
    help = "Load the demo data (accounts for each role and the sample area). Safe to re-run."

    def handle(self, *args: Any, **options: Any) -> None:
        samples = ensure_sample_area()
        with transaction.atomic():
            member_org = Organisation.objects.filter(is_sample=True).order_by("pk").first()
            accounts = ensure_demo_accounts(member_org)
        diagnostics = ensure_sample_diagnostic()
        self.stdout.write(
            f"Sample area: {samples:,} sample organisations (made-up data, labelled as sample)."
        )
        self.stdout.write(f"Sample diagnostic: {diagnostics} made-up responses.")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in with:"))
        for account in accounts:
            self.stdout.write(
                f"  {account.role.label:<20} {account.email:<28} password: {account.password}"
            )
