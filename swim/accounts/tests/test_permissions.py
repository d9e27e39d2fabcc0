"""The permission matrix: who may see or change what."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from swim.accounts.permissions import may, require, visible_jobs
from swim.jobs.models import Job
from swim.testing import Personas


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", True),
        ("facilitator", True),
        ("member_a", True),
        ("member_b", False),
        ("funder", False),
    ],
)
def test_only_programme_staff_and_its_own_members_see_an_organisations_private_data(
    personas: Personas, persona: str, expected: bool
) -> None:
    assert may(personas.by_name(persona), "directory.view_private", personas.org_a) is expected


@pytest.mark.django_db
def test_anonymous_visitors_may_do_nothing(personas: Personas) -> None:
    anonymous = AnonymousUser()
    for perm in [
        "directory.view_directory",
        "directory.view_private",
        "accounts.view_dashboard",
        "directory.import_data",
        "evaluation.view_programme",
    ]:
        assert not may(anonymous, perm, personas.org_a), perm


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "imports", "programme", "admin_site"),
    [
        ("admin", True, True, True),
        ("facilitator", True, True, False),
        ("member_a", False, False, False),
        ("funder", False, True, False),
    ],
)
def test_roles_grant_their_capabilities(
    personas: Personas, persona: str, imports: bool, programme: bool, admin_site: bool
) -> None:
    user = personas.by_name(persona)
    assert may(user, "directory.import_data") is imports
    assert may(user, "evaluation.view_programme") is programme
    assert may(user, "accounts.use_admin_site") is admin_site


@pytest.mark.django_db
def test_require_raises_permission_denied(personas: Personas) -> None:
    with pytest.raises(PermissionDenied):
        require(personas.member_b, "directory.change_organisation", personas.org_a)
    require(personas.member_a, "directory.change_organisation", personas.org_a)


@pytest.mark.django_db
def test_people_see_only_their_own_jobs_and_admins_see_all(personas: Personas) -> None:
    mine = Job.objects.create(kind="k", label="mine", created_by=personas.facilitator)
    theirs = Job.objects.create(kind="k", label="theirs", created_by=personas.member_a)
    assert list(visible_jobs(personas.facilitator)) == [mine]
    assert set(visible_jobs(personas.admin)) == {mine, theirs}
    assert not visible_jobs(AnonymousUser()).exists()
    assert may(personas.facilitator, "jobs.view_job", mine)
    assert not may(personas.facilitator, "jobs.view_job", theirs)
