from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    name = "swim.discovery"
    label = "discovery"
    verbose_name = "Cluster discovery"
