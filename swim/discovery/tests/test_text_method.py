"""How a run compares texts: cached embeddings, a few encoded in the run, or TF-IDF."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.test import Client

from swim.directory.models import Organisation
from swim.discovery import actions, text_vectors
from swim.discovery.actions import do_create_run, do_embed_organisations, do_run_discovery
from swim.discovery.models import DiscoveryRun, OrganisationEmbedding
from swim.discovery.tests.conftest import Area, FakeEncoder
from swim.engine.discover import Discovery
from swim.testing import Personas

pytestmark = pytest.mark.django_db
ENGINE = {"min_size": 4, "max_size": 12, "max_span_km": 5.0, "max_income_share": 0.5,
          "radius_km": 3.0, "seed": 0}  # fmt: skip


@pytest.fixture
def vectors_seen(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The ``text_vectors`` each engine fit was given."""
    seen: list[Any] = []
    fit = Discovery.fit

    def spy(self: Discovery, orgs: Any, text_vectors: Any = None, **kwargs: Any) -> Discovery:
        seen.append(text_vectors)
        return fit(self, orgs, text_vectors=text_vectors, **kwargs)

    monkeypatch.setattr(Discovery, "fit", spy)
    return seen


def run_area() -> DiscoveryRun:
    run = do_create_run(
        by=None, mode="area", filters={"local_authority": "Trafford"}, engine=ENGINE
    )
    return do_run_discovery(run)


def test_a_run_with_every_vector_cached_uses_them_without_encoding(
    area: Area, fake_encoder: FakeEncoder, vectors_seen: list[Any]
) -> None:
    do_embed_organisations(Organisation.objects.all(), encoder=fake_encoder)
    fake_encoder.batches.clear()
    run = run_area()
    assert run.status == DiscoveryRun.Status.SUCCEEDED
    assert run.text_method == DiscoveryRun.TextMethod.EMBEDDINGS
    assert fake_encoder.batches == []
    (vectors,) = vectors_seen
    assert vectors.shape == (16, 16)
    first = sorted(area.planted + area.others, key=lambda o: o.pk)[0]
    assert np.allclose(vectors[0], fake_encoder.encode([first.activities])[0])
    members = {m.organisation_id for m in run.candidates.get(rank=1).members.all()}
    assert members == {o.pk for o in area.planted}


def test_a_run_encodes_a_few_missing_texts_itself_and_caches_them(
    area: Area, fake_encoder: FakeEncoder, vectors_seen: list[Any]
) -> None:
    do_embed_organisations(Organisation.objects.all(), encoder=fake_encoder)
    changed = area.others[3]
    changed.activities = "Credit union savings advice"
    changed.save()
    fake_encoder.batches.clear()
    run = run_area()
    assert run.text_method == DiscoveryRun.TextMethod.EMBEDDINGS
    assert "The texts of 1 organisations were encoded during this run" in run.text_note
    assert fake_encoder.encoded == ["Credit union savings advice"]
    assert vectors_seen[0] is not None
    assert OrganisationEmbedding.objects.get(organisation=changed).text_key == (
        text_vectors.text_key("Credit union savings advice", fake_encoder.model_name)
    )


def test_too_many_missing_texts_fall_back_to_tfidf_and_say_how_to_prepare(
    area: Area, fake_encoder: FakeEncoder, vectors_seen: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(actions, "ENCODE_IN_RUN_LIMIT", 3)
    run = run_area()
    assert run.status == DiscoveryRun.Status.SUCCEEDED
    assert run.text_method == DiscoveryRun.TextMethod.TFIDF
    assert vectors_seen == [None]
    assert fake_encoder.batches == []
    assert "16 organisations' texts are not prepared yet" in run.text_note
    assert "prepare text understanding to use sentence embeddings" in run.text_note


def test_without_sentence_transformers_runs_use_tfidf_and_say_why(
    area: Area, fake_encoder: FakeEncoder, vectors_seen: list[Any],
    monkeypatch: pytest.MonkeyPatch, client: Client, personas: Personas,
) -> None:  # fmt: skip
    monkeypatch.setattr(
        text_vectors, "missing_packages", lambda: ["torch", "sentence-transformers"]
    )
    run = run_area()
    assert run.status == DiscoveryRun.Status.SUCCEEDED
    assert (run.text_method, vectors_seen) == (DiscoveryRun.TextMethod.TFIDF, [None])
    assert "not installed (torch, sentence-transformers" in run.text_note
    members = {m.organisation_id for m in run.candidates.get(rank=1).members.all()}
    assert members == {o.pk for o in area.planted}
    client.force_login(personas.facilitator)
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Activity texts compared by" in page
    assert "Word overlap (TF-IDF)" in page


def test_the_setting_tfidf_forces_word_overlap(
    area: Area, fake_encoder: FakeEncoder, vectors_seen: list[Any], settings: Any
) -> None:
    do_embed_organisations(Organisation.objects.all(), encoder=fake_encoder)
    settings.SWIM_TEXT_MODEL = "tfidf"
    run = run_area()
    assert (run.text_method, vectors_seen) == (DiscoveryRun.TextMethod.TFIDF, [None])
    assert "SWIM_TEXT_MODEL is set to tfidf" in run.text_note


def test_an_encoder_that_cannot_load_falls_back_to_tfidf(
    area: Area, fake_encoder: FakeEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(texts: Any) -> Any:
        raise OSError("model folder missing")

    monkeypatch.setattr(fake_encoder, "encode", broken)
    run = run_area()
    assert run.status == DiscoveryRun.Status.SUCCEEDED
    assert run.text_method == DiscoveryRun.TextMethod.TFIDF
    assert "model folder missing" in run.text_note


def test_the_run_page_names_sentence_embeddings(
    area: Area, fake_encoder: FakeEncoder, client: Client, personas: Personas
) -> None:
    run = run_area()
    client.force_login(personas.facilitator)
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Sentence embeddings (all-MiniLM-L6-v2)" in page
