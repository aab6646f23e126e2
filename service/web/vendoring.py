"""Browser libraries copied from the npm registry into the repository.

Pages load nothing from a CDN: each library's files live under
``service/web/static/vendor/<name>@<version>/`` (libraries used only by the
tests under ``tests/web/vendor/``), beside their licence texts, and a
``manifest.json`` in each folder records name, version, licence, and the
sha256 of every file. The version in the path makes each file's address
change with its content, so browsers may keep them for a year.

:func:`refresh` fetches the newest versions within :data:`PACKAGES`' ranges
with ``npm pack`` (into a temporary folder), copies the listed files and
rewrites the manifests. To move a library to a new major version, change its
range here and refresh.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from service.web.resident.icons import FILES as ICON_FILES

REPOSITORY = Path(__file__).resolve().parents[2]
SERVED_DIR = Path(__file__).resolve().parent / "static" / "vendor"
TEST_DIR = REPOSITORY / "tests" / "web" / "vendor"
MANIFEST = "manifest.json"


class VendoringError(Exception):
    """npm failed, or a package lacks a file it is expected to carry."""


@dataclass(frozen=True)
class Package:
    name: str
    range: str
    files: tuple[str, ...]
    licences: tuple[str, ...]
    test_only: bool = False

    @property
    def folder(self) -> Path:
        return TEST_DIR if self.test_only else SERVED_DIR


PACKAGES: tuple[Package, ...] = (
    Package("htmx.org", "^2.0.11", ("dist/htmx.min.js",), ("LICENSE",)),
    Package("leaflet", "^1.9.4", ("dist/leaflet.js", "dist/leaflet.css", "dist/images/layers.png",
                                   "dist/images/layers-2x.png", "dist/images/marker-icon.png",
                                   "dist/images/marker-icon-2x.png", "dist/images/marker-shadow.png"), ("LICENSE",)),
    # Only its stylesheet: the maps' clusters are drawn by Supercluster (static/web/clusters.js) with its look.
    Package("leaflet.markercluster", "^1.5.3", ("dist/MarkerCluster.Default.css",), ("MIT-LICENCE.txt",)),
    # Clusters the map's pins in the browser from plain arrays; its bundle carries kdbush (its spatial index),
    # whose licence is kept beside it.
    Package("supercluster", "^9.1.0", ("dist/supercluster.min.js",), ("LICENSE",)),
    Package("kdbush", "^4.0.2", (), ("LICENSE",)),
    Package("uplot", "^1.6.32", ("dist/uPlot.iife.min.js", "dist/uPlot.min.css"), ("LICENSE",)),
    Package("@digital-go-jp/design-tokens", "^1.1.9", ("dist/tokens.css",), ("LICENSE",)),
    # The mini build reads EXIF and GPS from JPEG and HEIC: the report form offers a photo's own position.
    Package("exifr", "^7.1.3", ("dist/mini.umd.js",), ("LICENSE",)),
    # Only the icons the category catalogue draws (service.web.resident.icons), not the package's thousands.
    Package("@tabler/icons", "^3.52.0", ICON_FILES, ("LICENSE",)),
    Package("axe-core", "^4.14.1", ("axe.min.js",), ("LICENSE", "LICENSE-3RD-PARTY.txt"), test_only=True),
)


def folder_name(name: str, version: str) -> str:
    """``@digital-go-jp/design-tokens`` 1.1.9 → ``digital-go-jp-design-tokens@1.1.9``."""
    return f"{name.lstrip('@').replace('/', '-')}@{version}"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(folder: Path) -> list[dict]:
    path = folder / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def refresh(npm: str = "npm", only: Collection[str] = ()) -> list[dict]:
    """Fetch the packages again (every one, or those named in ``only``) and rewrite the manifests.

    Returns the entries written; the other packages' files and manifest entries stay as they are.
    Raises VendoringError for a name in ``only`` that :data:`PACKAGES` does not list.
    """
    unknown = set(only) - {p.name for p in PACKAGES}
    if unknown:
        raise VendoringError(f"not a vendored package: {', '.join(sorted(unknown))}")
    chosen = [p for p in PACKAGES if not only or p.name in only]
    written: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="machikoe-vendor-") as tmp:
        for package in chosen:
            for old in package.folder.glob(folder_name(package.name, "*")):
                shutil.rmtree(old)
            written[package.name] = _copy(package, Path(tmp), npm)
    for folder in {p.folder for p in chosen}:
        kept = {entry["name"]: entry for entry in read_manifest(folder)}
        entries = [written.get(p.name) or kept[p.name] for p in PACKAGES
                   if p.folder == folder and (p.name in written or p.name in kept)]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MANIFEST).write_text(json.dumps(entries, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return list(written.values())


def _copy(package: Package, tmp: Path, npm: str) -> dict:
    try:
        done = subprocess.run([npm, "pack", "--json", "--pack-destination", str(tmp), f"{package.name}@{package.range}"],
                              capture_output=True, text=True, check=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as exc:
        raise VendoringError(f"npm pack {package.name} failed: {exc}") from exc
    packed = json.loads(done.stdout)[0]
    unpacked = tmp / folder_name(package.name, packed["version"])
    with tarfile.open(tmp / packed["filename"]) as archive:
        archive.extractall(unpacked, filter="data")
    metadata = json.loads((unpacked / "package" / "package.json").read_text(encoding="utf-8"))
    target = package.folder / folder_name(package.name, packed["version"])
    files = []
    for relative in (*package.files, *package.licences):
        source = unpacked / "package" / relative
        if not source.is_file():
            raise VendoringError(f"{package.name} {packed['version']} has no {relative}")
        # The folder layout below dist/ is kept: Leaflet's CSS finds its images at images/.
        destination = target / relative.removeprefix("dist/")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        files.append({"path": str(destination.relative_to(package.folder)), "sha256": sha256(destination)})
    return {"name": package.name, "version": packed["version"], "licence": metadata.get("license", ""),
            "test_only": package.test_only, "files": files}


def vendored_folders(folder: Path = SERVED_DIR) -> dict[str, str]:
    """Each vendored package's folder below ``folder``, by package name (from the manifest)."""
    return {entry["name"]: folder_name(entry["name"], entry["version"]) for entry in read_manifest(folder)}
