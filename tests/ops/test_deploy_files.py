"""deploy/ (issue 21, item 3): the Kubernetes manifests validate against the official Kubernetes
JSON schemas (kubernetes-validate ships them: no network is used, and the test proves it), they
hang together (selectors, probes, security), and the Containerfile and the migration Job run
the commands `make run` uses."""
from __future__ import annotations

import copy
import json
import re
import shlex
import socket
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from service.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
MANIFESTS = DEPLOY / "kubernetes"
K8S_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())


def _docs() -> dict[str, dict]:
    out = {}
    for path in sorted(MANIFESTS.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                out[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return out


DOCS = _docs()


@pytest.fixture
def no_network(monkeypatch):
    """Any socket opened while this fixture is active fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the schema validation tried to use the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _validate(doc: dict, version: str) -> None:
    kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("name", sorted(DOCS))
def test_manifest_validates_against_the_kubernetes_schema(name, version, no_network):
    _validate(DOCS[name], version)


def test_the_validator_rejects_what_kubernetes_would(no_network):
    deployment = copy.deepcopy(DOCS["Deployment/foraldrastod"])
    deployment["spec"]["replicas"] = "två"
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(deployment, K8S_VERSIONS[-1])
    deployment = copy.deepcopy(DOCS["Deployment/foraldrastod"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}  # misspelt: strict
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(deployment, K8S_VERSIONS[-1])


def test_every_object_the_contract_and_the_issue_name_is_there():
    kinds = {name.split("/")[0] for name in DOCS}
    assert {"Deployment", "Service", "Job", "PodDisruptionBudget", "NetworkPolicy", "ConfigMap", "Secret"} <= kinds
    listed = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text(encoding="utf-8"))["resources"]
    assert all((MANIFESTS / r).is_file() for r in listed)
    assert "job-db-upgrade.yaml" not in listed and "secret.yaml" not in listed  # run and made apart


def _container(doc: dict) -> dict:
    (container,) = doc["spec"]["template"]["spec"]["containers"]
    return container


def test_deployment_probes_replicas_resources_and_security():
    d = DOCS["Deployment/foraldrastod"]
    spec = d["spec"]
    assert spec["replicas"] >= 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    c = _container(d)
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
    startup = c["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 60  # the measured start fits many times
    mem = {k: _mib(v["memory"]) for k, v in c["resources"].items()}
    assert 307 < mem["limits"] and 245 <= mem["requests"] <= mem["limits"]  # measured: docs/drift-kubernetes.md
    for doc in (d, DOCS["Job/foraldrastod-db-upgrade"]):
        pod = doc["spec"]["template"]["spec"]
        sc = _container(doc)["securityContext"]
        assert pod["securityContext"]["runAsNonRoot"] and sc["runAsNonRoot"]
        assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        assert sc["seccompProfile"]["type"] == "RuntimeDefault" == pod["securityContext"]["seccompProfile"]["type"]
        mounts = {m["mountPath"]: m["name"] for m in _container(doc)["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]]  # the only writable place
        assert pod["automountServiceAccountToken"] is False


def _mib(quantity: str) -> float:
    m = re.fullmatch(r"(\d+)(Mi|Gi)", quantity)
    assert m, quantity
    return int(m.group(1)) * (1024 if m.group(2) == "Gi" else 1)


def test_selectors_reach_the_server_pods():
    labels = DOCS["Deployment/foraldrastod"]["spec"]["template"]["metadata"]["labels"]

    def selects(selector: dict) -> bool:
        return all(labels.get(k) == v for k, v in selector.items())

    assert selects(DOCS["Deployment/foraldrastod"]["spec"]["selector"]["matchLabels"])
    assert selects(DOCS["Service/foraldrastod"]["spec"]["selector"])
    assert selects(DOCS["PodDisruptionBudget/foraldrastod"]["spec"]["selector"]["matchLabels"])
    assert DOCS["PodDisruptionBudget/foraldrastod"]["spec"]["minAvailable"] < DOCS["Deployment/foraldrastod"]["spec"]["replicas"]
    policy = DOCS["NetworkPolicy/foraldrastod"]["spec"]
    assert selects(policy["podSelector"]["matchLabels"])
    job_labels = DOCS["Job/foraldrastod-db-upgrade"]["spec"]["template"]["metadata"]["labels"]
    assert all(job_labels.get(k) == v for k, v in policy["podSelector"]["matchLabels"].items())
    assert {p["port"] for rule in policy["ingress"] for p in rule["ports"]} == {8000}
    egress_ports = {p["port"] for rule in policy["egress"] for p in rule["ports"]}
    assert {53, 5432} <= egress_ports


def test_configuration_names_are_the_ones_the_code_reads():
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "service").rglob("*.py"))
    contract = ROOT / ".." / "shared" / "CONTRACT.md"
    contract_text = contract.read_text(encoding="utf-8") if contract.is_file() else ""
    config = DOCS["ConfigMap/foraldrastod"]["data"]
    secret = DOCS["Secret/foraldrastod"]["stringData"]
    assert "DATABASE_URL" in secret
    for key in [*config, *secret]:
        assert key == "DATABASE_URL" or key.startswith("FORALDRASTOD_"), key
        assert key in source or key in contract_text, f"{key}: no code reads it and the contract does not name it"
    for doc in (DOCS["Deployment/foraldrastod"], DOCS["Job/foraldrastod-db-upgrade"]):
        refs = _container(doc)["envFrom"]
        assert {"configMapRef": {"name": "foraldrastod"}} in refs and {"secretRef": {"name": "foraldrastod"}} in refs


# --------------------------------------------------------------------------- commands
def _makefile() -> tuple[dict[str, str], dict[str, list[str]]]:
    """Makefile variables and each target's recipe lines."""
    variables, recipes, current = {}, {}, None
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if line.startswith("\t") and current:
            recipes[current].append(line.strip())
            continue
        current = None
        m = re.match(r"^([A-Z_]+)\s*[:?]?=\s*(.*)$", line)
        if m and not m.group(2).startswith("$(shell"):
            variables[m.group(1)] = m.group(2).strip()
            continue
        m = re.match(r"^([^\s:#=]+)\s*:(?!=)(.*)$", line)
        if m:
            current = _expand(m.group(1), variables)
            recipes[current] = [f"#deps {m.group(2).strip()}"]
    return variables, recipes


def _expand(text: str, variables: dict[str, str]) -> str:
    for _ in range(5):
        text = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), text)
    return text


def _containerfile() -> dict:
    text = re.sub(r"\\\n", " ", (DEPLOY / "Containerfile").read_text(encoding="utf-8"))  # continuations
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    last = stages[-1]

    def instr(name: str, body: str) -> list[str]:
        return [m.group(1) for m in re.finditer(rf"^{name} (.+)$", body, flags=re.M)]

    return {"stages": stages, "entrypoint": json.loads(instr("ENTRYPOINT", last)[-1]),
            "cmd": json.loads(instr("CMD", last)[-1]), "workdir": instr("WORKDIR", last)[-1],
            "user": instr("USER", last)[-1], "builder_runs": " ".join(instr("RUN", stages[0]))}


def test_the_container_serves_with_the_command_make_run_uses():
    variables, recipes = _makefile()
    (run_line,) = [line for line in recipes["run"] if not line.startswith("#deps")]
    make_cmd = shlex.split(_expand(run_line, variables))
    cf = _containerfile()
    container_cmd = cf["entrypoint"] + cf["cmd"]
    # the same program: make's $(BIN)/foraldrastod is the image's WORKDIR/.venv/bin/foraldrastod
    assert container_cmd[0] == f"{cf['workdir']}/{make_cmd[0]}"
    assert make_cmd[1] == container_cmd[1] == "serve"
    make_opts = [a for a in make_cmd[2:] if a.startswith("--")]
    assert make_opts and all(o in container_cmd for o in make_opts)  # --host, --port as make passes them
    args = build_parser().parse_args(container_cmd[1:])
    assert args.func.__name__ == "cmd_serve" and args.workers == 1 and args.host == "0.0.0.0"
    assert args.port == build_parser().parse_args(["serve"]).port  # the port make run uses by default
    assert _container(DOCS["Deployment/foraldrastod"])["args"] == cf["cmd"]
    assert "command" not in _container(DOCS["Deployment/foraldrastod"])  # the image's ENTRYPOINT


def test_the_migration_job_runs_db_upgrade_with_the_same_program():
    cf = _containerfile()
    job = _container(DOCS["Job/foraldrastod-db-upgrade"])
    assert "command" not in job and job["args"] == ["db", "upgrade"]
    assert job["image"] == _container(DOCS["Deployment/foraldrastod"])["image"]
    args = build_parser().parse_args(job["args"])
    assert args.func.__name__ == "cmd_db_upgrade"
    assert cf["entrypoint"] == [f"{cf['workdir']}/.venv/bin/foraldrastod"]


def test_the_image_is_built_as_make_builds_and_runs_as_no_root():
    variables, recipes = _makefile()
    cf = _containerfile()
    assert len(cf["stages"]) == 2, "multi-stage: a builder with gcc, a slim runtime without it"
    assert "make venv" in cf["builder_runs"] and "gcc" in cf["builder_runs"]
    assert "gcc" not in " ".join(re.findall(r"^RUN .+$", cf["stages"][1], flags=re.M))
    installs = " ".join(_expand(line, variables) for line in recipes[_expand("$(BIN)/.installed", variables)])
    assert "-r requirements.lock" in installs and "venv" in recipes and recipes["venv"][0].endswith(".installed")
    assert "COPY requirements.lock" in cf["stages"][0] or re.search(r"^COPY .*requirements\.lock", cf["stages"][0], re.M)
    uid = cf["user"].split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    pod = DOCS["Deployment/foraldrastod"]["spec"]["template"]["spec"]["securityContext"]
    assert str(pod["runAsUser"]) == uid
