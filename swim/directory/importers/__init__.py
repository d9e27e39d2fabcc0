"""One importer per source; ``get_importer(name)`` finds one by its ``name``.

To add a source, write a module here with an :class:`~.base.Importer` subclass and list it in
``IMPORTER_CLASSES``.
"""

from __future__ import annotations

from importlib import import_module

from swim.directory.importers.base import Importer

IMPORTER_CLASSES = {
    "ccni": "swim.directory.importers.ccni.CcniImporter",
    "ccew": "swim.directory.importers.ccew.CcewImporter",
    "oscr": "swim.directory.importers.oscr.OscrImporter",
    "ukcat": "swim.directory.importers.ukcat.UkcatImporter",
    "irs": "swim.directory.importers.irs.IrsImporter",
    "csv": "swim.directory.importers.csv_groups.CsvGroupsImporter",
    "federations": "swim.directory.importers.federations.FederationsImporter",
    "mergers": "swim.directory.importers.mergers.MergersImporter",
    "parents": "swim.directory.importers.parents.ParentsImporter",
    "trustees": "swim.directory.importers.trustees.TrusteesImporter",
}


def importer_names() -> list[str]:
    return sorted(IMPORTER_CLASSES)


def get_importer_class(name: str) -> type[Importer]:
    """The importer class registered as ``name`` (``KeyError`` with the choices if unknown)."""
    if name not in IMPORTER_CLASSES:
        raise KeyError(f"unknown source {name!r}; choose from {', '.join(importer_names())}")
    module, _, cls = IMPORTER_CLASSES[name].rpartition(".")
    importer: type[Importer] = getattr(import_module(module), cls)
    return importer
