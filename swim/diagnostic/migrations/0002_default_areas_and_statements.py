"""The default capacity areas and readiness statements (editable afterwards in the admin).

The capacity areas' slugs are those of ``swim.engine.data.CAPACITY_AREAS``, in its order.
"""

from typing import Any

from django.db import migrations

CAPACITY_AREAS = [
    ("hr", "HR", "Recruiting, contracts, supervision, policies, payroll and people problems."),
    ("ict", "ICT", "Computers, email, software, cyber security and IT support."),
    ("finance", "Finance", "Bookkeeping, budgets, cash flow, payroll and annual accounts."),
    ("governance", "Governance", "The board, trustee recruitment, legal duties and strategy."),
    ("fundraising", "Fundraising", "Grant applications, donations, contracts and bids."),
    ("premises", "Premises", "Buildings, space, leases, maintenance and health and safety."),
    ("communications", "Communications", "Website, social media, newsletters and the press."),
    (
        "volunteering",
        "Volunteer management",
        "Recruiting, training, supporting and keeping volunteers.",
    ),
    ("data_protection", "Data protection", "UK GDPR, records, consent and data security."),
    ("safeguarding", "Safeguarding", "Policies, DBS checks, training and handling concerns."),
    ("legal", "Legal and contracts", "Legal advice, contracts, leases and compliance."),
    (
        "impact_measurement",
        "Impact measurement",
        "Collecting evidence of the difference you make and reporting it.",
    ),
]

STATEMENTS = [
    (
        "need",
        "Need",
        "We need to work with other organisations to achieve what we want for the people we serve.",
    ),
    ("clarity", "Clarity", "We are clear about what we would want a collaboration to achieve."),
    (
        "commitment",
        "Commitment",
        "Our CEO or manager and our trustees are committed to giving time to collaboration.",
    ),
    (
        "trust",
        "Trust",
        "We trust other local organisations enough to share information and resources.",
    ),
    (
        "arrangements",
        "Shared arrangements",
        "We are open to shared arrangements (a shared post, service or agreement).",
    ),
    ("learning", "Learning", "We are ready to learn from others and change how we work."),
]


def add_defaults(apps: Any, schema_editor: Any) -> None:
    CapacityArea = apps.get_model("diagnostic", "CapacityArea")
    ReadinessStatement = apps.get_model("diagnostic", "ReadinessStatement")
    for order, (slug, name, description) in enumerate(CAPACITY_AREAS, start=1):
        CapacityArea.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "order": order * 10}
        )
    for order, (slug, factor, text) in enumerate(STATEMENTS, start=1):
        ReadinessStatement.objects.update_or_create(
            slug=slug, defaults={"factor": factor, "text": text, "order": order * 10}
        )


def remove_defaults(apps: Any, schema_editor: Any) -> None:
    apps.get_model("diagnostic", "CapacityArea").objects.filter(
        slug__in=[slug for slug, *_ in CAPACITY_AREAS]
    ).delete()
    apps.get_model("diagnostic", "ReadinessStatement").objects.filter(
        slug__in=[slug for slug, *_ in STATEMENTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("diagnostic", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
