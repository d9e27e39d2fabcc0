"""Running an importer over a file: idempotent, atomic, every row accounted for.

``read = created + updated + unchanged + rejected`` holds for every run. Organisation
imports match rows to organisations by org-id, compare a fingerprint of the record to skip
unchanged rows, geocode new and moved organisations offline, and (for a full file of a
register) mark organisations of the same source that the file no longer holds as removed —
they are never deleted. Relationship imports add ties and network memberships between
organisations already in the directory.

The whole import runs in one transaction: a failure leaves the database as it was, and the
:class:`ImportRun` records the failure.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from swim.csv_safety import SafeWriter
from swim.directory.geocoding import geocode_many, normalise_postcode
from swim.directory.importers.base import (
    PROBLEM,
    ClassificationRef,
    Importer,
    NetworkRecord,
    OrgRecord,
    Record,
    Rejected,
    TieRecord,
    TrackingRow,
)
from swim.directory.models import (
    Area,
    Classification,
    GeocodePrecision,
    ImportRun,
    IncomeBand,
    Network,
    NetworkMembership,
    Organisation,
    Tie,
)

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]
BATCH = 2000
FUTURE_DAYS = 366  # a financial year may end up to a year ahead
ANALYZE_AFTER = 5000
MAX_STORED_REJECTIONS = 1000

ORG_FIELDS = [
    "name",
    "status",
    "other_ids",
    "date_registered",
    "date_removed",
    "address",
    "postcode",
    "local_authority_code",
    "local_authority",
    "area_of_operation",
    "income",
    "spending",
    "financial_year_end",
    "activities",
    "objects_text",
    "website",
    "email",
    "phone",
    "source_date",
]
LOCATION_FIELDS = ["latitude", "longitude", "geocode_precision"]
#: What is read of an organisation already in the directory; every field written back is
#: set from the record first, so no deferred field is ever loaded one by one.
EXISTING_FIELDS = [
    "pk",
    "org_id",
    "import_hash",
    "source",
    "latitude",
    "longitude",
    "geocode_precision",
]
UPDATE_FIELDS = [
    *ORG_FIELDS,
    *LOCATION_FIELDS,
    "income_band",
    "source",
    "import_hash",
    "last_import",
    "updated_at",
]


@dataclass
class Tally:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    removed: int = 0
    geocoded: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, row: int, reason: str) -> None:
        self.rejected += 1
        self.rejections.append({"row": row, "reason": reason})

    def warn(self, row: int, reason: str) -> None:
        """A row imported with a value dropped (the reason says which and why)."""
        self.warnings.append({"row": row, "reason": reason})


class ImportFailed(Exception):
    """The import stopped; nothing was saved."""


def run_import(
    importer: Importer,
    path: Path,
    *,
    sample: int | None = None,
    started_by: Any = None,
    job: Any = None,
    progress: Progress | None = None,
    file_name: str = "",
) -> ImportRun:
    """Import ``path`` with ``importer`` and return the finished :class:`ImportRun`.

    With ``sample``, only the first ``sample`` rows are read and nothing is marked removed.
    Raises :class:`ImportFailed` (after recording the run as failed) when the file cannot be
    read at all; bad rows are rejected and reported, not fatal.
    """
    path = Path(path)
    run = ImportRun.objects.create(
        source=importer.name,
        file_name=file_name or path.name,
        started_by=started_by,
        job=job,
        options={"sample": sample} if sample else {},
    )
    tally = Tally()
    try:
        with transaction.atomic():
            rows = importer.rows(path)
            if sample:
                rows = itertools.islice(rows, sample)
            if importer.produces == "organisations":
                _import_organisations(importer, path, rows, run, tally, sample, progress)
            else:
                networks = _import_relationships(rows, importer, tally, progress)
                run.options["same_network_ties"] = sum(
                    same_network_ties(network, importer.name) for network in networks
                )
    except Exception as exc:
        logger.exception("Import of %s with %s failed", path, importer.name)
        run.status = ImportRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}. Nothing was saved."
        run.finished_at = timezone.now()
        run.read = tally.read
        run.save()
        raise ImportFailed(run.error) from exc
    _finish(run, tally)
    if tally.created + tally.updated + tally.removed >= ANALYZE_AFTER:
        refresh_statistics()
    return run


def refresh_statistics() -> None:
    """Let the database re-plan queries after a large change (SQLite does not on its own)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _finish(run: ImportRun, tally: Tally) -> None:
    assert tally.read == tally.created + tally.updated + tally.unchanged + tally.rejected
    for name in ("read", "created", "updated", "unchanged", "rejected", "removed", "geocoded"):
        setattr(run, name, getattr(tally, name))
    tally.rejections.sort(key=lambda r: r["row"])
    run.rejections = tally.rejections[:MAX_STORED_REJECTIONS]
    run.warnings = tally.warnings[:MAX_STORED_REJECTIONS]
    run.warned = len(tally.warnings)
    if tally.rejections or tally.warnings:
        run.report_file = str(_write_report(run, tally))
    run.status = ImportRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()


def _write_report(run: ImportRun, tally: Tally) -> Path:
    """Every rejected row and every warning, in row order, as CSV."""
    folder = Path(settings.VAR_DIR) / "import-reports"
    folder.mkdir(parents=True, exist_ok=True)
    report = folder / f"import-{run.pk}-{slugify(run.source)}-report.csv"
    entries = [{"kind": "rejected", **r} for r in tally.rejections]
    entries += [{"kind": "warning", **w} for w in tally.warnings]
    with report.open("w", newline="") as out:
        writer = SafeWriter(out)  # a reason may quote a cell of the file: never a formula
        writer.writerow(["row", "kind", "reason"])
        for entry in sorted(entries, key=lambda e: (e["row"], e["kind"])):
            writer.writerow([entry["row"], entry["kind"], entry["reason"]])
    return report


def _parsed(
    importer: Importer, rows: Iterable[dict[str, str]], tally: Tally
) -> Iterator[tuple[int, list[Record]]]:
    """(row number, records) for each row; rejected rows are tallied and skipped.

    Row numbers count the header as row 1, as a spreadsheet shows them.
    """
    for number, raw in enumerate(rows, start=2):
        tally.read += 1
        if PROBLEM in raw:
            tally.reject(number, raw[PROBLEM])
            continue
        row = TrackingRow(raw)
        try:
            parsed = importer.parse_row(row)
        except Rejected as exc:
            reason, field_name = str(exc), row.last_field
            if exc.in_field and field_name and not reason.startswith(f"{field_name}:"):
                reason = f"{field_name}: {reason}"
            tally.reject(number, reason)
            continue
        except (ValueError, KeyError) as exc:
            tally.reject(number, f"unreadable row ({type(exc).__name__}: {exc})")
            continue
        records = parsed if isinstance(parsed, list) else [parsed] if parsed else []
        yield number, records


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


# --- Organisations -------------------------------------------------------------------------


def _import_organisations(
    importer: Importer,
    path: Path,
    rows: Iterable[dict[str, str]],
    run: ImportRun,
    tally: Tally,
    sample: int | None,
    progress: Progress | None,
) -> None:
    source = importer.source_key(path)
    seen: dict[str, int] = {}
    classifications = ClassificationCache()
    networks: list[NetworkRecord] = []
    for batch in _batched(_parsed(importer, rows, tally), BATCH):
        records: list[OrgRecord] = []
        for number, found in batch:
            org = next((r for r in found if isinstance(r, OrgRecord)), None)
            if org is None:
                tally.reject(number, "no organisation in this row")
                continue
            problem = _invalid(org, importer)
            if not problem and org.org_id in seen:
                problem = f"org-id {org.org_id} repeats row {seen[org.org_id]}"
            if problem:
                tally.reject(number, problem)
                continue
            seen[org.org_id] = number
            _check_values(org, number, tally)
            records.append(org)
            networks.extend(
                NetworkRecord(n.network, org.org_id, n.kind, n.role) for n in org.networks
            )
        _save_organisations(records, source, run, tally, classifications)
        if progress:
            progress(tally.read, f"{tally.read:,} rows read")
    if networks:
        _save_networks(networks, source=importer.name)
    if importer.marks_vanished and not sample:
        tally.removed = (
            Organisation.objects.filter(source=source, status=Organisation.Status.ACTIVE)
            .exclude(last_import=run)
            .update(status=Organisation.Status.REMOVED, date_removed=timezone.localdate())
        )


def _invalid(org: OrgRecord, importer: Importer) -> str:
    prefix = importer.org_id_prefix
    if not org.org_id or (prefix and (not org.org_id.startswith(prefix) or org.org_id == prefix)):
        return f"missing or malformed identifier {org.org_id!r}"
    if not org.name.strip():
        return "the organisation has no name"
    if len(org.name) > 300:
        return "the name is longer than 300 characters"
    if org.status not in Organisation.Status.values:
        return f"unknown status {org.status!r}"
    for coordinate, limit in ((org.latitude, 90), (org.longitude, 180)):
        if coordinate is not None and not -limit <= coordinate <= limit:
            return f"coordinate {coordinate} is out of range"
    return ""


def _check_values(org: OrgRecord, number: int, tally: Tally) -> None:
    """Drop impossible values with a warning naming the field; the organisation is kept.

    A negative income, a registration in the future or an invalid postcode is a mistake in
    one field of the register, not a reason to lose the organisation.
    """
    for name, label in (("income", "income"), ("spending", "spending")):
        amount = getattr(org, name)
        if amount is not None and amount < 0:
            tally.warn(number, f"{label}: £{amount:,} is negative; imported without it")
            setattr(org, name, None)
    today = timezone.localdate()
    latest_year_end = today + timedelta(days=FUTURE_DAYS)
    for name, label, latest in (
        ("date_registered", "date registered", today),
        ("date_removed", "date removed", today),
        ("financial_year_end", "financial year end", latest_year_end),
    ):
        day = getattr(org, name)
        if day is not None and day > latest:
            tally.warn(number, f"{label}: {day:%d %b %Y} is in the future; imported without it")
            setattr(org, name, None)
    if org.postcode:
        normalised = normalise_postcode(org.postcode)
        if not normalised:
            tally.warn(
                number, f"postcode: {org.postcode!r} is not a valid postcode; imported without it"
            )
        org.postcode = normalised


def _save_organisations(
    records: list[OrgRecord],
    source: str,
    run: ImportRun,
    tally: Tally,
    classifications: ClassificationCache,
) -> None:
    if not records:
        return
    existing = {
        org.org_id: org
        for org in Organisation.objects.filter(org_id__in=[r.org_id for r in records]).only(
            *EXISTING_FIELDS
        )
    }
    to_locate = [r.postcode for r in records if r.latitude is None]
    locations = geocode_many(to_locate)
    areas = dict(Area.objects.values_list("code", "name"))
    now = timezone.now()
    new: list[Organisation] = []
    changed: list[tuple[Organisation, OrgRecord]] = []
    for record in records:
        fingerprint = record.fingerprint()
        org = existing.get(record.org_id)
        if org is not None and org.import_hash == fingerprint and org.source == source:
            tally.unchanged += 1
            continue
        is_new = org is None
        org = org or Organisation(org_id=record.org_id, created_at=now)
        for name in ORG_FIELDS:
            setattr(org, name, getattr(record, name))
        org.source = source
        org.import_hash = fingerprint
        org.last_import = run
        org.updated_at = now
        org.income_band = IncomeBand.for_income(org.income)
        tally.geocoded += _locate(org, record, locations.get(record.postcode), areas)
        if is_new:
            new.append(org)
        else:
            changed.append((org, record))
    Organisation.objects.bulk_create(new, batch_size=500)
    if changed:
        Organisation.objects.bulk_update([o for o, _ in changed], UPDATE_FIELDS, batch_size=500)
    tally.created += len(new)
    tally.updated += len(changed)
    Organisation.objects.filter(org_id__in=[r.org_id for r in records]).update(last_import=run)
    touched = {r.org_id: r for r in records}
    saved = [*new, *(o for o, _ in changed)]
    if any(touched[o.org_id].classifications for o in saved) or changed:
        classifications.assign(
            {o.pk: touched[o.org_id].classifications for o in saved},
            replace=[o.pk for o, _ in changed],
        )


def _locate(org: Organisation, record: OrgRecord, found: Any, areas: dict[str, str]) -> int:
    """Set the organisation's coordinates; 1 when they came from the postcode files."""
    if record.latitude is not None and record.longitude is not None:
        org.latitude, org.longitude = record.latitude, record.longitude
        org.geocode_precision = GeocodePrecision.SUPPLIED
        return 0
    if org.geocode_precision == GeocodePrecision.SUPPLIED and org.latitude is not None:
        return 0  # Organisations already carrying coordinates keep them.
    if found is None:
        org.latitude = org.longitude = None
        org.geocode_precision = GeocodePrecision.NONE
        return 0
    org.latitude, org.longitude, org.geocode_precision = (
        found.latitude,
        found.longitude,
        found.precision,
    )
    if found.local_authority_code and not record.local_authority_code:
        org.local_authority_code = found.local_authority_code
        org.local_authority = areas.get(found.local_authority_code, "")
    return 1


class ClassificationCache:
    """Get-or-create classifications once per import and set them on organisations."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], int] = {
            (c.scheme, c.code): c.pk for c in Classification.objects.all()
        }

    def id_for(self, ref: ClassificationRef) -> int:
        key = (ref.scheme, ref.code)
        if key not in self.ids:
            self.ids[key] = Classification.objects.create(
                scheme=ref.scheme, code=ref.code[:60], label=ref.label[:300]
            ).pk
        return self.ids[key]

    def assign(self, refs: dict[int, list[ClassificationRef]], replace: list[int]) -> None:
        through = Organisation.classifications.through
        if replace:
            through.objects.filter(organisation_id__in=replace).delete()
        links = {
            (org_pk, self.id_for(ref)) for org_pk, org_refs in refs.items() for ref in org_refs
        }
        table = through._meta.db_table
        columns = "organisation_id, classification_id"
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY is several times faster than row-by-row inserts on PostgreSQL.
                cursor.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS _class_load "
                    "(organisation_id bigint, classification_id bigint) ON COMMIT DROP"
                )
                cursor.execute("TRUNCATE _class_load")
                with cursor.copy(f"COPY _class_load ({columns}) FROM STDIN") as copy:
                    for link in sorted(links):
                        copy.write_row(link)
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _class_load "  # noqa: S608
                    "ON CONFLICT DO NOTHING"
                )
            else:
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES (%s, %s) "  # noqa: S608
                    "ON CONFLICT DO NOTHING",
                    sorted(links),
                )


# --- Relationships -------------------------------------------------------------------------


def _import_relationships(
    rows: Iterable[dict[str, str]], importer: Importer, tally: Tally, progress: Progress | None
) -> list[Network]:
    """Save ties and memberships; return the networks that gained members."""
    network_cache: dict[str, Network] = {}
    for batch in _batched(_parsed(importer, rows, tally), BATCH):
        org_ids = {
            oid
            for _, records in batch
            for r in records
            for oid in ((r.a, r.b) if isinstance(r, TieRecord) else (r.org_id,))
        }
        pks = dict(Organisation.objects.filter(org_id__in=org_ids).values_list("org_id", "pk"))
        for number, records in batch:
            outcomes: list[str] = []
            missing: list[str] = []
            for record in records:
                if isinstance(record, TieRecord):
                    outcome = _save_tie(record, pks, importer.name, missing)
                elif isinstance(record, NetworkRecord):
                    outcome = _save_membership(record, pks, importer.name, network_cache, missing)
                else:
                    outcome = "rejected"
                outcomes.append(outcome)
            if not records:
                tally.reject(number, "no relationship in this row")
            elif "created" in outcomes:
                tally.created += 1
            elif "updated" in outcomes:
                tally.updated += 1
            elif "unchanged" in outcomes:
                tally.unchanged += 1
            else:
                reason = "not in the directory: " + ", ".join(sorted(set(missing))[:5])
                tally.reject(
                    number,
                    reason if missing else "the relationship links an organisation to itself",
                )
        if progress:
            progress(tally.read, f"{tally.read:,} rows read")
    return list(network_cache.values())


def _save_tie(record: TieRecord, pks: dict[str, int], source: str, missing: list[str]) -> str:
    a, b = pks.get(record.a), pks.get(record.b)
    missing.extend(oid for oid, pk in ((record.a, a), (record.b, b)) if pk is None)
    if a is None or b is None or a == b:
        return "rejected"
    a, b = min(a, b), max(a, b)
    tie, created = Tie.objects.get_or_create(
        a_id=a,
        b_id=b,
        kind=record.kind,
        defaults={"weight": record.weight, "source": source, "evidence": record.evidence[:300]},
    )
    if created:
        return "created"
    if tie.weight != record.weight or tie.evidence != record.evidence[:300]:
        tie.weight, tie.evidence = record.weight, record.evidence[:300]
        tie.save(update_fields=["weight", "evidence"])
        return "updated"
    return "unchanged"


def _network(name: str, kind: str, source: str, cache: dict[str, Network]) -> Network:
    slug = slugify(name)[:120] or "network"
    if slug not in cache:
        cache[slug], _ = Network.objects.get_or_create(
            slug=slug, defaults={"name": name, "kind": kind, "source": source}
        )
    return cache[slug]


def _save_membership(
    record: NetworkRecord,
    pks: dict[str, int],
    source: str,
    cache: dict[str, Network],
    missing: list[str],
) -> str:
    pk = pks.get(record.org_id)
    if pk is None:
        missing.append(record.org_id)
        return "rejected"
    network = _network(record.network, record.kind, source, cache)
    membership, created = NetworkMembership.objects.get_or_create(
        network=network, organisation_id=pk, defaults={"role": record.role, "source": source}
    )
    if created:
        return "created"
    if membership.role != record.role:
        membership.role = record.role
        membership.save(update_fields=["role"])
        return "updated"
    return "unchanged"


def _save_networks(records: list[NetworkRecord], source: str) -> None:
    """Memberships declared inside register rows (e.g. an IRS group exemption)."""
    cache: dict[str, Network] = {}
    pks = dict(
        Organisation.objects.filter(org_id__in={r.org_id for r in records}).values_list(
            "org_id", "pk"
        )
    )
    for record in records:
        _save_membership(record, pks, source, cache, [])


def same_network_ties(network: Network, source: str = "federations") -> int:
    """Tie the members of ``network`` that share a local authority (or postcode district).

    Members of a national federation are not all related; two of its local groups in the
    same place are, and that is the relationship a local cluster can build on. Returns how
    many new ties were made (places with over 200 members of one network are skipped: there
    the network says little about who works with whom).
    """
    members = list(
        Organisation.objects.filter(networks=network)
        .exclude(Q(local_authority_code="") & Q(postcode=""))
        .values_list("pk", "local_authority_code", "postcode")
    )
    places: dict[str, list[int]] = {}
    for pk, area, postcode in members:
        key = area or postcode.partition(" ")[0]
        places.setdefault(key, []).append(pk)
    ties = [
        Tie(
            a_id=a,
            b_id=b,
            kind=Tie.Kind.SAME_NETWORK,
            source=source,
            evidence=f"Both in {network.name}"[:300],
        )
        for pks in places.values()
        if len(pks) <= 200
        for a, b in itertools.combinations(sorted(pks), 2)
    ]
    before = Tie.objects.filter(kind=Tie.Kind.SAME_NETWORK).count()
    Tie.objects.bulk_create(ties, batch_size=1000, ignore_conflicts=True)
    return Tie.objects.filter(kind=Tie.Kind.SAME_NETWORK).count() - before


def describe(importer: type[Importer]) -> dict[str, Any]:
    """The importer's source metadata, for help texts and the upload page."""
    return {
        "name": importer.name,
        "title": importer.title,
        "publisher": importer.publisher,
        "licence": importer.licence,
        "org_id_prefix": importer.org_id_prefix,
        "produces": importer.produces,
        "download_url": importer.download_url,
    }
