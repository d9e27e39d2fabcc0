from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from swim.accounts.models import Membership, User


class SwimUserCreationForm(UserCreationForm[User]):
    class Meta:
        model = User
        fields = ("email", "full_name", "role")


class SwimUserChangeForm(UserChangeForm[User]):
    class Meta:
        model = User
        fields = ("email", "full_name", "role", "is_active")


class MembershipInline(admin.TabularInline[Membership, User]):
    model = Membership
    autocomplete_fields = ["organisation"]
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    form = SwimUserChangeForm
    add_form = SwimUserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "full_name"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "role")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "role", "password1", "password2"),
            },
        ),
    )
