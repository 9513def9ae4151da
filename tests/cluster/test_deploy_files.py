"""docker-compose.yml, the Dockerfile and the systemd unit, read as docker and systemd would
read them (docker itself does not run here): the parts, their health checks and volumes,
and the same settings `make run-cluster` uses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from server import cluster
from tests.conftest import ROOT

SETTINGS = (ROOT / "server" / "settings.py").read_text()


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_the_parts_and_their_health_checks() -> None:
    services = compose()["services"]
    assert set(services) == {"redis", "antrean-1", "antrean-2", "nginx"}
    for name in ("redis", "nginx"):
        assert services[name]["healthcheck"]["test"][0] == "CMD"
    # The replicas' own check is the image's (the Dockerfile's HEALTHCHECK); nginx waits
    # for it, and the replicas wait for Redis's.
    assert services["nginx"]["depends_on"] == {
        "antrean-1": {"condition": "service_healthy"},
        "antrean-2": {"condition": "service_healthy"},
    }
    for name in ("antrean-1", "antrean-2"):
        assert services[name]["depends_on"] == {"redis": {"condition": "service_healthy"}}


def test_redis_keeps_its_aof_on_a_volume_as_run_cluster_does() -> None:
    redis = compose()["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == cluster.APPENDFSYNC
    assert "redis:/data" in redis["volumes"]
    assert {"redis", "data", "audio"} <= set(compose()["volumes"])


def test_both_replicas_share_one_secret_and_name_themselves() -> None:
    services = compose()["services"]
    one, two = (services[f"antrean-{n}"]["environment"] for n in (1, 2))
    assert one["ANTREAN_SECRET"] == two["ANTREAN_SECRET"]
    assert one["ANTREAN_SECRET"].startswith("${ANTREAN_SECRET:?")
    assert (one["ANTREAN_PROCESS"], two["ANTREAN_PROCESS"]) == ("antrean-1", "antrean-2")
    assert one["ANTREAN_REDIS_URL"] == two["ANTREAN_REDIS_URL"] == "redis://redis:6379/0"
    for name in one:  # every setting is one the app reads
        assert f'"{name}"' in SETTINGS, name
    assert "data:/data" in services["antrean-1"]["volumes"]
    assert "audio:/audio" in services["antrean-1"]["volumes"]


def test_nginx_uses_run_cluster_s_template_with_every_name_filled() -> None:
    nginx = compose()["services"]["nginx"]
    mounted = {v.split(":")[0]: v.split(":")[1] for v in nginx["volumes"]}
    template = mounted["./deploy/nginx.conf.template"]
    assert ROOT / "deploy" / "nginx.conf.template" == cluster.TEMPLATE
    assert template.startswith("/etc/nginx/templates/") and template.endswith(".template")
    environment = nginx["environment"]
    rendered = cluster.render_template(cluster.TEMPLATE.read_text(), **environment)
    assert "${" not in rendered
    upstreams = re.findall(
        r"server (antrean-\d):8000 max_fails=(\d+) fail_timeout=(\w+);", rendered
    )
    assert upstreams == [
        (f"antrean-{n}", str(cluster.MAX_FAILS), cluster.FAIL_TIMEOUT) for n in (1, 2)
    ]


def test_the_image_runs_as_nobody_special_from_the_lock_file() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER antrean$", dockerfile, re.M)
    assert dockerfile.count("uv sync --locked") == 2
    assert "espeak-ng" in dockerfile and "sox" in dockerfile
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", dockerfile, re.M)
    assert '"--host", "0.0.0.0", "--port", "8000"' in dockerfile


def test_the_image_leaves_out_the_local_environment_data_and_secrets() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", "data", "data-cluster", "tls", ".env", ".git"} <= ignored


def test_the_env_example_names_what_compose_asks_for() -> None:
    example = (ROOT / ".env.example").read_text()
    asked = set(re.findall(r"\$\{(ANTREAN_\w+)", (ROOT / "docker-compose.yml").read_text()))
    given = set(re.findall(r"^(ANTREAN_\w+)=", example, re.M))
    assert asked == given


def test_the_systemd_unit_runs_one_process_per_port() -> None:
    unit = (ROOT / "deploy" / "antrean@.service").read_text()
    assert "ExecStart=/opt/antrean/.venv/bin/antrean run --host 127.0.0.1 --port %i" in unit
    assert "User=antrean" in unit and "Restart=always" in unit
    assert Path("/etc/antrean/antrean.env").name in unit
