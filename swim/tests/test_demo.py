import pytest
from django.core.management import call_command

from swim.accounts.demo import DEMO_ACCOUNTS
from swim.accounts.models import User


@pytest.mark.django_db
def test_load_demo_creates_one_account_per_role_and_can_run_twice() -> None:
    call_command("load_demo")
    call_command("load_demo")
    assert User.objects.count() == len(DEMO_ACCOUNTS)
    assert {u.role for u in User.objects.all()} == {"admin", "facilitator", "member", "funder"}
    for account in DEMO_ACCOUNTS:
        assert User.objects.get(email=account.email).check_password(account.password)
