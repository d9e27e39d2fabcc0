from django.contrib import admin

from swim.discovery.models import CandidateCluster, CandidateMember, DiscoveryRun


@admin.register(DiscoveryRun)
class DiscoveryRunAdmin(admin.ModelAdmin[DiscoveryRun]):
    list_display = ["pk", "mode", "status", "organisations_considered", "created_by", "created_at"]
    list_filter = ["status", "mode"]
    raw_id_fields = ["seed_organisation", "job", "created_by"]


class CandidateMemberInline(admin.TabularInline[CandidateMember, CandidateCluster]):
    model = CandidateMember
    raw_id_fields = ["organisation"]


@admin.register(CandidateCluster)
class CandidateClusterAdmin(admin.ModelAdmin[CandidateCluster]):
    list_display = ["pk", "run", "rank", "kind", "readiness", "status"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["run", "lead"]
    inlines = [CandidateMemberInline]
