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
from dataclasses import dataclass
from functools import cached_property
from html import escape
from typing import Any, cast

from django import forms
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.lookups import Exact
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe

from swim.directory.geocoding import normalise_postcode
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


_TOKEN = re.compile(r"[^\W_]+")  # letters and digits: what both databases index as words
_ORG_ID = re.compile(r"([A-Za-z]{2}-[A-Za-z]{2,10})-([A-Za-z0-9-]*[0-9][A-Za-z0-9-]*)")
_POSTCODE = re.compile(r"\b[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}\b")
MAX_WORDS = 8
PREFIX_FROM = 3  # the last word also finds longer words from this many letters on
FTS_TABLE = "directory_organisation_fts"
#: Words too common to search for: PostgreSQL's English stop words (its ``english.stop``),
#: left out on SQLite too so that both find the same organisations.
_STOP_TEXT = """
a about above after again against all am an and any are as at be because been before being
below between both but by can did do does doing don down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its
itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own s same she should so some such t than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with you your yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
#: bm25() weights of the SQLite index's columns: name, activities, objects.
SQLITE_WEIGHTS = (10.0, 4.0, 1.0)
NAME_MATCH = 1000.0  # added to the relevance of organisations whose name holds every word


@dataclass(frozen=True)
class SearchTerms:
    """A search box's words, sorted into what each is looked for as.

    Anything can be typed: only letters and digits make words, so quotes, operators and
    punctuation never reach a full-text query as syntax.

    >>> SearchTerms.parse('Scouts "youth" AND  NEAR( gb-chc-1234567 m32 0aa')
    SearchTerms(words=('scouts', 'youth', 'near'), org_ids=('gb-chc-1234567',), \
postcode='M32 0AA')
    >>> bool(SearchTerms.parse('" * - ()'))
    False
    """

    words: tuple[str, ...]
    org_ids: tuple[str, ...] = ()
    postcode: str = ""

    @classmethod
    def parse(cls, query: str) -> SearchTerms:
        pieces = query.split()
        org_ids = [piece for piece in pieces if _ORG_ID.fullmatch(piece)]
        rest = " ".join(piece for piece in pieces if not _ORG_ID.fullmatch(piece))
        postcode = ""
        if found := _POSTCODE.search(rest):
            postcode = normalise_postcode(found.group())
            rest = rest[: found.start()] + " " + rest[found.end() :]
        words = [w for w in map(str.lower, _TOKEN.findall(rest)) if w not in STOP_WORDS]
        return cls(tuple(words[:MAX_WORDS]), tuple(org_ids), postcode)

    def __bool__(self) -> bool:
        return bool(self.words or self.org_ids or self.postcode)

    def fts5_query(self) -> str:
        """The words for SQLite's FTS5: each a quoted string (all required), the last a prefix.

        >>> SearchTerms(("youth", "club")).fts5_query()
        '"youth" "club"*'
        """
        quoted = [f'"{word}"' for word in self.words]
        if len(self.words[-1]) >= PREFIX_FROM:
            quoted[-1] += "*"
        return " ".join(quoted)

    def tsquery(self, weights: str = "") -> str:
        """The words for PostgreSQL's ``to_tsquery``, all required, the last a prefix.

        >>> SearchTerms(("youth", "club")).tsquery("A")
        "'youth':A & 'club':*A"
        """
        labels = [f":{weights}" if weights else "" for _ in self.words]
        if len(self.words[-1]) >= PREFIX_FROM:
            labels[-1] = f":*{weights}"
        return " & ".join(
            f"'{word}'{label}" for word, label in zip(self.words, labels, strict=True)
        )


def _matching(organisations: QuerySet[Organisation], query: str) -> QuerySet[Organisation]:
    """Every word in the name, activities or objects (full-text: stemmed, the last word a
    prefix), org-ids and a postcode exactly; ranked with name matches first.

    A search with nothing to look for (only punctuation or stop words) finds nothing.
    """
    terms = SearchTerms.parse(query)
    if not terms:
        return organisations.none()
    if terms.org_ids:
        forms = {form for org_id in terms.org_ids for form in _org_id_forms(org_id)}
        organisations = organisations.filter(org_id__in=sorted(forms))
    if terms.postcode:
        organisations = organisations.filter(postcode=terms.postcode)
    if not terms.words:
        return organisations.annotate(relevance=Value(0.0))
    if connections[organisations.db].vendor == "postgresql":
        return _matching_postgresql(organisations, terms)
    return _matching_sqlite(organisations, terms)


def _org_id_forms(typed: str) -> set[str]:
    """How an org-id typed in any case may be stored: read by the unique index, not scanned.

    >>> sorted(_org_id_forms("gb-chc-1234567"))
    ['GB-CHC-1234567', 'gb-chc-1234567']
    >>> sorted(_org_id_forms("xi-swim-park-m32-8da"))
    ['XI-SWIM-PARK-M32-8DA', 'XI-SWIM-park-m32-8da', 'xi-swim-park-m32-8da']
    """
    found = _ORG_ID.fullmatch(typed)
    assert found is not None
    scheme, local = found.group(1).upper(), found.group(2)
    return {typed, typed.upper(), f"{scheme}-{local}", f"{scheme}-{local.lower()}"}


def _matching_sqlite(
    organisations: QuerySet[Organisation], terms: SearchTerms
) -> QuerySet[Organisation]:
    """Joined to the FTS5 index (:class:`OrganisationText`), ranked by weighted bm25()."""
    match = terms.fts5_query()
    in_name = RawSQL(  # noqa: S611 - a constant statement; the words are a parameter
        f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608
        [f"{{name}} : ({match})"],
    )
    bm25 = Func(
        F("text_index__document"),
        *(Value(weight) for weight in SQLITE_WEIGHTS),
        function="bm25",
        output_field=FloatField(),
    )
    return organisations.filter(text_index__document__match=match).annotate(
        relevance=_points(Q(pk__in=in_name), NAME_MATCH) - bm25  # bm25: lower is better
    )


class _SearchVector(Func):
    """SQL on the organisations' ``search_vector`` column (PostgreSQL; made by migration 0003).

    ``template`` names the column ``{vector}`` and the queries ``{0}``, ``{1}``…: each a
    ``to_tsquery`` of the text given. The column is reached through the table's alias, so
    the expression stays right when the query is nested in another one.
    """

    def __init__(self, template: str, *queries: str, output_field: Any) -> None:
        super().__init__(F("pk"), *(Value(q) for q in queries), output_field=output_field)
        self.sql_template = template

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        pk, *queries = self.get_source_expressions()
        vector = f"{compiler.quote_name_unless_alias(pk.alias)}.search_vector"
        parts, params = [], []
        for query in queries:
            sql, query_params = compiler.compile(query)
            parts.append(f"to_tsquery('swim_english'::regconfig, {sql})")
            params.extend(query_params)
        return self.sql_template.format(*parts, vector=vector), params


def _matching_postgresql(
    organisations: QuerySet[Organisation], terms: SearchTerms
) -> QuerySet[Organisation]:
    """The GIN-indexed ``search_vector``, ranked by ts_rank() (name A, activities B, objects C)."""
    match = terms.tsquery()
    relevance = _SearchVector(
        f"(CASE WHEN {{vector}} @@ {{0}} THEN {NAME_MATCH} ELSE 0 END"
        " + ts_rank({vector}, {1}))",
        terms.tsquery("A"),
        match,
        output_field=FloatField(),
    )
    found = _SearchVector("{vector} @@ {0}", match, output_field=BooleanField())
    return organisations.filter(found).annotate(relevance=relevance)


def _points(condition: Any, points: float) -> Case:
    return Case(When(condition, then=Value(points)), default=Value(0.0))


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
