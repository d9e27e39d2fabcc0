"""Federated charities: local branches of national networks (charity-lookups).

``federated-charities.csv`` lists, for 34 federations and networks (Scouts, Women's Institute,
Citizens Advice, U3A…), the registered charities that are local members, one row each:
``type`` (the network), ``reg_number`` and ``name``. Each row becomes a membership of the
network named ``type``; afterwards the import ties members of a network that share a place
(see :func:`~swim.directory.importing.same_network_ties`).

``reg_number`` mixes three registers; :func:`org_id_for` turns it into an org-id.
"""

from __future__ import annotations

import re

from swim.directory.importers.base import Importer, NetworkRecord, Rejected, clean

CCEW = re.compile(r"^\d+$")
OSCR = re.compile(r"^SC(\d+)$")
CCNI = re.compile(r"^NIC?(\d+)$")


def org_id_for(reg_number: str) -> str:
    """The org-id of a charity number from any of the three UK registers.

    Digits are an England & Wales number, ``SC…`` a Scottish one and ``NI…`` a Northern
    Irish one; spaces, case and leading zeros do not matter.

    >>> org_id_for("241171"), org_id_for(" sc 7584"), org_id_for("NI106288")
    ('GB-CHC-241171', 'GB-SC-SC007584', 'GB-NIC-106288')
    >>> org_id_for("0241171"), org_id_for("NIC 100002")
    ('GB-CHC-241171', 'GB-NIC-100002')
    >>> org_id_for("XN45678")
    Traceback (most recent call last):
    ...
    swim.directory.importers.base.Rejected: 'XN45678' is not a charity number of a UK register
    """
    compact = re.sub(r"\s+", "", reg_number or "").upper()
    if CCEW.match(compact) and int(compact):
        return f"GB-CHC-{int(compact)}"
    if (match := OSCR.match(compact)) and int(match.group(1)):
        return f"GB-SC-SC{int(match.group(1)):06d}"
    if (match := CCNI.match(compact)) and int(match.group(1)):
        return f"GB-NIC-{int(match.group(1))}"
    raise Rejected(f"{clean(reg_number)!r} is not a charity number of a UK register")


class FederationsImporter(Importer):
    name = "federations"
    title = "Federated charities (local members of national networks)"
    publisher = "David Kane, charity-lookups (data from CCEW, OSCR and CCNI)"
    licence = "Open Database License (ODbL 1.0)"
    org_id_prefix = ""
    produces = "relationships"
    download_url = (
        "https://raw.githubusercontent.com/drkane/charity-lookups/HEAD/federated-charities.csv"
    )
    marks_vanished = False

    def parse_row(self, row: dict[str, str]) -> NetworkRecord:
        network = clean(row.get("type"))
        if not network:
            raise Rejected("the row names no federation (empty type)")
        number = clean(row.get("reg_number"))
        if not number:
            raise Rejected(f"no charity number for {clean(row.get('name')) or 'a member'}")
        return NetworkRecord(
            network=network, org_id=org_id_for(number), kind="federation", role="member"
        )
