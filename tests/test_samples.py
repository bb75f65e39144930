"""The sample photo manifest matches the shared photos, and `fetch` never writes or loses a wrong file."""

import argparse
import csv
import hashlib
import io
from pathlib import Path

import pytest

from locator import samples
from locator.errors import UserError


@pytest.fixture
def shared_images(shared_hands: Path) -> Path:
    return shared_hands / "images"


@pytest.fixture
def manifest() -> list[samples.SamplePhoto]:
    return samples.load_manifest()


@pytest.fixture
def writable_mirror(shared_images: Path, tmp_path: Path) -> Path:
    """A copy of the shared photos that a test may tamper with (the shared folder is read-only)."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for photo in shared_images.iterdir():
        (mirror / photo.name).write_bytes(photo.read_bytes())
    return mirror


def first_downloadable(manifest: list[samples.SamplePhoto]) -> samples.SamplePhoto:
    return next(photo for photo in manifest if photo.downloadable)


def first_edited(manifest: list[samples.SamplePhoto]) -> samples.SamplePhoto:
    return next(photo for photo in manifest if not photo.downloadable)


def licensed_shared_rows(shared_hands: Path) -> dict[str, dict]:
    """The shared manifest's rows whose source states a licence: those, and only those, are public samples.

    Photos whose row says "none stated" are for development here, never part of the product's sample set.
    """
    with open(shared_hands / "MANIFEST.tsv", newline="", encoding="utf-8") as shared_file:
        rows = {row["filename"]: row for row in csv.DictReader(shared_file, delimiter="\t")}
    return {name: row for name, row in rows.items() if row["license"] != "none stated"}


def test_manifest_lists_the_shared_photos_whose_source_states_a_licence(manifest, shared_hands, shared_images):
    listed = {photo.filename for photo in manifest}
    licensed = set(licensed_shared_rows(shared_hands))
    unlicensed = {path.name for path in shared_images.iterdir()} - licensed
    assert listed == licensed
    assert unlicensed and not unlicensed & listed  # development-only photos exist and stay out


def test_every_checksum_and_size_matches_the_shared_photos(manifest, shared_images):
    for photo in manifest:
        data = (shared_images / photo.filename).read_bytes()
        assert len(data) == photo.bytes, photo.filename
        assert hashlib.sha256(data).hexdigest() == photo.sha256, photo.filename


def test_manifest_agrees_with_the_shared_manifest(manifest, shared_hands):
    """Guards the derivation: same provenance, held-out fields kept, sha256_16 a prefix of the full hash."""
    shared_rows = licensed_shared_rows(shared_hands)
    assert set(shared_rows) == {photo.filename for photo in manifest}
    for photo in manifest:
        row = shared_rows[photo.filename]
        for column in ("source_repo", "commit", "license", "view", "handedness", "notes", "processing"):
            assert getattr(photo, column) == row[column], (photo.filename, column)
        assert row["source_path"].startswith(photo.source_path), photo.filename
        assert " " not in photo.source_path, photo.filename  # annotations moved to source_note
        assert photo.bytes == int(row["bytes"])
        assert photo.sha256.startswith(row["sha256_16"]), photo.filename


def test_fetch_copies_all_then_finds_all_present(manifest, shared_images, tmp_path):
    dest = tmp_path / "photos"
    first = samples.fetch(dest, shared_images)
    assert first.ok and len(first.copied) == len(manifest) and not first.present
    assert all((dest / photo.filename).read_bytes() == (shared_images / photo.filename).read_bytes() for photo in manifest)
    assert not list(dest.glob(".*.part"))

    second = samples.fetch(dest, shared_images)
    assert second.ok and not second.copied and len(second.present) == len(manifest)


def test_progress_is_called_once_per_photo(manifest, shared_images, tmp_path):
    seen = []
    samples.fetch(tmp_path, shared_images, progress=seen.append)
    assert seen == manifest


def test_differing_file_in_dest_is_kept_unless_overwrite(manifest, shared_images, tmp_path):
    victim = manifest[0]
    users_file = tmp_path / victim.filename
    users_file.write_bytes(b"the user's own file")

    kept = samples.fetch(tmp_path, shared_images)
    assert [name for name, _ in kept.failed] == [victim.filename]
    assert "different checksum" in kept.failed[0][1]
    assert users_file.read_bytes() == b"the user's own file"

    replaced = samples.fetch(tmp_path, shared_images, overwrite=True)
    assert replaced.ok and replaced.copied == [victim.filename]
    assert hashlib.sha256(users_file.read_bytes()).hexdigest() == victim.sha256


def test_tampered_mirror_file_is_reported_and_not_written(manifest, writable_mirror, tmp_path):
    victim = manifest[0]
    (writable_mirror / victim.filename).write_bytes(b"tampered")
    dest = tmp_path / "photos"

    report = samples.fetch(dest, writable_mirror)
    assert [name for name, _ in report.failed] == [victim.filename]
    assert "checksum" in report.failed[0][1] and "not written" in report.failed[0][1]
    assert not (dest / victim.filename).exists()
    assert len(report.copied) == len(manifest) - 1


def test_missing_photos_need_download_and_edited_ones_cannot_be_downloaded(manifest, writable_mirror, tmp_path):
    downloadable, edited = first_downloadable(manifest), first_edited(manifest)
    (writable_mirror / downloadable.filename).unlink()
    (writable_mirror / edited.filename).unlink()

    report = samples.fetch(tmp_path / "photos", writable_mirror, allow_download=False)
    reasons = dict(report.failed)
    assert set(reasons) == {downloadable.filename, edited.filename}
    assert "--download" in reasons[downloadable.filename]
    assert "not available from source" in reasons[edited.filename]


def test_download_from_file_url_fills_what_the_mirror_lacks(manifest, writable_mirror, shared_images, tmp_path):
    missing = first_downloadable(manifest)
    (writable_mirror / missing.filename).unlink()
    source_file = tmp_path / "source" / missing.source_repo / missing.commit / missing.source_path
    source_file.parent.mkdir(parents=True)
    source_file.write_bytes((shared_images / missing.filename).read_bytes())
    dest = tmp_path / "photos"

    report = samples.fetch(
        dest, writable_mirror, allow_download=True, source_base_url=(tmp_path / "source").as_uri()
    )
    assert report.ok and len(report.copied) == len(manifest)
    assert hashlib.sha256((dest / missing.filename).read_bytes()).hexdigest() == missing.sha256


def test_wrong_download_is_reported_and_not_written(manifest, tmp_path):
    requested_urls = []

    def fake_opener(url, timeout):
        requested_urls.append(url)
        return io.BytesIO(b"not the photo")

    report = samples.fetch(tmp_path, None, allow_download=True, opener=fake_opener)
    downloadable = [photo for photo in manifest if photo.downloadable]
    assert requested_urls == [photo.source_url() for photo in downloadable]
    assert requested_urls[0].startswith("https://raw.githubusercontent.com/")
    assert len(report.failed) == len(manifest) and not report.copied
    assert not any(tmp_path.iterdir())


def test_missing_mirror_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="mirror folder not found"):
        samples.fetch(tmp_path / "photos", tmp_path / "no-such-mirror")


def test_no_mirror_and_no_download_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="--download"):
        samples.fetch(tmp_path / "photos", None)


def test_mirror_environment_variable_wins_and_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv(samples.MIRROR_ENV, str(tmp_path))
    assert samples.default_mirror() == tmp_path
    monkeypatch.setenv(samples.MIRROR_ENV, str(tmp_path / "missing"))
    with pytest.raises(UserError, match=samples.MIRROR_ENV):
        samples.default_mirror()


def run_cli(*argv: str) -> int:
    """Parse as the lead's `locator/cli.py` will: `samples` is one sub-command among others."""
    parser = argparse.ArgumentParser(prog="locator")
    samples.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["samples", *argv])
    return args.run(args)


def test_cli_succeeds_then_reports_failures(manifest, writable_mirror, tmp_path, capsys):
    dest = tmp_path / "photos"
    assert run_cli("--to", str(dest), "--from", str(writable_mirror)) == 0
    assert f"{len(manifest)} copied" in capsys.readouterr().out

    victim = manifest[0]
    (dest / victim.filename).unlink()
    (writable_mirror / victim.filename).write_bytes(b"tampered")
    assert run_cli("--to", str(dest), "--from", str(writable_mirror)) == 1
    summary, *failure_lines = capsys.readouterr().out.splitlines()
    assert "1 failed" in summary
    assert len(failure_lines) == 1 and failure_lines[0].strip().startswith(f"{victim.filename}:")
