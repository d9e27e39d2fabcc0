from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "swim.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"
