"""docker-compose.yml: compose accepts it, its services come up in order and stay healthy, and
every service's command, run as a local process against PostgreSQL, Redis and an S3 stand-in,
takes a report from intake to its department."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from tests import services
from tests.deployment.compose import COMPOSE_FILE, MissingVariable, load
from tests.deployment.servers import DIRECT, answers
from tests.deployment.slow_clients import post_normal_report
from tests.faults.stack import Process, RedisServer, free_port, wait_for
from tests.pipeline.support import REPO_ROOT, worker_environment

OPERATOR_ENVIRONMENT = {"MACHIKOE_SECRET_KEY": "compose-test-secret", "MACHIKOE_PUBLIC_BASE_URL": "https://machikoe.city.example.jp"}
APP_SERVICES = ("api", "worker", "notifier", "beat")
DOCKERFILE = REPO_ROOT / "config" / "Dockerfile"


@pytest.fixture(scope="module")
def compose() -> dict:
    return load(OPERATOR_ENVIRONMENT)


def compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode == 0:
        return ["docker", "compose"]
    services.unavailable("docker compose", FileNotFoundError("neither docker-compose nor the docker compose plugin is installed"))
    raise AssertionError("unreachable")


def test_docker_compose_accepts_the_file():
    environment = {**worker_environment({}), **OPERATOR_ENVIRONMENT}
    checked = subprocess.run([*compose_command(), "-f", str(COMPOSE_FILE), "config", "-q"], cwd=REPO_ROOT, env=environment,
                             capture_output=True, text=True, timeout=60, check=False)

    assert checked.returncode == 0, checked.stderr


def test_the_public_base_url_must_be_set():
    with pytest.raises(MissingVariable, match="MACHIKOE_PUBLIC_BASE_URL"):
        load({"MACHIKOE_SECRET_KEY": "s"})


def test_app_services_start_after_migrate_has_finished(compose):
    for name in (*APP_SERVICES, "setup"):
        depends = compose["services"][name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["minio"] == {"condition": "service_healthy"}, name


def test_minio_is_pinned_and_has_a_healthcheck(compose):
    minio = compose["services"]["minio"]

    assert re.fullmatch(r"minio/minio:RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ", minio["image"])
    assert minio["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}


def test_workers_are_checked_by_celery_inspect_ping(compose):
    for name in ("worker", "notifier"):
        command, healthcheck = compose["services"][name]["command"], compose["services"][name]["healthcheck"]["test"]
        node = command[command.index("-n") + 1].replace("%h", "$HOSTNAME")
        assert healthcheck == ["CMD-SHELL", f"celery -A workers inspect ping -d {node} --timeout 10"], name


def test_beat_keeps_its_schedule_on_a_volume(compose):
    beat = compose["services"]["beat"]
    schedule = next(arg.split("=", 1)[1] for arg in beat["command"] if arg.startswith("--schedule="))
    volume, mount = beat["volumes"][0].split(":")[:2]

    assert Path(schedule).parent == Path(mount)
    assert volume in compose["volumes"]


def test_only_nginx_faces_the_network_and_the_store_is_presigned_for_browsers(compose):
    api, nginx = compose["services"]["api"], compose["services"]["nginx"]

    assert "ports" not in api
    assert nginx["volumes"] == ["./config/nginx.conf:/etc/nginx/conf.d/default.conf:ro"]
    environment = api["environment"]
    assert environment["MACHIKOE_PUBLIC_BASE_URL"] == OPERATOR_ENVIRONMENT["MACHIKOE_PUBLIC_BASE_URL"]
    assert environment["MACHIKOE_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert environment["MACHIKOE_S3_PUBLIC_ENDPOINT_URL"] == "http://localhost:9000"


def test_setup_service_mounts_a_folder_for_boundary_files(compose):
    setup = compose["services"]["setup"]

    assert setup["volumes"] == ["./setup:/setup:ro"] and setup["profiles"] == ["setup"]
    assert load({**OPERATOR_ENVIRONMENT, "MACHIKOE_SETUP_DIR": "/srv/n03"})["services"]["setup"]["volumes"] == ["/srv/n03:/setup:ro"]


def test_the_image_has_a_command_and_a_healthcheck(compose):
    instructions = [line.split(None, 1) for line in DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
                    if line.strip() and not line.startswith("#")]
    by_name = {name: rest for name, *rest in instructions for rest in [rest[0] if rest else ""]}

    assert json.loads(by_name["CMD"]) == compose["services"]["api"]["command"]
    assert "/readyz" in by_name["HEALTHCHECK"]


@pytest.fixture()
def s3_stand_in() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def local_command(argv: list[str], *, port: int, root: Path) -> list[str]:
    """A service's command as a local process: this virtualenv's programs, a local port, local files.

    Worker and process counts are lowered to spare a shared test machine; every other argument is the file's.
    """
    program = str(Path(sys.executable).with_name(argv[0]))
    local = []
    for given in argv[1:]:
        arg = given
        if given == "0.0.0.0:8000":
            arg = f"127.0.0.1:{port}"
        elif given.startswith("--schedule="):
            arg = f"--schedule={root / Path(given.split('=', 1)[1]).name}"
        elif given.startswith("--concurrency="):
            arg = "--concurrency=2"
        local.append(arg)
    if "--workers" in local:
        local[local.index("--workers") + 1] = "2"
    return [program, *local]


def test_every_compose_service_runs_as_a_process_and_a_report_is_routed(compose, s3_stand_in):
    root = Path(tempfile.mkdtemp(prefix="machikoe-compose-"))
    redis_server = RedisServer(root)
    redis_server.start()
    processes: list[Process] = []
    try:
        environment = dict(compose["services"]["api"]["environment"])
        # The compose network's host names, as this machine has them.
        assert environment["DATABASE_URL"].startswith("postgresql://machikoe:machikoe@postgres:5432/")
        environment.update({
            "DATABASE_URL": services.postgres_url("compose", fresh=True),
            "REDIS_URL": redis_server.url,
            "MACHIKOE_S3_ENDPOINT_URL": s3_stand_in,
            "MACHIKOE_S3_PUBLIC_ENDPOINT_URL": s3_stand_in,
            "MACHIKOE_DATA_DIR": str(root / "data"),
            "MACHIKOE_RATE_LIMITS_ENABLED": "false",
            "HOSTNAME": socket.gethostname(),
        })
        environment = worker_environment(environment)
        port = free_port()
        base = f"http://127.0.0.1:{port}"

        migrate = subprocess.run(local_command(compose["services"]["migrate"]["command"], port=port, root=root), cwd=REPO_ROOT,
                                 env=environment, capture_output=True, text=True, timeout=180, check=False)
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        # The operator's first step, through the setup service (README, "Deployment").
        seeded = subprocess.run(local_command(["machikoe", "seed-demo"], port=port, root=root), cwd=REPO_ROOT,
                                env=environment, capture_output=True, text=True, timeout=120, check=False)
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr

        for name in APP_SERVICES:
            argv = local_command(compose["services"][name]["command"], port=port, root=root)
            processes.append(Process(name, argv, root / f"{name}.log", env=environment))
        wait_for(lambda: answers(base, "/readyz"), what="the api service to be ready", timeout=60, logs=processes)

        status, body = post_normal_report(port)
        assert status == 201, body
        public_id = json.loads(body)["id"]

        seen: dict = {}

        def published() -> bool:
            try:
                with DIRECT.open(f"{base}/api/v1/reports/{public_id}", timeout=5) as response:
                    seen.update(json.load(response))
            except (OSError, urllib.error.HTTPError):
                return False
            return seen["processing"] == "done" and seen["photo_state"] == "complete"

        wait_for(published, what="the report to be routed and its photo checked and published", timeout=60, logs=processes)
        report = seen
        assert report["department"] == "道路課" and len(report["photos"]) == 1

        # The healthchecks compose would run, here.
        for name in ("worker", "notifier"):
            check = compose["services"][name]["healthcheck"]["test"][1]
            ping = subprocess.run(["bash", "-c", check], cwd=REPO_ROOT, env={**environment, "PATH": str(Path(sys.executable).parent)
                                  + ":/usr/bin:/bin"}, capture_output=True, text=True, timeout=30, check=False)
            assert ping.returncode == 0, f"{name}: {ping.stdout}{ping.stderr}"
        assert all(process.running for process in processes), [p.name for p in processes if not p.running]
        wait_for(lambda: any(root.glob("celerybeat-schedule*")), what="beat's schedule file", timeout=20, logs=processes)
    finally:
        for process in processes:
            process.ask_to_stop()
        for process in processes:
            process.stop()
        redis_server.stop()
        shutil.rmtree(root, ignore_errors=True)
