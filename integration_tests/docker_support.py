"""Helpers to build and run the connector image in this sandbox.

No image registry is reachable here, so the image is built FROM a local
Debian bookworm base made with debootstrap instead of Airbyte's published
base. The sandbox has no bridge network, so builds and containers use the
host network (only 127.0.0.1 is ever contacted).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Mapping, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO_ROOT / ".tmp"  # gitignored
BASE_IMAGE = "local/amplitude-til-base:bookworm"
CONNECTOR_IMAGE = "source-amplitude-til:test"
ROOTFS_TARBALL = CACHE_DIR / "amplitude-til-base-bookworm.tar"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def _run(cmd: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("check", True)
    return subprocess.run(list(cmd), **kwargs)


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(
            ["docker", "info"], capture_output=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def start_docker() -> str | None:
    """Try to bring an engine up via .ci/docker.sh; return why not, or None."""
    if docker_available():
        return None
    script = REPO_ROOT / ".ci" / "docker.sh"
    try:
        result = subprocess.run(
            ["bash", str(script)], capture_output=True, text=True, timeout=600
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{script.name}: {exc}"
    if result.returncode != 0 or not docker_available():
        lines = (result.stderr + result.stdout).strip().splitlines()
        own = [line for line in lines if line.startswith(f"{script.name}:")]
        return (own or lines or [f"{script.name} exited {result.returncode}"])[-1]
    return None


def _image_exists(name: str) -> bool:
    return (
        subprocess.run(
            ["docker", "image", "inspect", name], capture_output=True
        ).returncode
        == 0
    )


def _make_rootfs_tarball() -> None:
    CACHE_DIR.mkdir(exist_ok=True)
    rootfs = CACHE_DIR / "rootfs-bookworm"
    shutil.rmtree(rootfs, ignore_errors=True)
    _run(
        [
            "debootstrap",
            "--variant=minbase",
            "--include=python3,python3-pip,python3-venv,ca-certificates",
            "bookworm",
            str(rootfs),
            DEBIAN_MIRROR,
        ],
        stdout=subprocess.DEVNULL,
    )
    # pip inside the build must trust the same CAs the host does.
    if HOST_CA_BUNDLE.exists():
        shutil.copyfile(HOST_CA_BUNDLE, rootfs / "etc/ssl/certs/ca-certificates.crt")
    # Downloaded .debs are already unpacked; keep them out of the tarball.
    for deb in (rootfs / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()
    partial = ROOTFS_TARBALL.with_suffix(".tar.partial")
    _run(["tar", "-C", str(rootfs), "-cf", str(partial), "."])
    partial.rename(ROOTFS_TARBALL)  # atomic: a killed run never leaves a half tarball
    shutil.rmtree(rootfs, ignore_errors=True)


def ensure_base_image() -> str:
    """Return the local base image, building it (once) if missing."""
    if _image_exists(BASE_IMAGE):
        return BASE_IMAGE
    if not ROOTFS_TARBALL.exists():
        _make_rootfs_tarball()
    with ROOTFS_TARBALL.open("rb") as tarball:
        _run(
            [
                "docker", "import",
                # The tarball carries no image config; give it a usable PATH.
                "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "--change", "ENV PIP_BREAK_SYSTEM_PACKAGES=1",
                "-", BASE_IMAGE,
            ],
            stdin=tarball,
            stdout=subprocess.DEVNULL,
        )
    return BASE_IMAGE


def build_connector_image(base_image: str | None = None) -> str:
    base_image = base_image or ensure_base_image()
    result = subprocess.run(
        [
            "docker", "build", "--network", "host",
            "--build-arg", f"BASE_IMAGE={base_image}",
            "-t", CONNECTOR_IMAGE,
            ".",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise RuntimeError(f"docker build failed ({result.returncode}):\n{tail}")
    return CONNECTOR_IMAGE


def image_config(image: str) -> dict:
    out = _run(
        ["docker", "image", "inspect", "--format", "{{json .Config}}", image],
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def docker_run(
    image: str,
    args: Sequence[str],
    mounts: Mapping[str | os.PathLike, str] | str | os.PathLike | None = None,
    timeout: float = 300,
    options: Sequence[str] = (),
) -> subprocess.CompletedProcess:
    """Run the image once; `mounts` is a secrets dir (mounted at /secrets)
    or a {host_dir: container_path} mapping; `options` go to `docker run`."""
    if mounts is None:
        mounts = {}
    elif not isinstance(mounts, Mapping):
        mounts = {mounts: "/secrets"}
    volumes: list[str] = []
    for host_dir, container_path in mounts.items():
        volumes += ["-v", f"{Path(host_dir).resolve()}:{container_path}"]
    return subprocess.run(
        ["docker", "run", "--rm", "--network", "host", *volumes, *options, image, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
