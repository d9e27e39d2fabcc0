import pytest
from django.core.exceptions import ValidationError

from swim.accounts.models import Role, User


@pytest.mark.django_db
def test_it_stores_emails_in_lower_case_and_signs_in_by_email() -> None:
    user = User.objects.create_user("Someone@Example.ORG", "a long password 123")
    assert user.email == "someone@example.org"
    assert user.check_password("a long password 123")
    assert User.USERNAME_FIELD == "email"


@pytest.mark.django_db
def test_it_rejects_an_invalid_email_and_saves_nothing() -> None:
    with pytest.raises(ValidationError):
        User.objects.create_user("not-an-email", "a long password 123")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_superuser_is_an_admin_with_staff_access() -> None:
    user = User.objects.create_superuser("root@example.org", "a long password 123")
    assert user.role == Role.ADMIN
    assert user.is_admin
    assert user.is_staff


@pytest.mark.django_db
def test_an_inactive_facilitator_has_no_facilitator_powers() -> None:
    user = User.objects.create_user(
        "f@example.org", "pw pw pw pw 1", role=Role.FACILITATOR, is_active=False
    )
    assert not user.is_facilitator
