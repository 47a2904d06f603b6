"""Static checks of the production stack: docker-compose.yml, the Dockerfile and Grafana's provisioning.

No Docker engine is needed: the files are parsed and checked against the rules the stack must keep.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from trygg.adapters.grafana import INTERNAL_FOLDER
from trygg.boards.build import rendered
from trygg.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
DATASOURCE_FILE = PROVISIONING / "datasources" / "trygg.yaml"
DASHBOARD_PROVIDER_FILE = PROVISIONING / "dashboards" / "trygg.yaml"

# Services that run our image (built from the Dockerfile), and the one of them that runs once and exits.
OUR_SERVICES = {"migrate", "processor", "relay", "form", "police-feed"}
ONE_SHOT_SERVICES = {"migrate"}
EXPECTED_SERVICES = {"kafka", "timescaledb", "migrate", "processor", "grafana"}
REQUIRED_SETTINGS = {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"}
SETTINGS_NAMES = {name.upper() for name in Settings.model_fields}

# An exact version: at least major.minor.patch, optionally with a suffix (-pg17, -slim-bookworm).
EXACT_VERSION_TAG = re.compile(r"^v?\d+\.\d+\.\d+([.+_-][A-Za-z0-9.+_-]+)?$")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def _load_yaml(path: Path) -> Any:
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = _load_yaml(COMPOSE_FILE)
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), (
        "docker-compose.yml has no `services:` mapping"
    )
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _image_pin_problem(image: str) -> str | None:
    """Why `image` is not pinned to an exact version, or None when it is."""
    if DIGEST.search(image):
        return None
    last_part = image.rsplit("/", 1)[-1]  # a registry host may carry a port: host:5000/name:tag
    if ":" not in last_part:
        return "has no tag (means :latest)"
    tag = last_part.rsplit(":", 1)[1]
    if tag == "latest" or "latest" in tag.split("-"):
        return f"uses the moving tag {tag!r}"
    if "$" in tag:
        return f"takes its tag from a variable ({tag!r}), so the version is not in the file"
    if not EXACT_VERSION_TAG.match(tag):
        return f"tag {tag!r} is not an exact major.minor.patch version"
    return None


def _environment(service: dict[str, Any]) -> dict[str, Any]:
    """The service's environment as a mapping, whichever of compose's two forms it is written in."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) if "=" in item else (item, None) for item in env)
        return {name: value for name, value in pairs}
    assert isinstance(env, dict), f"environment must be a list or a mapping, got {type(env).__name__}"
    return env


def _depends_on(service: dict[str, Any]) -> dict[str, Any] | list[str]:
    return service.get("depends_on") or {}


def test_expected_services_exist(services: dict[str, dict[str, Any]]) -> None:
    missing = EXPECTED_SERVICES - services.keys()
    assert not missing, f"docker-compose.yml lacks the services {sorted(missing)}"


def test_images_are_pinned_and_our_services_are_built(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if name in OUR_SERVICES:
            build = service.get("build")
            assert build is not None, f"service {name!r} runs our code: it must have `build:` (the Dockerfile)"
            context = build if isinstance(build, str) else build.get("context")
            assert context in {".", "./"}, f"service {name!r}: build context must be the repo root, got {context!r}"
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            assert dockerfile == "Dockerfile", f"service {name!r}: builds {dockerfile!r}, not the repo's Dockerfile"
            assert "image" not in service, (
                f"service {name!r} is built from the Dockerfile: it must not also name an image "
                f"({service['image']!r}), which could be pulled instead of built"
            )
            continue
        assert "build" not in service, f"service {name!r} has `build:` but is not one of our services {OUR_SERVICES}"
        image = service.get("image")
        assert image, f"service {name!r} has neither `image:` nor `build:`"
        problem = _image_pin_problem(str(image))
        assert problem is None, f"service {name!r}: image {image!r} {problem}"


def test_every_service_has_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        healthcheck = service.get("healthcheck")
        assert isinstance(healthcheck, dict), f"service {name!r} has no healthcheck"
        assert not healthcheck.get("disable"), f"service {name!r} disables its healthcheck"
        test = healthcheck.get("test")
        assert test, f"service {name!r}: healthcheck has no `test`"
        if isinstance(test, list):
            assert test[0] in {"CMD", "CMD-SHELL"}, (
                f"service {name!r}: healthcheck test list must start with CMD or CMD-SHELL, got {test[0]!r}"
            )
            assert len(test) > 1, f"service {name!r}: healthcheck test has no command after {test[0]!r}"


def test_every_dependency_waits_on_a_condition(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        depends_on = _depends_on(service)
        assert isinstance(depends_on, dict), (
            f"service {name!r}: depends_on is a list, so it only waits for containers to start; "
            "use the mapping form with a `condition:` for each dependency"
        )
        for dependency, spec in depends_on.items():
            assert dependency in services, f"service {name!r} depends on unknown service {dependency!r}"
            condition = (spec or {}).get("condition")
            if dependency in ONE_SHOT_SERVICES:
                assert condition == "service_completed_successfully", (
                    f"service {name!r} -> {dependency!r}: a one-shot service must be waited on with "
                    f"condition service_completed_successfully, got {condition!r}"
                )
            else:
                assert condition == "service_healthy", (
                    f"service {name!r} -> {dependency!r}: must use condition service_healthy, got {condition!r}"
                )


def test_only_migrate_is_one_shot(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        restart = str(service.get("restart", "no"))
        if name in ONE_SHOT_SERVICES:
            assert restart == "no", f"one-shot service {name!r} must not be restarted, has restart {restart!r}"
        else:
            assert restart in {"always", "unless-stopped"}, (
                f"long-running service {name!r} must restart (always/unless-stopped), has restart {restart!r}"
            )


@pytest.mark.parametrize("name", sorted(OUR_SERVICES))
def test_our_services_only_use_settings_names(services: dict[str, dict[str, Any]], name: str) -> None:
    service = services[name]
    assert "env_file" not in service, (
        f"service {name!r} uses env_file, whose variable names this test cannot check; list them in `environment:`"
    )
    env = _environment(service)
    unknown = sorted(set(env) - SETTINGS_NAMES)
    assert not unknown, (
        f"service {name!r} sets {unknown}, which are not fields of trygg.settings.Settings "
        "(so the service would silently ignore them)"
    )
    missing = sorted(REQUIRED_SETTINGS - set(env))
    assert not missing, f"service {name!r} does not set the required settings {missing}"
    for variable, value in env.items():
        assert value not in (None, ""), f"service {name!r}: {variable} has no value"


def test_processor_connects_as_writer_and_migrate_as_superuser(services: dict[str, dict[str, Any]]) -> None:
    processor_url = str(_environment(services["processor"])["DATABASE_URL"])
    assert processor_url.startswith("postgresql://trygg_writer:"), (
        f"processor must connect as the service role trygg_writer, DATABASE_URL is {processor_url!r}"
    )
    migrate_env = _environment(services["migrate"])
    assert str(migrate_env["DATABASE_URL"]).startswith("postgresql://postgres:"), (
        "migrate creates roles and the extension: its DATABASE_URL must use the superuser postgres"
    )
    for variable in ("DATABASE_WRITER_PASSWORD", "DATABASE_READER_PASSWORD"):
        assert variable in migrate_env, f"migrate sets the role passwords: it needs {variable}"


def test_migrate_and_processor_commands(services: dict[str, dict[str, Any]]) -> None:
    migrate_command = " ".join(services["migrate"].get("command") or [])
    assert "trygg migrate" in migrate_command and "trygg topics create" in migrate_command, (
        f"migrate must run `trygg migrate && trygg topics create`, runs {migrate_command!r}"
    )
    processor_command = services["processor"].get("command", ["trygg", "worker"])
    if isinstance(processor_command, str):
        processor_command = processor_command.split()
    assert processor_command == ["trygg", "worker"], f"processor must run `trygg worker`, runs {processor_command!r}"
    port = str(_environment(services["processor"]).get("PROCESSOR_WEB_PORT", 6066))
    health = " ".join(services["processor"]["healthcheck"]["test"])
    assert f":{port}/" in health, f"processor healthcheck does not probe the Faust web port {port}: {health!r}"


def test_secrets_are_not_written_in_the_file(services: dict[str, dict[str, Any]]) -> None:
    secrets = {
        "timescaledb": ["POSTGRES_PASSWORD"],
        "grafana": ["GF_SECURITY_ADMIN_PASSWORD", "DATABASE_READER_PASSWORD"],
        "migrate": ["DATABASE_WRITER_PASSWORD", "DATABASE_READER_PASSWORD"],
    }
    for name, variables in secrets.items():
        env = _environment(services[name])
        for variable in variables:
            value = str(env.get(variable, ""))
            assert value.startswith("${"), f"service {name!r}: {variable} must come from the environment, got {value!r}"


def test_grafana_mounts_provisioning_and_dashboards(services: dict[str, dict[str, Any]]) -> None:
    volumes = services["grafana"].get("volumes") or []
    mounts: dict[str, tuple[str, str]] = {}
    for volume in volumes:
        if isinstance(volume, dict):
            source, target = str(volume.get("source", "")), str(volume.get("target", ""))
            mode = "ro" if volume.get("read_only") else "rw"
        else:
            source, target, *rest = str(volume).split(":")
            mode = rest[0] if rest else "rw"
        mounts[source.removeprefix("./").rstrip("/")] = (target.rstrip("/"), mode)
    expected = {
        "deploy/grafana/provisioning": "/etc/grafana/provisioning",
        "dashboards/intern": "/var/lib/grafana/dashboards/intern",
    }
    for source, target in expected.items():
        assert source in mounts, f"grafana does not mount ./{source} (mounts: {volumes})"
        assert mounts[source][0] == target, f"grafana mounts ./{source} at {mounts[source][0]!r}, not {target!r}"
        assert mounts[source][1] == "ro", f"grafana must mount ./{source} read-only"
        assert (ROOT / source).is_dir(), f"./{source} mounted into grafana does not exist in the repo"


def test_grafana_anonymous_access_is_off(services: dict[str, dict[str, Any]]) -> None:
    env = _environment(services["grafana"])
    value = env.get("GF_AUTH_ANONYMOUS_ENABLED")
    assert str(value).lower() == "false", f"grafana must set GF_AUTH_ANONYMOUS_ENABLED=false, has {value!r}"
    admin_password = str(env.get("GF_SECURITY_ADMIN_PASSWORD", ""))
    assert admin_password.startswith("${"), "grafana's admin password must come from the environment"


def test_dockerfile_base_image_is_pinned() -> None:
    assert DOCKERFILE.is_file(), "Dockerfile is missing"
    lines = [line.strip() for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    stages: set[str] = set()
    bases: list[str] = []
    for line in instructions:
        parts = line.split()
        if parts[0].upper() != "FROM":
            continue
        args = [part for part in parts[1:] if not part.startswith("--")]
        image = args[0]
        if image not in stages:
            bases.append(image)
        if len(args) >= 3 and args[1].upper() == "AS":
            stages.add(args[2])
    assert bases, "Dockerfile has no FROM"
    for image in bases:
        problem = _image_pin_problem(image)
        assert problem is None, f"Dockerfile base image {image!r} {problem}"
    assert any(re.match(r"^python:3\.11\.\d+-slim", image) for image in bases), (
        f"Dockerfile must build on python:3.11.<patch>-slim, builds on {bases}"
    )
    users = [line.split(None, 1)[1] for line in instructions if line.split()[0].upper() == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}, "Dockerfile must switch to a non-root USER"
    cmd = [line for line in instructions if line.split()[0].upper() == "CMD"]
    assert cmd and cmd[-1] == 'CMD ["trygg", "worker"]', f"Dockerfile default command must be `trygg worker`: {cmd}"


def test_datasource_uses_read_only_role() -> None:
    data = _load_yaml(DATASOURCE_FILE)
    datasources = data.get("datasources") or []
    postgres = [ds for ds in datasources if ds.get("type") == "grafana-postgresql-datasource"]
    assert len(postgres) == 1, f"expected one grafana-postgresql-datasource in {DATASOURCE_FILE.name}, found {len(postgres)}"
    ds = postgres[0]
    assert ds.get("uid") == "trygg-timescaledb", f"datasource uid must be 'trygg-timescaledb', is {ds.get('uid')!r}"
    assert ds.get("user") == "trygg_reader", f"datasource must log in as the read-only role trygg_reader, not {ds.get('user')!r}"
    json_data = ds.get("jsonData") or {}
    database = json_data.get("database", ds.get("database"))
    assert database == "trygg", f"datasource must use database 'trygg', uses {database!r}"
    assert json_data.get("timescaledb") is True, "datasource jsonData.timescaledb must be true"
    assert json_data.get("postgresVersion") == 1700, "datasource jsonData.postgresVersion must be 1700 (PostgreSQL 17)"
    password = str((ds.get("secureJsonData") or {}).get("password", ""))
    assert re.fullmatch(r"\$(\{DATABASE_READER_PASSWORD\}|__env\{DATABASE_READER_PASSWORD\})", password), (
        f"datasource password must be read from DATABASE_READER_PASSWORD in the environment, is {password!r}"
    )
    assert "password" not in ds, "datasource password must be in secureJsonData, not in plain `password`"


def test_dashboard_provider_loads_the_boards_into_the_internal_folder() -> None:
    """Not into General, which every Viewer (partners included) may open, but into the folder that
    `trygg grafana sync` restricts to Editors."""
    data = _load_yaml(DASHBOARD_PROVIDER_FILE)
    providers = data.get("providers") or []
    assert len(providers) == 1, f"{DASHBOARD_PROVIDER_FILE.name} must have exactly one provider"
    provider = providers[0]
    assert provider.get("type") == "file", f"dashboard provider must be of type file, is {provider.get('type')!r}"
    options = provider.get("options") or {}
    assert options.get("path") == "/var/lib/grafana/dashboards/intern", (
        f"dashboard provider must read /var/lib/grafana/dashboards/intern, reads {options.get('path')!r}"
    )
    assert not options.get("foldersFromFilesStructure"), "folders from the file structure get generated uids"
    assert (provider.get("folderUid"), provider.get("folder")) == INTERNAL_FOLDER, (
        f"dashboard provider must load into the folder {INTERNAL_FOLDER} that `trygg grafana sync` restricts"
    )
    assert sorted(p.name for p in (ROOT / "dashboards" / "intern").glob("*.json")) == sorted(rendered()), (
        "dashboards/intern must hold exactly the generated boards"
    )
