from django.apps import AppConfig


class DiagnosticConfig(AppConfig):
    name = "swim.diagnostic"
    label = "diagnostic"
    verbose_name = "Needs diagnostic"
