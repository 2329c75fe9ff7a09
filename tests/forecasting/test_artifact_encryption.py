"""Artifacts encrypted at rest with ``ML_ARTIFACT_KEYS`` (Fernet), and key rotation with
``manage.py artifacts_rekey``."""

import hashlib
import pickle

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from forecasting.registry.artifacts import (
    ArtifactIntegrityError,
    artifact_load,
    artifact_read_verified,
    model_cache,
)
from forecasting.registry.models import ModelVersion
from tests.factories import fitted_version

OLD, NEW, STRANGER = (Fernet.generate_key().decode() for _ in range(3))


@pytest.fixture(autouse=True)
def _empty_model_cache():
    model_cache.clear()
    yield
    model_cache.clear()


def stored(version: ModelVersion) -> bytes:
    with default_storage.open(version.artifact_path, "rb") as handle:
        return handle.read()


def forecast(version: ModelVersion) -> list[float]:
    model_cache.clear()
    model = artifact_load(version_id=version.pk, path=version.artifact_path, sha256=version.artifact_sha256,
                          announce=False)
    return [float(x) for x in model.predict(3).mean]


@pytest.mark.django_db
class TestEncryptionAtRest:
    def test_with_a_key_the_stored_bytes_are_encrypted_and_load_the_same_model(self, workspace, settings):
        # given one artifact stored in clear and one with a key
        clear = fitted_version(workspace=workspace)
        settings.ML_ARTIFACT_KEYS = [NEW]
        encrypted = fitted_version(workspace=workspace)
        # then the second is a Fernet token, its sha256 is over the stored bytes, and both load
        assert stored(clear).startswith(b"\x80") and not stored(encrypted).startswith(b"\x80")
        assert Fernet(NEW).decrypt(stored(encrypted)) == pickle.dumps(pickle.loads(stored(clear)), protocol=5)
        assert encrypted.artifact_sha256 == hashlib.sha256(stored(encrypted)).hexdigest()
        assert encrypted.artifact_size == len(stored(encrypted))
        assert forecast(encrypted) == forecast(clear)

    def test_without_the_key_an_encrypted_artifact_is_refused(self, workspace, settings):
        settings.ML_ARTIFACT_KEYS = [NEW]
        version = fitted_version(workspace=workspace)
        settings.ML_ARTIFACT_KEYS = []
        with pytest.raises(ArtifactIntegrityError, match="is encrypted and ML_ARTIFACT_KEYS is not set"):
            artifact_read_verified(path=version.artifact_path, sha256=version.artifact_sha256)
        settings.ML_ARTIFACT_KEYS = [STRANGER]
        with pytest.raises(ArtifactIntegrityError, match="cannot be decrypted with any key of ML_ARTIFACT_KEYS"):
            artifact_read_verified(path=version.artifact_path, sha256=version.artifact_sha256)

    def test_the_checksum_is_checked_before_decrypting(self, workspace, settings):
        settings.ML_ARTIFACT_KEYS = [NEW]
        version = fitted_version(workspace=workspace)
        token = Fernet(NEW).encrypt(b"not the model")  # a valid token, but not the stored bytes
        with default_storage.open(version.artifact_path, "wb") as handle:
            handle.write(token)
        with pytest.raises(ArtifactIntegrityError, match="has sha256 .* expected"):
            artifact_read_verified(path=version.artifact_path, sha256=version.artifact_sha256)

    def test_a_malformed_key_is_a_configuration_error_that_does_not_show_the_key(self, workspace, settings):
        settings.ML_ARTIFACT_KEYS = ["not-a-fernet-key-0123456789"]
        with pytest.raises(ImproperlyConfigured, match="not a Fernet key") as error:
            fitted_version(workspace=workspace)
        assert "not-a-fernet-key" not in str(error.value)


@pytest.mark.django_db
class TestKeyRotation:
    def test_rekey_rewrites_every_artifact_with_the_new_key_and_then_deletes_the_old_files(
        self, workspace, settings, capsys
    ):
        # given two artifacts with the old key and one in clear
        plain = fitted_version(workspace=workspace)
        settings.ML_ARTIFACT_KEYS = [OLD]
        olds = [fitted_version(workspace=workspace) for _ in range(2)]
        before = {v.pk: (v.artifact_path, forecast(v)) for v in [plain, *olds]}
        # when the new key goes first and the artifacts are rewritten
        settings.ML_ARTIFACT_KEYS = [NEW, OLD]
        call_command("artifacts_rekey")
        assert "3 artifacts rewritten encrypted with the current key, 0 already were." in capsys.readouterr().out
        # then every version points to a new file that the new key alone opens, with the same model
        settings.ML_ARTIFACT_KEYS = [NEW]
        for version in ModelVersion.objects.all():
            old_path, old_forecast = before[version.pk]
            assert version.artifact_path != old_path
            assert version.artifact_sha256 == hashlib.sha256(stored(version)).hexdigest()
            Fernet(NEW).decrypt(stored(version))
            assert forecast(version) == old_forecast
            assert default_storage.exists(old_path)  # until every process has restarted
        # and a second run has nothing left to do
        call_command("artifacts_rekey")
        assert "0 artifacts rewritten encrypted with the current key, 3 already were." in capsys.readouterr().out
        # when the replaced files are deleted
        call_command("artifacts_rekey", "--delete-replaced")
        assert "3 replaced artifact files deleted." in capsys.readouterr().out
        assert not any(default_storage.exists(path) for path, _ in before.values())
        assert all(default_storage.exists(v.artifact_path) for v in ModelVersion.objects.all())
        # and the old key opens none of them any more
        settings.ML_ARTIFACT_KEYS = [OLD]
        for version in ModelVersion.objects.all():
            with pytest.raises(ArtifactIntegrityError, match="cannot be decrypted"):
                artifact_read_verified(path=version.artifact_path, sha256=version.artifact_sha256)

    def test_delete_replaced_keeps_a_file_of_a_training_in_progress(self, workspace, settings):
        from forecasting.engine.registry import build_forecaster
        from forecasting.registry.artifacts import artifact_save

        settings.ML_ARTIFACT_KEYS = [NEW]
        # a file written with the current key that no version points to yet
        pending = artifact_save(obj=build_forecaster("naive", season_length=12).fit([1.0, 2.0, 3.0]), name="p.pkl")
        call_command("artifacts_rekey", "--delete-replaced")
        assert default_storage.exists(pending.path)

    def test_an_artifact_no_key_opens_is_reported_and_left_as_it_was(self, workspace, settings, capsys):
        settings.ML_ARTIFACT_KEYS = [STRANGER]
        version = fitted_version(workspace=workspace)
        settings.ML_ARTIFACT_KEYS = [NEW, OLD]
        with pytest.raises(CommandError, match="1 artifacts could not be rewritten"):
            call_command("artifacts_rekey")
        assert f"version {version.pk}: Artifact {version.artifact_path} cannot be decrypted" in capsys.readouterr().err
        assert ModelVersion.objects.get().artifact_path == version.artifact_path
        assert default_storage.listdir(f"models/test/{workspace.pk}")[1] == [version.artifact_path.rsplit("/", 1)[1]]
