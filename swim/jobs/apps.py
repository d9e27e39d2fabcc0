from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "swim.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
