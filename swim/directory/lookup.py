"""Finding an organisation from what a person types: its org-id or its name.

The rule every form that names one organisation follows (the diagnostic's invitations, the
discovery form's "partners for"):

- an **org-id** finds its organisation, in any case (``gb-chc-1234567``);
- a **name** finds it when typed as the directory has it (case and repeated spaces aside) and
  only when exactly one organisation has it — one *active* organisation, if some are active
  and others removed from the register; two with the same name must be told apart by org-id;
- ``Name (GB-CHC-1234567)``, as the type-ahead list offers an organisation, is read by its
  org-id.

:func:`find_organisation` applies it to one value (a ``ValidationError`` says what is wrong),
:func:`find_organisations` to many in one query (the bulk invitations). With JavaScript on,
:class:`OrganisationInput` offers the organisations matching the words typed: a
``<datalist>`` that HTMX fills from ``directory-lookup`` (:func:`offered`, the directory's own
search, at most :data:`OPTIONS_SHOWN`); with it off, the box is a plain text box and the rule
applies on submit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from swim.directory.models import Organisation
from swim.directory.search import PREFIX_FROM, DirectoryFilterForm, filter_organisations

#: Most organisations the type-ahead list offers.
OPTIONS_SHOWN = 20
#: Most org-ids listed when a name belongs to several organisations.
AMBIGUOUS_SHOWN = 5
#: Longest words the type-ahead looks for (the directory search box's own limit).
MAX_WORDS_LENGTH = cast(forms.CharField, DirectoryFilterForm.base_fields["q"]).max_length or 200

_ORG_ID = re.compile(r"[A-Za-z]{2}-[A-Za-z]{2,10}-\S+")
_BRACKETED = re.compile(r"(?P<name>.*?)\s*\((?P<org_id>[A-Za-z]{2}-[A-Za-z]{2,10}-[^()\s]+)\)")


def tidy(value: str) -> str:
    """``value`` with surrounding spaces trimmed and runs of spaces made one."""
    return " ".join(value.split())


@dataclass(frozen=True)
class Found:
    """What a typed organisation names: the organisation, or why none (a sentence's end)."""

    organisation: Organisation | None
    problem: str = ""
    code: str = ""


def find_organisation(typed: str, queryset: QuerySet[Organisation] | None = None) -> Organisation:
    """The organisation ``typed`` names, among ``queryset`` (every organisation by default).

    Raises ``ValidationError`` with a sentence to show beside the field: ``required`` for
    nothing typed, ``unknown`` for a name or org-id no organisation has, ``ambiguous`` for a
    name several have (listing their org-ids).
    """
    if not tidy(typed):
        raise ValidationError("Give the organisation's name or org-id.", code="required")
    found = find_organisations([typed], queryset)[typed]
    if found.organisation is None:
        raise ValidationError(sentence(found.problem), code=found.code)
    return found.organisation


def sentence(problem: str) -> str:
    """A :class:`Found` problem as a sentence of its own: capital first, full stop last."""
    return problem[:1].upper() + problem[1:] + "."


def find_organisations(
    typed: Iterable[str], queryset: QuerySet[Organisation] | None = None
) -> dict[str, Found]:
    """The organisation each of ``typed`` names (by org-id, else by name), in one query.

    Keys are the values as given. A value no organisation has, or a name several have,
    maps to a ``Found`` whose ``problem`` says so, for example
    "2 organisations are called 'Age UK Trafford': use the org-id (GB-CHC-1 or GB-CHC-2)".
    """
    values = {value: tidy(value) for value in set(typed)}
    org_ids, names = set(), set()
    for text in values.values():
        bracketed = _BRACKETED.fullmatch(text)
        if bracketed:
            org_ids.add(bracketed["org_id"].lower())
        elif text:
            org_ids.add(text.lower())
            names.add(text.lower())
    by_id: dict[str, Organisation] = {}
    by_name: dict[str, list[Organisation]] = {}
    if org_ids or names:
        among = Organisation.objects.all() if queryset is None else queryset
        candidates = among.annotate(lower_id=Lower("org_id"), lower_name=Lower("name")).filter(
            Q(lower_id__in=org_ids) | Q(lower_name__in=names)
        )
        for organisation in candidates.only("pk", "org_id", "name", "status", "postcode"):
            by_id[organisation.org_id.casefold()] = organisation
            by_name.setdefault(tidy(organisation.name).casefold(), []).append(organisation)
    return {value: _found(text, by_id, by_name) for value, text in values.items()}


def _found(
    text: str, by_id: dict[str, Organisation], by_name: dict[str, list[Organisation]]
) -> Found:
    bracketed = _BRACKETED.fullmatch(text)
    if bracketed:
        org_id = bracketed["org_id"]
        organisation = by_id.get(org_id.casefold())
        if organisation:
            return Found(organisation)
        return Found(None, f"no organisation has the org-id {org_id}", "unknown")
    if text.casefold() in by_id:
        return Found(by_id[text.casefold()])
    named = by_name.get(text.casefold(), [])
    active = [o for o in named if o.status == Organisation.Status.ACTIVE]
    pool = sorted(active or named, key=lambda o: o.org_id)
    if len(pool) == 1:
        return Found(pool[0])
    if pool:
        shown = [o.org_id + (f" in {o.postcode}" if o.postcode else "") for o in pool]
        if len(shown) <= AMBIGUOUS_SHOWN:
            listed = ", ".join(shown[:-1]) + " or " + shown[-1]
        else:
            extra = len(shown) - AMBIGUOUS_SHOWN
            listed = ", ".join(shown[:AMBIGUOUS_SHOWN]) + f" and {extra} more"
        problem = f"{len(pool)} organisations are called '{text}': use the org-id ({listed})"
        return Found(None, problem, "ambiguous")
    if _ORG_ID.fullmatch(text):
        return Found(None, f"no organisation has the org-id {text}", "unknown")
    return Found(None, f"no organisation has the name or org-id '{text}'", "unknown")


# --- The type-ahead list -----------------------------------------------------------------


def search_words(typed: str) -> str:
    """What the type-ahead looks for while a name is typed: a chosen option's org-id, else
    the words, less a last word still too short to be searched for as a word's start.

    >>> search_words("Alpha Women's Centre (GB-CHC-1000001)")
    'GB-CHC-1000001'
    >>> search_words("  alpha   wo")
    'alpha'
    >>> search_words("wo")
    ''
    """
    text = tidy(typed)
    bracketed = _BRACKETED.fullmatch(text)
    if bracketed:
        return bracketed["org_id"]
    words = text.split()
    if words and len(words[-1]) < PREFIX_FROM:
        words.pop()
    return " ".join(words)


def option_value(organisation: Organisation) -> str:
    """How the type-ahead list offers an organisation: its name and, in brackets, its org-id."""
    return f"{organisation.name} ({organisation.org_id})"


def offered(typed: str) -> list[Organisation]:
    """The organisations the type-ahead list offers for ``typed``: at most
    :data:`OPTIONS_SHOWN` active ones matching its words, as the directory's search ranks
    them; none while too little (or far too much) is typed to search for."""
    words = search_words(typed)
    if not words or len(words) > MAX_WORDS_LENGTH:
        return []
    _, organisations = filter_organisations({"q": words})
    return list(organisations.only("pk", "org_id", "name", "postcode")[:OPTIONS_SHOWN])


class OrganisationInput(forms.TextInput):
    """A text box for an organisation's name or org-id that, with JavaScript on, offers the
    organisations matching what is typed.

    It renders the box and an empty ``<datalist>`` (``<id>_options``) beside it, which HTMX
    fills from ``directory-lookup`` as the person types: the box's value is sent under the
    field's own name, which ``field`` names. Without JavaScript it is a plain text box.
    """

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {
            "autocomplete": "off",
            "spellcheck": "false",
            "hx-trigger": "input changed delay:250ms",
            "hx-swap": "innerHTML",
            "hx-sync": "this:replace",
        }
        super().__init__({**defaults, **(attrs or {})})

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        attrs = dict(attrs or {})
        options_id = f"{attrs.get('id') or self.attrs.get('id') or 'id_' + name}_options"
        attrs["list"] = options_id
        attrs["hx-target"] = f"#{options_id}"
        attrs["hx-get"] = f"{reverse('directory-lookup')}?{urlencode({'field': name})}"
        box = super().render(name, value, attrs, renderer)
        return format_html('{}\n<datalist id="{}"></datalist>', box, options_id)
