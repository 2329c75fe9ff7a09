"""A classifier is served like a forecaster: the deployed version as every process sees it
now (the deployment generation), and a tampered artifact falls back to the previous intact
version — or the classifier says it is unavailable, never "not trained yet"."""

import pytest

from forecasting.classifiers.loading import classifiers_deployed, deployed_classifiers
from forecasting.monitoring.models import Alert
from forecasting.registry.artifacts import artifact_load, artifact_save, model_cache
from forecasting.registry.models import Deployment, ModelVersion
from forecasting.registry.services import model_version_deploy
from forecasting.serving.deployed import serving_memory_clear
from forecasting.training.jobs import training_job_create, training_job_run

URL = "/api/v1/ml/categorize/"


@pytest.fixture
def two_categorisers(workspace, history):
    """v1 trained and deployed, then v2 (the same model saved again) deployed over it."""
    job = training_job_create(workspace=workspace, target="categorizer", enqueue=False)
    assert training_job_run(job_id=job.pk).status == "succeeded"
    v1 = ModelVersion.objects.get(workspace=workspace, target="categorizer", status="deployed")
    model = artifact_load(version_id=v1.pk, path=v1.artifact_path, sha256=v1.artifact_sha256)
    stored = artifact_save(obj=model, name=f"test/{workspace.pk}/categorizer-copy.pkl")
    v2 = ModelVersion.objects.create(
        workspace=workspace, target="categorizer", kind="categorizer", algorithm=v1.algorithm, version=v1.version + 1,
        metrics=v1.metrics, artifact_path=stored.path, artifact_sha256=stored.sha256, artifact_size=stored.size,
    )
    model_version_deploy(version=v2)
    serving_memory_clear()
    model_cache.clear()
    return v1, v2


def tamper(settings, version) -> None:
    with open(f"{settings.MEDIA_ROOT}/{version.artifact_path}", "r+b") as handle:
        handle.seek(10)
        handle.write(b"\x00\x01\x02")


@pytest.mark.django_db
class TestClassifierFallback:
    def test_a_tampered_categoriser_falls_back_to_the_previous_version(
            self, workspace, two_categorisers, member, client_for, settings):
        v1, v2 = two_categorisers
        tamper(settings, v2)
        body = client_for(member).post(URL, {"workspace": workspace.pk, "description": "STARBUCKS STORE 9"},
                                       format="json").json()
        assert body["model"]["id"] == v1.pk
        assert body["results"][0]["category_name"] == "Coffee"
        fallback = Deployment.objects.order_by("-id").first()
        assert (fallback.action, fallback.from_version_id, fallback.to_version_id) == ("auto_fallback", v2.pk, v1.pk)
        assert dict(ModelVersion.objects.filter(target="categorizer").values_list("pk", "status")) == {
            v1.pk: "deployed", v2.pk: "failed"}
        assert list(Alert.objects.filter(kind="integrity").values_list("model_version_id", flat=True)) == [v2.pk]

    def test_with_no_intact_categoriser_it_says_it_is_unavailable(
            self, workspace, two_categorisers, member, client_for, settings):
        v1, v2 = two_categorisers
        tamper(settings, v1)
        tamper(settings, v2)
        body = client_for(member).post(URL, {"workspace": workspace.pk, "description": "STARBUCKS STORE 9"},
                                       format="json").json()
        assert body["model"] is None
        assert body["results"][0]["category"] is None
        assert body["detail"] == (
            f"The categoriser is unavailable: Model categorizer v{v2.version} failed its integrity check and was not "
            "loaded, and no earlier deployed version is intact; staff have been alerted. No suggestions until it is "
            "retrained or restored.")
        assert Deployment.objects.filter(action="auto_fallback").count() == 0

    def test_scoring_goes_on_with_the_classifiers_left(self, workspace, two_categorisers, settings):
        v1, v2 = two_categorisers
        tamper(settings, v1)
        tamper(settings, v2)
        assert classifiers_deployed(workspace_id=workspace.pk) is True
        assert deployed_classifiers(workspace_id=workspace.pk) == {}
