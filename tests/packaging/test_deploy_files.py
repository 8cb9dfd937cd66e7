"""The deployment files as written: compose.yaml, the Caddyfiles, the systemd unit and the env
file examples. Checked without Docker or systemd running: compose's rules (interpolation, merge
keys) are applied here, Caddy and systemd-analyze check their own files."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from pds.server.buffered import gunicorn_settings
from pds.settings import FIELDS, Settings, SettingsError, env_name, resolve_settings
from tests.packaging.deploy_files import (
    COMPOSE,
    DEPLOY,
    PROVIDER_ENV,
    SELFHOST_ENV,
    UNIT,
    MissingVariable,
    compose,
    env_file,
    environment,
    installed,
    interpolate,
    pod_servers,
    run_caddy,
    unit_environment,
    unit_exec_start,
    unit_value,
    variables,
)
from tests.packaging.dockerfile import (
    DOCKERFILE,
    ROOT,
    dockerignored,
    exec_form,
    image,
    image_env,
)

SECRETS = {"POSTGRES_PASSWORD", "PDS_SECRET_KEY", "PDS_ADMIN_TOKEN"}
# What an operator fills in: deploy/provider.env.example leaves these empty.
FILLED_IN = {name: f"{name.lower().replace('_', '-')}-{'x' * 32}" for name in SECRETS}
GRACEFUL = gunicorn_settings("127.0.0.1", 8000, 1, "info", 0)["graceful_timeout"]


def _provider_env() -> dict[str, str]:
    """The example env file, as an operator fills it in."""
    return env_file(PROVIDER_ENV) | FILLED_IN


# -- every file: settings by their real names ---------------------------------------------------


def test_every_pds_variable_in_the_deployment_files_is_a_setting():
    known = {env_name(name) for name in FIELDS} | {"PDS_CONFIG"}  # PDS_CONFIG: the config file
    files = [DOCKERFILE, COMPOSE, *sorted(p for p in DEPLOY.iterdir() if p.is_file())]
    named = {
        path.relative_to(ROOT).as_posix(): set(re.findall(r"\bPDS_[A-Z0-9_]+\b", path.read_text()))
        for path in files
    }
    unknown = {file: sorted(names - known) for file, names in named.items() if names - known}
    assert unknown == {}, f"not settings of pds.settings (a typo?): {unknown}"
    assert {"PDS_DATABASE_URL", "PDS_SECRET_KEY"} <= named["compose.yaml"]
    assert "PDS_DATA_DIR" in named["deploy/pds.service"]


# -- compose.yaml ---------------------------------------------------------------------------------


def test_compose_runs_two_identical_pod_servers_after_one_migration():
    spec = compose()
    services = spec["services"]
    servers = pod_servers(spec)
    assert sorted(servers) == ["app1", "app2"]
    app1, app2 = (environment(s) for s in servers.values())
    assert app1 == app2, "the pod servers must run with the same settings"
    assert servers["app1"]["image"] == servers["app2"]["image"] == services["migrate"]["image"]

    migrate = services["migrate"]
    assert exec_form(image(), "ENTRYPOINT") + migrate["command"] == ["pds", "migrate"]
    assert migrate.get("restart") == "no"
    env = _provider_env()
    assert (
        environment(migrate, env)["PDS_DATABASE_URL"]
        == environment(servers["app1"], env)["PDS_DATABASE_URL"]
    )
    for server in servers.values():
        assert server["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert migrate["depends_on"]["db"] == {"condition": "service_healthy"}


def test_compose_database_has_a_healthcheck_and_a_named_volume():
    db = compose()["services"]["db"]
    assert db["image"].startswith("postgres:16")
    assert "pg_isready" in db["healthcheck"]["test"]
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose()["volumes"], f"{volume} is not a named volume"


def test_only_caddy_is_published_and_it_fronts_both_servers():
    services = compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"caddy"}
    caddy = services["caddy"]
    assert caddy["image"].startswith("caddy:2")
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert set(caddy["depends_on"]) == set(pod_servers(compose()))
    port = image_env(image())["PDS_PORT"]
    for server in pod_servers(compose()).values():
        assert server["expose"] == [port]


def test_compose_holds_no_secret_only_variables_from_env():
    """Each secret value is exactly what the env file gives, and nothing when it gives none."""
    markers = {name: f"<{name}>" for name in SECRETS}
    env = env_file(PROVIDER_ENV) | markers
    for name, service in compose()["services"].items():
        for key, value in environment(service, env).items():
            if key == "PDS_DATABASE_URL":
                value = urlsplit(value).password or ""
            elif not re.search(r"SECRET|TOKEN|PASSWORD|KEY", key):
                continue
            assert value in markers.values(), f"{name}: {key} is not set from .env: {value!r}"
            empty = {**env, re.sub(r"[<>]", "", value): ""}
            with pytest.raises(MissingVariable):
                environment(service, empty)


def test_the_example_env_file_is_all_compose_asks_for_and_refuses_to_start_unfilled():
    required = {
        m["name"]
        for service in compose()["services"].values()
        for value in [*environment(service).values(), service.get("image", "")]
        for m in variables(value)
        if (m["op"] or "").endswith("?")
    }
    example = env_file(PROVIDER_ENV)
    assert required <= set(example), f"missing from the example: {required - set(example)}"
    assert {name for name in required if not example[name]} == SECRETS
    with pytest.raises(MissingVariable):
        for service in compose()["services"].values():
            environment(service, example)


def test_compose_pod_server_settings_are_valid_and_as_documented():
    env = _provider_env()
    # What the container sees: the image's ENV, then compose's environment over it
    server_env = image_env(image()) | environment(pod_servers(compose())["app1"], env)
    settings = resolve_settings(env=server_env).settings  # raises on any value pds refuses
    assert settings.provider_url == f"https://{{pod}}.{env['PODS_DOMAIN']}"
    assert settings.trusted_proxies == 1
    assert settings.log_format == "json"
    assert settings.secret_key == FILLED_IN["PDS_SECRET_KEY"]
    assert urlsplit(settings.database_url).hostname == "db"
    # compose's own fallbacks, `${PDS_WORKERS:-2}`, are pds's defaults: they cannot drift
    defaults = Settings()
    for key, value in environment(pod_servers(compose())["app1"]).items():
        for match in variables(value):
            if match["op"] == ":-" and match["name"].startswith("PDS_"):
                name = match["name"].removeprefix("PDS_").lower()
                assert getattr(settings, name) == getattr(defaults, name), key


def test_operator_secrets_never_reach_the_build_context():
    ignored = dockerignored()
    for path in (".env", "deploy/provider.env", "deploy/pds.env"):
        assert ignored(path), f"{path} would be sent to the image builder"


def test_compose_interpolation_follows_compose_rules():
    env = {"SET": "v", "EMPTY": ""}
    assert interpolate("${SET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d} $$SET $SET", env) == (
        "v d  d $SET v"
    )
    with pytest.raises(MissingVariable):
        interpolate("${EMPTY:?give it}", env)
    assert interpolate("${EMPTY?given, though empty}", env) == ""


def test_compose_stop_grace_period_outlasts_the_graceful_shutdown():
    for server in pod_servers(compose()).values():
        assert int(server["stop_grace_period"].removesuffix("s")) > GRACEFUL


# -- the Caddyfiles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caddyfile", "env"),
    [
        ("Caddyfile", {"PODS_DOMAIN": "pods.example"}),
        ("Caddyfile.selfhost", {"POD_DOMAIN": "pod.example.org"}),
    ],
)
def test_caddyfile_is_valid_and_formatted(caddyfile, env, tmp_path):
    path = DEPLOY / caddyfile
    done = run_caddy(
        "validate", "--adapter", "caddyfile", "--config", str(path), env=env, home=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    formatted = run_caddy("fmt", str(path), env=env, home=tmp_path)
    assert formatted.stdout == path.read_text(), "run `caddy fmt --overwrite` on it"


def _adapted(caddyfile: Path, env: dict[str, str], home: Path) -> dict:
    done = run_caddy(
        "adapt", "--adapter", "caddyfile", "--config", str(caddyfile), env=env, home=home
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _proxies(route: dict) -> list[dict]:
    """The reverse_proxy handlers of a route, subroutes included."""
    found = []
    for handler in route.get("handle", []):
        if handler["handler"] == "reverse_proxy":
            found.append(handler)
        for sub in handler.get("routes", []):
            found += _proxies(sub)
    return found


def test_caddyfile_routes_every_pod_host_to_both_servers_by_readiness(tmp_path):
    config = _adapted(DEPLOY / "Caddyfile", {"PODS_DOMAIN": "pods.example"}, tmp_path)
    servers = config["apps"]["http"]["servers"].values()
    (https,) = [s for s in servers if s["listen"] == [":443"]]
    hosts = {host for route in https["routes"] for m in route["match"] for host in m["host"]}
    assert hosts == {"*.pods.example", "pods.example"}
    port = image_env(image())["PDS_PORT"]
    backends = {f"{name}:{port}" for name in pod_servers(compose())}
    for route in https["routes"]:
        (proxy,) = _proxies(route)
        assert {u["dial"] for u in proxy["upstreams"]} == backends
        assert proxy["health_checks"]["active"]["uri"] == "/readyz"
        assert proxy["health_checks"]["active"].get("expect_status", 200) == 200
        # Caddy's own X-Forwarded-For/-Proto/-Host must reach the pod: none removed or faked
        changed = proxy.get("headers", {}).get("request", {})
        touched = {h.lower() for op in ("set", "add") for h in changed.get(op, {})}
        touched |= {h.lower() for h in changed.get("delete", [])}
        assert not touched & {"host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}

    # Certificates on demand, each name checked with the pod servers first
    policies = config["apps"]["tls"]["automation"]["policies"]
    (on_demand,) = [p for p in policies if p.get("on_demand")]
    assert on_demand["subjects"] == ["*.pods.example"]
    ask = urlsplit(config["apps"]["tls"]["automation"]["on_demand"]["permission"]["endpoint"])
    assert ask.hostname == "127.0.0.1", "the ask endpoint must not be reachable from outside"
    (asker,) = [s for s in servers if s["listen"] == [f"127.0.0.1:{ask.port}"]]
    (check,) = _proxies(asker["routes"][0])
    assert {u["dial"] for u in check["upstreams"]} == backends
    assert check["rewrite"]["uri"] == "/.well-known/pds-configuration"
    assert check["headers"]["request"]["set"]["Host"] == ["{http.request.uri.query.domain}"]


def test_selfhost_caddyfile_proxies_to_the_port_the_unit_listens_on(tmp_path):
    config = _adapted(DEPLOY / "Caddyfile.selfhost", {"POD_DOMAIN": "pod.example.org"}, tmp_path)
    (server,) = config["apps"]["http"]["servers"].values()
    (route,) = server["routes"]
    assert route["match"] == [{"host": ["pod.example.org"]}]
    (proxy,) = _proxies(route)
    unit = unit_environment()
    assert [u["dial"] for u in proxy["upstreams"]] == [f"{unit['PDS_HOST']}:{unit['PDS_PORT']}"]
    assert unit["PDS_TRUSTED_PROXIES"] == "1"


# -- the systemd unit -----------------------------------------------------------------------------


def test_systemd_unit_runs_the_command_the_image_runs():
    argv = unit_exec_start()
    assert argv[0] == "/opt/pds/.venv/bin/pds"
    image_argv = exec_form(image(), "ENTRYPOINT") + exec_form(image(), "CMD")
    assert [Path(argv[0]).name, *argv[1:]] == image_argv
    # serve migrates before it serves: no ExecStartPre that could race it
    assert unit_value("ExecStartPre") is None
    env = unit_environment()
    assert env["PDS_DATA_DIR"] == f"/var/lib/{unit_value('StateDirectory')}"
    assert env["PDS_HOST"] == "127.0.0.1"
    assert unit_value("User") == "pds"
    assert unit_value("KillSignal") == "SIGTERM"
    assert int(unit_value("TimeoutStopSec").removesuffix("s")) > GRACEFUL
    assert unit_value("Restart") == "on-failure"


def _verifiable_unit(tmp_path: Path) -> Path:
    """The unit with its venv's pds replaced by a stand-in: /opt/pds does not exist here, and
    systemd-analyze refuses an ExecStart it cannot execute."""
    stand_in = tmp_path / "pds"
    stand_in.write_text("#!/bin/sh\n")
    stand_in.chmod(0o755)
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace("/opt/pds/.venv/bin/pds", str(stand_in)))
    return unit


def test_systemd_unit_passes_systemd_analyze_verify(tmp_path):
    unit = _verifiable_unit(tmp_path)
    done = subprocess.run(
        [installed("systemd-analyze"), "verify", "--man=no", "--generators=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Unknown keys and bad values are only warnings: any output at all is a finding.
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_systemd_unit_is_hardened(tmp_path):
    unit = _verifiable_unit(tmp_path)
    done = subprocess.run(
        [installed("systemd-analyze"), "security", "--offline=yes", "--threshold=20", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    exposure = re.search(r"Overall exposure level for \S+: ([\d.]+)", done.stdout)
    assert exposure, done.stdout[-2000:] + done.stderr
    assert done.returncode == 0, f"exposure {exposure[1]} (systemd's scale, 0-10) is over 2.0"


def test_serve_tells_systemd_it_is_ready_once_it_listens(tmp_path):
    """Type=notify: systemd starts what comes after the pod only when it answers."""
    assert unit_value("Type") == "notify"
    program = Path(sys.executable).with_name(Path(unit_exec_start()[0]).name)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(30)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    env |= env_file(SELFHOST_ENV) | unit_environment()
    env |= {
        "PDS_DATA_DIR": str(tmp_path / "data"),
        "PDS_PORT": str(port),
        "NOTIFY_SOCKET": str(tmp_path / "notify"),
    }
    log = (tmp_path / "stderr.log").open("wb")
    process = subprocess.Popen(
        [program, *unit_exec_start()[1:]],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        started = time.monotonic()
        message = notify.recv(4096).decode()
        assert "READY=1" in message.splitlines(), message
        owner = requests.get(f"http://127.0.0.1:{port}/owner", timeout=5)
        assert owner.json()["pod"] == env["PDS_BASE_URL"], "the env file's base URL is not used"
        assert time.monotonic() - started < 30
        process.send_signal(signal.SIGTERM)  # KillMode=mixed: the main process gets it
        assert process.wait(timeout=int(unit_value("TimeoutStopSec").removesuffix("s"))) == 0
    finally:
        notify.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


def test_the_units_settings_are_valid_for_pds():
    env = env_file(SELFHOST_ENV) | unit_environment()
    try:
        settings = resolve_settings(env=env).settings
    except SettingsError as exc:
        pytest.fail(f"pds refuses the unit's settings: {exc}")
    assert settings.effective_base_url.startswith("https://")
