from django.contrib import admin

from swim.directory.models import (
    Classification,
    ImportRun,
    Network,
    NetworkMembership,
    Organisation,
    Tie,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "org_id", "status", "postcode", "income_band", "source"]
    list_filter = ["status", "income_band", "source", "geocode_precision"]
    search_fields = ["name", "org_id", "postcode"]
    raw_id_fields = ["classifications"]


@admin.register(Classification)
class ClassificationAdmin(admin.ModelAdmin[Classification]):
    list_display = ["scheme", "code", "label"]
    list_filter = ["scheme"]
    search_fields = ["label", "code"]


class NetworkMembershipInline(admin.TabularInline[NetworkMembership, Network]):
    model = NetworkMembership
    raw_id_fields = ["organisation"]
    extra = 0


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin[Network]):
    list_display = ["name", "kind", "source"]
    search_fields = ["name"]
    inlines = [NetworkMembershipInline]


@admin.register(Tie)
class TieAdmin(admin.ModelAdmin[Tie]):
    list_display = ["a", "b", "kind", "weight", "source"]
    list_filter = ["kind", "source"]
    raw_id_fields = ["a", "b"]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin[ImportRun]):
    list_display = [
        "source",
        "file_name",
        "status",
        "read",
        "created",
        "updated",
        "rejected",
        "started_at",
    ]
    list_filter = ["source", "status"]
    readonly_fields = [f.name for f in ImportRun._meta.fields]
