"""Public sample hand photos: the manifest lives in the repository, the photos do not.

The repository must hold no photos of people, so `fetch` fills a local folder
from a mirror (or, when asked, from the original public sources) and checks
every file against the SHA-256 in `samples/manifest.tsv`.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
import urllib.request
from importlib import resources
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from locator.errors import UserError
from locator.outputs import check_output_folder, write_atomically

DEFAULT_MANIFEST = Path(str(resources.files("locator.sample_set") / "manifest.tsv"))  # shipped in the package
DEST_ENV = "LOCATOR_SAMPLES_DIR"      # the page's sample folder: where `samples` puts the photos
MIRROR_ENV = "LOCATOR_SAMPLES_MIRROR"
SOURCE_BASE_URL = "https://raw.githubusercontent.com"
# Only unedited copies can be re-made from their source; edited ones need a mirror.
DOWNLOADABLE_PROCESSING = "byte-identical copy"
DOWNLOAD_TIMEOUT_S = 60


@dataclass(frozen=True)
class SamplePhoto:
    """One row of the manifest: where a photo came from, its licence and what it shows."""

    filename: str
    source_repo: str
    source_path: str
    source_note: str
    commit: str
    license: str
    view: str
    handedness: str
    notes: str
    processing: str
    bytes: int
    sha256: str

    @property
    def downloadable(self) -> bool:
        """Whether the original source file is byte-for-byte this photo."""
        return self.processing == DOWNLOADABLE_PROCESSING

    def source_url(self, base_url: str = SOURCE_BASE_URL) -> str:
        """The URL of the file at the pinned commit, so a later upstream change cannot alter it."""
        return f"{base_url.rstrip('/')}/{self.source_repo}/{self.commit}/{self.source_path}"


@dataclass
class FetchReport:
    """What `fetch` did to each photo, so the caller can print it and pick an exit code."""

    dest: Path
    copied: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (filename, one-line reason)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        total = len(self.copied) + len(self.present) + len(self.failed)
        return (
            f"{total} sample photos in {self.dest}: {len(self.copied)} copied, "
            f"{len(self.present)} already present, {len(self.failed)} failed"
        )


def load_manifest(path: Path = DEFAULT_MANIFEST) -> list[SamplePhoto]:
    """Read the tab-separated manifest (no quoting: fields never hold tabs or newlines)."""
    with open(path, newline="", encoding="utf-8") as manifest_file:
        rows = csv.DictReader(manifest_file, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [SamplePhoto(**{**row, "bytes": int(row["bytes"])}) for row in rows]


def default_mirror() -> Path | None:
    """The mirror to use when none is given: $LOCATOR_SAMPLES_MIRROR, else none."""
    configured = os.environ.get(MIRROR_ENV)
    if configured:
        mirror = Path(configured)
        if not mirror.is_dir():
            raise UserError(f"{MIRROR_ENV}={configured} is not a folder")
        return mirror
    return None


def default_dest() -> Path:
    """The folder to fill when none is given: $LOCATOR_SAMPLES_DIR."""
    configured = os.environ.get(DEST_ENV)
    if not configured:
        raise UserError(f"no destination folder: pass --to DIR or set {DEST_ENV}")
    return Path(configured)


def fetch(
    dest: Path,
    mirror: Path | None,
    manifest: Path = DEFAULT_MANIFEST,
    progress: Callable[[SamplePhoto], None] | None = None,
    *,
    allow_download: bool = False,
    overwrite: bool = False,
    source_base_url: str = SOURCE_BASE_URL,
    opener: Callable = urllib.request.urlopen,
) -> FetchReport:
    """Put every manifest photo into `dest`, from `mirror` or (if allowed) from its source.

    Nothing that fails its checksum is written, and a user's differing file in
    `dest` is only replaced when `overwrite` is set.  `progress` is called once
    per photo after it is handled.
    """
    if mirror is not None and not mirror.is_dir():
        raise UserError(f"mirror folder not found: {mirror}")
    if mirror is None and not allow_download:
        raise UserError(f"no mirror folder (pass --from DIR or set {MIRROR_ENV}) and downloading not allowed (--download)")
    check_output_folder(dest, "--to")
    dest.mkdir(parents=True, exist_ok=True)

    report = FetchReport(dest=dest)
    for photo in load_manifest(manifest):
        try:
            _fetch_one(photo, report, mirror, allow_download, overwrite, source_base_url, opener)
        except OSError as error:  # unreadable mirror file, full disk, network failure, ...
            report.failed.append((photo.filename, f"{type(error).__name__}: {error}"))
        if progress is not None:
            progress(photo)
    return report


def _fetch_one(
    photo: SamplePhoto,
    report: FetchReport,
    mirror: Path | None,
    allow_download: bool,
    overwrite: bool,
    source_base_url: str,
    opener: Callable,
) -> None:
    """Put one photo into `report.dest` and record the outcome in `report`."""
    target = report.dest / photo.filename
    if target.exists():
        existing_sha256 = _file_sha256(target)
        if existing_sha256 == photo.sha256:
            report.present.append(photo.filename)
            return
        if not overwrite:
            report.failed.append((
                photo.filename,
                f"already in {report.dest} with a different checksum ({existing_sha256[:16]}); "
                "kept it (--overwrite replaces it)",
            ))
            return

    mirror_file = mirror / photo.filename if mirror is not None else None
    if mirror_file is not None and mirror_file.is_file():
        data, origin = mirror_file.read_bytes(), f"mirror copy {mirror_file}"
    elif not photo.downloadable:
        where = "not in the mirror" if mirror is not None else "no mirror"
        report.failed.append((photo.filename, f"{where}, and not available from source (processing: {photo.processing})"))
        return
    elif not allow_download:
        report.failed.append((photo.filename, f"not in the mirror; --download would fetch it from {photo.source_url()}"))
        return
    else:
        url = photo.source_url(source_base_url)
        with opener(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            data = response.read()
        origin = f"download {url}"

    actual_sha256 = hashlib.sha256(data).hexdigest()
    if actual_sha256 != photo.sha256:
        report.failed.append((
            photo.filename,
            f"{origin} has checksum {actual_sha256[:16]}, expected {photo.sha256[:16]}; not written",
        ))
        return
    write_atomically(target, data)
    report.copied.append(photo.filename)


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as existing:
        return hashlib.file_digest(existing, "sha256").hexdigest()


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `samples` sub-command to the main command line."""
    parser = subparsers.add_parser(
        "samples",
        help="fill a folder with the public sample hand photos (checked against samples/manifest.tsv)",
        description=(
            "Copy the sample photos listed in samples/manifest.tsv into a local folder, "
            "verifying each SHA-256. The photos are not kept in the repository."
        ),
    )
    parser.add_argument(
        "--to", type=Path, default=None, metavar="DIR",
        help=f"folder to fill (default: ${DEST_ENV}, the page's sample folder)",
    )
    parser.add_argument(
        "--from", dest="mirror", type=Path, default=None, metavar="MIRROR",
        help=f"folder holding the photos (default: ${MIRROR_ENV})",
    )
    parser.add_argument(
        "--download", action="store_true",
        help="fetch photos missing from the mirror from their public source at the pinned commit",
    )
    parser.add_argument(
        "--overwrite", action="store_true",
        help="replace files in DIR whose checksum differs (by default they are kept and reported)",
    )
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    """Run `samples`: 0 when every photo is in place, 1 when any failed."""
    mirror = args.mirror if args.mirror is not None else default_mirror()
    dest = args.to if args.to is not None else default_dest()
    photo_count = len(load_manifest())
    with tqdm(total=photo_count, unit="photo", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
        report = fetch(
            dest, mirror, progress=lambda photo: bar.update(1),
            allow_download=args.download, overwrite=args.overwrite,
        )
    print(report.summary())
    for filename, reason in report.failed:
        print(f"  {filename}: {reason}")
    return 0 if report.ok else 1
