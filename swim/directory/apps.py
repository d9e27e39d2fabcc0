from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "swim.directory"
    label = "directory"
    verbose_name = "Directory of organisations"
