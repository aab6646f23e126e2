"""README.md's shell blocks, run as written against a served instance, so the README cannot drift.

Every ```sh block runs, in order, in one bash session (so `ID=…` carries from
one block to the next), with `set -euo pipefail` and curl failing on an HTTP
error. A block preceded by an HTML comment saying "not run" is left out (the
install commands). `machikoe serve` runs on a free port in a temporary data
directory; the blocks' 127.0.0.1:8000 is replaced with that port, and
`machikoe` is the one of this environment.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"((?:<!--[^\n]*-->\n)*)```sh\n(.*?)```", re.S)
# Only the settings the README's reader has: the embedded default, nothing of this test run.
DROPPED = ("MACHIKOE_", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [body for comments, body in BLOCK.findall(text) if "not run" not in comments]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def served(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED)}
    env.update(MACHIKOE_DATA_DIR=str(tmp_path / "var"), MACHIKOE_LOG_LEVEL="WARNING",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen([str(Path(sys.executable).parent / "machikoe"), "serve", "--port", str(port)],
                                  cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"machikoe serve did not come up: {log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        yield port, env, tmp_path
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def test_every_shell_block_of_the_readme_runs_against_a_served_instance(served):
    port, env, workdir = served
    blocks = readme_blocks()
    assert len(blocks) >= 6
    # What the reader has at hand: a photo from their phone, and this repository's sample boundaries.
    Image.new("RGB", (1600, 1200), (120, 110, 100)).save(workdir / "photo.jpg", "JPEG", quality=85)
    (workdir / "tests").symlink_to(ROOT / "tests", target_is_directory=True)
    script = ["set -euo pipefail", 'curl() { command curl --fail-with-body --max-time 30 "$@"; }']
    for number, block in enumerate(blocks, start=1):
        script.append(f"echo '=== README block {number}' >&2")
        script.append(block.replace("127.0.0.1:8000", f"127.0.0.1:{port}"))
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    failed_at = re.findall(r"=== README block (\d+)", done.stderr)
    assert done.returncode == 0, (f"README block {failed_at[-1] if failed_at else '?'} failed:\n"
                                  f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    # What a reader sees along the way.
    assert '"status_label": "受付"' in done.stdout or '"status_label":"受付"' in done.stdout
    assert "set up 121002 千葉県千葉市" in done.stdout
    assert "department: ward-121011 中央区役所" in done.stdout
    assert '"status": "acknowledged"' in done.stdout or '"status":"acknowledged"' in done.stdout
