"""The CCNI register importer on the real 2020 register."""

from pathlib import Path

import pytest
from django.conf import settings

from swim.directory.importers.ccni import CcniImporter
from swim.directory.importing import run_import
from swim.directory.models import Organisation
from swim.directory.postcodes import load_postcodes


@pytest.mark.realdata
@pytest.mark.django_db
def test_the_real_ni_register_imports_whole_and_mostly_geocoded() -> None:
    data = Path(settings.SHARED_DATA_DIR)
    register = data / "ccni-register-2020" / "ccni_register_2020-06-30_excluding_west.csv"
    if not register.is_file():
        pytest.skip(f"{register} not present (the public data sets are not on this machine)")
    load_postcodes(data / "uk-postcodes" / "ni_postcodes_fhrs_dedup.csv")
    load_postcodes(data / "uk-postcodes" / "ni_outcode_centroids_fhrs.csv")
    run = run_import(CcniImporter(), register)
    assert (run.read, run.created, run.rejected) == (5506, 5506, 0)
    assert Organisation.objects.filter(status="removed").count() == 295
    located = Organisation.objects.exclude(geocode_precision="none").count()
    assert located / run.read > 0.98
    # The label lists with commas inside labels split into the known vocabulary.
    youth = (
        "The relief of those in need by reason of youth, age, ill-health, disability, "
        "financial hardship or other disadvantage"
    )
    assert Organisation.objects.filter(classifications__label=youth).count() > 1000
    again = run_import(CcniImporter(), register)
    assert again.unchanged == 5506
