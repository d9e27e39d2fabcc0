from django.contrib import admin

from swim.diagnostic.models import (
    CapacityArea,
    Invitation,
    Rating,
    ReadinessAnswer,
    ReadinessStatement,
    Response,
    Round,
)


@admin.register(CapacityArea)
class CapacityAreaAdmin(admin.ModelAdmin[CapacityArea]):
    list_display = ["name", "slug", "order", "active"]
    list_editable = ["order", "active"]


@admin.register(ReadinessStatement)
class ReadinessStatementAdmin(admin.ModelAdmin[ReadinessStatement]):
    list_display = ["factor", "text", "order", "active"]
    list_editable = ["order", "active"]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin[Round]):
    list_display = ["name", "local_authority", "opens_on", "closes_on", "created_by"]
    raw_id_fields = ["created_by"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = ["email", "organisation", "round", "role", "expires_at", "used_at"]
    raw_id_fields = ["organisation", "sent_by"]
    readonly_fields = ["token_hash", "opened_at", "used_at"]


class RatingInline(admin.TabularInline[Rating, Response]):
    model = Rating


class ReadinessAnswerInline(admin.TabularInline[ReadinessAnswer, Response]):
    model = ReadinessAnswer


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin[Response]):
    list_display = ["organisation", "round", "respondent_role", "status", "submitted_at"]
    list_filter = ["status", "respondent_role"]
    raw_id_fields = ["organisation", "respondent", "invitation"]
    inlines = [RatingInline, ReadinessAnswerInline]
