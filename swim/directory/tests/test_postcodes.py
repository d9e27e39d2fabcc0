"""Loading postcode centroids and locating organisations with them."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from swim.directory.geocoding import geocode_many, regeocode
from swim.directory.models import Area, Organisation, Postcode
from swim.directory.postcodes import UnknownFormat, load_postcodes
from swim.testing import make_org

DATA = Path(__file__).parent / "data"


@pytest.mark.django_db
def test_it_recognises_each_format_by_its_header() -> None:
    assert load_postcodes(DATA / "postcodes_small.csv").kind == "unit"
    assert load_postcodes(DATA / "sectors_small.csv").kind == "sector"
    assert load_postcodes(DATA / "districts_small.csv").kind == "district"
    result = load_postcodes(DATA / "geonames_small.txt")
    assert (result.kind, result.loaded) == ("geonames", 2)
    assert Postcode.objects.get(code="05401").kind == "zip"
    assert Postcode.objects.get(code="BT14 7PJ").local_authority_code == "N09000003"


@pytest.mark.django_db
def test_geonames_does_not_overwrite_a_better_district_centroid() -> None:
    Postcode.objects.create(code="M32", kind="district", latitude=53.0, longitude=-2.0)
    load_postcodes(DATA / "geonames_small.txt")
    assert Postcode.objects.get(code="M32").latitude == 53.0


@pytest.mark.django_db
def test_loading_twice_updates_rather_than_duplicates(tmp_path: Path) -> None:
    load_postcodes(DATA / "postcodes_small.csv")
    moved = tmp_path / "moved.csv"
    moved.write_text("pcd,lat,lon\nm320aa,53.5,-2.2\nnonsense,1,1\n")
    result = load_postcodes(moved)
    assert (result.loaded, result.skipped) == (1, 1)
    assert Postcode.objects.count() == 3
    assert Postcode.objects.get(code="M32 0AA").latitude == 53.5


@pytest.mark.django_db
def test_an_unknown_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,town\nA,B\n")
    with pytest.raises(UnknownFormat, match="no lat and lon"):
        load_postcodes(path)
    with pytest.raises(CommandError, match="No file"):
        call_command("load_postcodes", str(tmp_path / "missing.csv"))


@pytest.mark.django_db
def test_geocoding_falls_back_from_unit_to_sector_to_district() -> None:
    for name in ("postcodes_small.csv", "sectors_small.csv", "districts_small.csv"):
        load_postcodes(DATA / name)
    found = geocode_many(["BT14 7PJ", "BT28 1ZZ", "BT1 9ZZ", "ZZ9 9ZZ", ""])
    assert {k: v.precision for k, v in found.items()} == {
        "BT14 7PJ": "unit",
        "BT28 1ZZ": "sector",
        "BT1 9ZZ": "district",
    }


@pytest.mark.django_db
def test_loading_postcodes_later_locates_organisations_more_precisely() -> None:
    org = make_org(postcode="BT14 7PJ")
    supplied = make_org(
        postcode="BT14 7PJ", latitude=1.0, longitude=1.0, geocode_precision="supplied"
    )
    call_command("load_postcodes", str(DATA / "postcodes_small.csv"), verbosity=0)
    org.refresh_from_db()
    supplied.refresh_from_db()
    assert (org.latitude, org.geocode_precision) == (54.6101, "unit")
    assert supplied.latitude == 1.0
    assert regeocode() == 0


@pytest.mark.django_db
def test_load_areas_names_organisations_local_authority(tmp_path: Path) -> None:
    make_org(local_authority_code="E08000009")
    path = tmp_path / "areas.csv"
    path.write_text(
        "geographic_area_type,geographic_area_description,GSS,ISO3166-1\n"
        "Local Authority,Trafford,E08000009,GB\nCountry,France,,FR\n"
    )
    call_command("load_areas", str(path), verbosity=0)
    assert Area.objects.get().name == "Trafford"
    assert Organisation.objects.get().local_authority == "Trafford"


@pytest.mark.realdata
@pytest.mark.django_db
def test_the_real_ni_postcode_files_load_and_match_the_register_districts() -> None:
    folder = Path(settings.SHARED_DATA_DIR) / "uk-postcodes"
    if not folder.is_dir():
        pytest.skip(f"{folder} not present (the public data sets are not on this machine)")
    units = load_postcodes(folder / "ni_postcodes_fhrs_dedup.csv")
    districts = load_postcodes(folder / "ni_outcode_centroids_fhrs.csv")
    assert (units.loaded, districts.loaded) == (10_363, 80)
    assert geocode_many(["BT14 7PJ"])["BT14 7PJ"].precision in {"unit", "district"}
