"""Responses answered on paper and imported from CSV: their source and the respondent's name."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("diagnostic", "0002_default_areas_and_statements"),
    ]

    operations = [
        migrations.AddField(
            model_name="response",
            name="respondent_name",
            field=models.CharField(
                blank=True,
                help_text="The name on a paper form (online answers: blank).",
                max_length=200,
            ),
        ),
        migrations.AddField(
            model_name="response",
            name="source",
            field=models.CharField(
                choices=[("online", "Online"), ("paper", "On paper")],
                default="online",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="response",
            constraint=models.CheckConstraint(
                condition=models.Q(("source__in", ["online", "paper"])),
                name="diagnostic_response_source",
            ),
        ),
    ]
