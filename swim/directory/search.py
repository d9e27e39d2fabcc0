"""Directory search: one filter form and one function shared by the list, map and export.

The register data in the directory is public, so every signed-in person searches the same
organisations; what is private (diagnostics, cluster work) lives in other apps and is scoped
there.

With the 170,000 organisations of the England and Wales register, what is the same for every
request between two imports is cached (Django's cache, for :data:`CACHE_SECONDS`) under a key
holding :func:`data_version`, which changes with every import, new organisation, edit of the
newest one, new network membership or classification: the form's local-authority choices,
and per filter the number of organisations and the pages already shown
(:class:`DirectoryPaginator`). Edits of older organisations outside an import show after at
most :data:`CACHE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Iterator
from functools import cached_property, reduce
from html import escape
from operator import add
from typing import Any, cast

from django import forms
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.lookups import Exact, IContains, IExact, IStartsWith
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe

from swim.directory.models import (
    Classification,
    GeocodePrecision,
    ImportRun,
    IncomeBand,
    Network,
    NetworkMembership,
    Organisation,
)

SORTS = {
    "relevance": "Best match",
    "name": "Name (A–Z)",
    "-name": "Name (Z–A)",
    "-income": "Income (largest first)",
    "income": "Income (smallest first)",
    "postcode": "Postcode",
    "-date_registered": "Newest registered",
}
STATUS_CHOICES = [("active", "Active"), ("removed", "Removed"), ("all", "Active and removed")]
LOCATED_CHOICES = [("", "Any"), ("yes", "Located on the map"), ("no", "Not located")]
NARROWING = ("q", "local_authority", "postcode", "income_band", "classification", "network")
PAGE_SIZE = 50
CACHE_SECONDS = 300


def data_version() -> str:
    """A token that changes whenever what the directory shows changes; one quick query.

    It holds the newest organisation (key and last change), the newest import (key and end)
    and the newest network membership and classification link: all read by primary key.
    """
    newest = (
        Organisation.objects.order_by("-pk")
        .annotate(
            import_pk=_newest(ImportRun.objects.all(), "pk"),
            import_end=_newest(ImportRun.objects.all(), "finished_at"),
            membership=_newest(NetworkMembership.objects.all(), "pk"),
            link=_newest(Organisation.classifications.through.objects.all(), "pk"),
        )
        .values_list("pk", "updated_at", "import_pk", "import_end", "membership", "link")
        .first()
    )
    return hashlib.sha1(repr(newest).encode(), usedforsecurity=False).hexdigest()[:16]


def _newest(queryset: QuerySet[Any], field: str) -> Subquery:
    return Subquery(queryset.order_by("-pk").values(field)[:1])


def local_authority_choices(version: str) -> list[str]:
    """The local authorities named by any organisation, sorted (cached for ``version``)."""
    key = f"directory:local-authorities:{version}"
    areas: list[str] | None = cache.get(key)
    if areas is None:
        areas = list(
            Organisation.objects.exclude(local_authority="")
            .values_list("local_authority", flat=True)
            .distinct()
            .order_by("local_authority")
        )
        cache.set(key, areas, CACHE_SECONDS)
    return areas


class QuickSelect(forms.Select):
    """Django's ``<select>`` markup, written in Python rather than one template per option.

    The filters offer hundreds of local authorities and networks; the template engine takes
    tens of microseconds an option, which made the directory's form slower than its query.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        choices = list(iter(self.choices))  # not len(): that counts in the database
        if any(isinstance(label, list | tuple) for _, label in choices):
            return super().render(name, value, attrs, renderer)  # option groups
        values = set(self.format_value(value))
        options = []
        for choice, label in choices:
            text = str(choice)
            selected = " selected" if text in values else ""
            options.append(
                f'\n  <option value="{escape(text)}"{selected}>{escape(str(label))}</option>'
            )
            if selected and not self.allow_multiple_selected:
                values = set()
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        html = f'<select name="{escape(name)}"{attributes}>{"".join(options)}\n</select>'
        return mark_safe(html)  # noqa: S308 - the name, values and labels are escaped above


class _ValuesIterator(ModelChoiceIterator):
    """A model field's choices as (value, label) pairs read with ``values_list``."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        field = cast(_LightModelChoiceField, self.field)
        if field.empty_label is not None:
            yield ("", field.empty_label)
        yield from self.queryset.values_list(field.to_field_name or "pk", field.label_field)


class _LightModelChoiceField(forms.ModelChoiceField):
    """A model choice whose options are read as plain values: the ``label_field`` column."""

    iterator = _ValuesIterator

    def __init__(self, *args: Any, label_field: str, **kwargs: Any) -> None:
        self.label_field = label_field
        super().__init__(*args, **kwargs)


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(
        label="Name, activity or org-id",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    local_authority = forms.ChoiceField(label="Local authority", required=False, widget=QuickSelect)
    postcode = forms.CharField(
        label="Postcode area",
        required=False,
        max_length=20,
        help_text="A district (M32) or sector (M32 0).",
    )
    income_band = forms.MultipleChoiceField(
        label="Size (income band)",
        required=False,
        choices=IncomeBand.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    classification = _LightModelChoiceField(
        label="Classification",
        required=False,
        queryset=Classification.objects.none(),
        empty_label="Any",
        to_field_name="pk",
        label_field="label",
        widget=QuickSelect,
    )
    network = _LightModelChoiceField(
        label="Network",
        required=False,
        queryset=Network.objects.none(),
        empty_label="Any",
        to_field_name="slug",
        label_field="name",
        widget=QuickSelect,
    )
    located = forms.ChoiceField(label="Location", required=False, choices=LOCATED_CHOICES)
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_CHOICES)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=list(SORTS.items()))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.version = data_version()
        la_field = cast(forms.ChoiceField, self.fields["local_authority"])
        la_field.choices = [("", "Any")] + [(a, a) for a in local_authority_choices(self.version)]
        links = Organisation.classifications.through.objects.filter(classification=OuterRef("pk"))
        classification = cast(forms.ModelChoiceField, self.fields["classification"])
        classification.queryset = Classification.objects.filter(Exists(links)).order_by(
            "scheme", "label"
        )
        self.fields["network"].queryset = Network.objects.order_by("name")  # type: ignore[attr-defined]

    def clean_postcode(self) -> str:
        value = re.sub(r"\s+", " ", self.cleaned_data["postcode"].strip().upper())
        if value and not re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?( [0-9])?", value):
            raise forms.ValidationError(
                "Enter a postcode district like M32 or a sector like M32 0."
            )
        return value

    def cache_key(self, kind: str, *extra: Any) -> str:
        """A cache key for ``kind`` of result of this filter on the current data."""
        data = getattr(self, "cleaned_data", {})
        filters = sorted(
            (name, _plain(value))
            for name, value in data.items()
            if name != "sort" and value not in ("", None, [])
        )
        digest = hashlib.sha1(repr((filters, extra)).encode(), usedforsecurity=False)
        return f"directory:{kind}:{self.version}:{digest.hexdigest()}"


def _plain(value: Any) -> Any:
    if isinstance(value, Network):
        return value.slug
    if isinstance(value, Classification):
        return value.pk
    if isinstance(value, list):
        return sorted(value)
    return value


def filter_organisations(params: Any) -> tuple[DirectoryFilterForm, QuerySet[Organisation]]:
    """The bound filter form and the organisations it selects, sorted.

    An invalid form selects with its valid fields only and carries its errors for display.
    """
    form = DirectoryFilterForm(params or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    organisations = Organisation.objects.all()
    query = (data.get("q") or "").strip()
    sort = data.get("sort") or ("relevance" if query else "name")
    status = data.get("status") or "active"
    narrowed = any(data.get(name) for name in NARROWING)
    if status != "all" and sort in {"name", "-name"} and not narrowed:
        organisations = organisations.filter(status=status)  # read in order by (status, name)
    elif status != "all":
        # Reading the table beats SQLite's choice of looking every row of the status up
        # through the (status, name) index: two to four times slower with 170,000 rows.
        organisations = organisations.filter(Exact(Unindexed("status"), status))
    if query:
        organisations = _matching(organisations, query)
    if area := data.get("local_authority"):
        organisations = organisations.filter(local_authority=area)
    if postcode := data.get("postcode"):
        prefix = postcode if " " in postcode else postcode + " "
        organisations = organisations.filter(postcode__startswith=prefix)
    if bands := data.get("income_band"):
        organisations = organisations.filter(income_band__in=bands)
    if classification := data.get("classification"):
        organisations = organisations.filter(classifications=classification)
    if network := data.get("network"):
        organisations = organisations.filter(networks=network)
    if data.get("located") == "yes":
        organisations = organisations.exclude(geocode_precision=GeocodePrecision.NONE)
    elif data.get("located") == "no":
        organisations = organisations.filter(geocode_precision=GeocodePrecision.NONE)
    return form, _sorted(organisations, sort)


class Unindexed(Func):
    """A column as a value SQLite will not look up in an index (``+column``)."""

    template = "%(expressions)s"

    def __init__(self, field: str) -> None:
        super().__init__(F(field))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="+%(expressions)s", **extra)


_LIKE_SPECIAL = re.compile(r"[%_\\]")


class _SQLiteLikeMixin:
    """SQLite's ``LIKE`` without ``ESCAPE '\\'`` when the word holds nothing to escape.

    The result is the same, and SQLite's ``LIKE`` with an ``ESCAPE`` takes half as long again:
    that counts when each word is looked for in the name and activities of every organisation.
    """

    rhs: Any

    def get_rhs_op(self, connection: Any, rhs: str) -> str:
        operator: str = super().get_rhs_op(connection, rhs)  # type: ignore[misc]
        if connection.vendor == "sqlite" and not _LIKE_SPECIAL.search(str(self.rhs)):
            operator = operator.replace(" ESCAPE '\\'", "")
        return operator


class _IContains(_SQLiteLikeMixin, IContains):
    pass


class _IExact(_SQLiteLikeMixin, IExact):
    pass


class _IStartsWith(_SQLiteLikeMixin, IStartsWith):
    pass


def _matching(organisations: QuerySet[Organisation], query: str) -> QuerySet[Organisation]:
    """Every word must appear in the name, activities, objects or org-id; rank name hits."""
    words = [w for w in re.split(r"\s+", query) if w][:8]
    for word in words:
        organisations = organisations.filter(
            Q(_IContains(F("name"), word))
            | Q(_IContains(F("activities"), word))
            | Q(_IContains(F("objects_text"), word))
            | Q(_IExact(F("org_id"), word))
            | Q(_IExact(F("postcode"), word))
        )
    score = [
        _points(_IExact(F("name"), query), 20),
        _points(_IStartsWith(F("name"), query), 8),
        _points(_IExact(F("org_id"), query), 50),
        *(_points(_IContains(F("name"), w), 3) for w in words),
        *(_points(_IContains(F("activities"), w), 1) for w in words),
    ]
    return organisations.annotate(
        relevance=reduce(add, score[1:], score[0]),
    )


def _points(condition: Any, points: int) -> Case:
    return Case(When(condition, then=Value(points)), default=Value(0))


def _sorted(organisations: QuerySet[Organisation], sort: str) -> QuerySet[Organisation]:
    if sort == "relevance" and "relevance" in organisations.query.annotations:
        return organisations.order_by(F("relevance").desc(), "name", "pk")
    if sort in {"income", "-income"}:
        field = F("income")
        order = field.desc(nulls_last=True) if sort.startswith("-") else field.asc(nulls_last=True)
        return organisations.order_by(order, "name", "pk")
    if sort in SORTS and sort != "relevance":
        return organisations.order_by(sort, "pk")
    return organisations.order_by("name", "pk")


class DirectoryPaginator(Paginator):
    """Pages of a filter, with the count and the rows' keys cached for the current data.

    A word search reads and ranks every row whatever the page: it fetches the keys of all
    its organisations in order at once (one pass instead of a count and a page) and keeps
    them, so that its count and every page after the first cost a read by key. Other
    filters count and read a page as usual, and keep both.
    """

    def __init__(self, organisations: QuerySet[Organisation], form: DirectoryFilterForm) -> None:
        super().__init__(organisations, PAGE_SIZE)
        self.organisations = organisations
        self.form = form
        self.sort = getattr(form, "cleaned_data", {}).get("sort")

    @cached_property
    def ranked(self) -> array[int] | None:
        """Every selected organisation's key, in order, for a word search; else None."""
        if not getattr(self.form, "cleaned_data", {}).get("q", "").strip():
            return None
        key = self.form.cache_key("ranked", self.sort)
        pks: array[int] | None = cache.get(key)
        if pks is None:
            pks = array("q", self.organisations.values_list("pk", flat=True))
            cache.set(key, pks, CACHE_SECONDS)
        return pks

    @cached_property
    def count(self) -> int:
        if self.ranked is not None:
            return len(self.ranked)
        key = self.form.cache_key("count")
        count: int | None = cache.get(key)
        if count is None:
            count = self.organisations.count()
            cache.set(key, count, CACHE_SECONDS)
        return count

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        key = self.form.cache_key("page", number, self.sort)
        pks = self.ranked[bottom:top].tolist() if self.ranked is not None else cache.get(key)
        if pks is None:
            rows = list(self.organisations[bottom:top])
            cache.set(key, [o.pk for o in rows], CACHE_SECONDS)
        else:
            by_pk = Organisation.objects.in_bulk(pks)
            rows = [by_pk[pk] for pk in pks if pk in by_pk]
        return Page(rows, number, self)
