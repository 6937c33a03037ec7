"""The checks of deploy/validate that read YAML and JSON: object counts, flags and
variables against --help, gRPC paths against the contracts, the metrics contract
against the rules and the dashboard, and the PrometheusRule against rules.yaml.

Run by deploy/validate with its virtual environment's Python (PyYAML); each subcommand
prints what it checked and exits non-zero on a failure.
"""

import collections
import json
import pathlib
import re
import sys

import yaml

DEPLOY = pathlib.Path(__file__).resolve().parent
ROOT = DEPLOY.parent
OBSERVABILITY = DEPLOY / "observability"
PROMETHEUS_RULE = DEPLOY / "k8s/components/prometheus-operator/prometheus-rule.yaml"
SERVERS = ("partner-eligibility", "customer-validation", "relationships", "ordering")
# Methods that only read: the mesh may replay them. Any other RPC is a mutation (or a
# stream) and must never sit in a route that retries.
READ_PREFIXES = ("Get", "List", "Check", "Lookup")
PROTOCOL_SERVICES = {"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"}


def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def fail(problems, what):
    for p in problems:
        print(f"  {p}")
    if problems:
        sys.exit(f"{len(problems)} problem(s) in {what}")


def counts(files):
    """Objects per rendered file, by kind."""
    for f in files:
        docs = load_all(f)
        kinds = collections.Counter(d["kind"] for d in docs)
        detail = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        print(f"{pathlib.Path(f).stem}: {len(docs)} objects ({detail})")


def pod_specs(doc):
    spec = doc.get("spec", {})
    if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        yield spec["template"]["spec"]
    elif doc["kind"] == "CronJob":
        yield spec["jobTemplate"]["spec"]["template"]["spec"]


def help_options(text):
    flags = set(re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)", text))
    env = set(re.findall(r"\[env: ([A-Z0-9_]+)=", text))
    return flags, env


def flags(help_dir, files):
    """Every --flag and GCC_* variable given to a server exists in its --help."""
    known = {s: help_options((pathlib.Path(help_dir) / f"{s}.txt").read_text()) for s in SERVERS}
    problems, checked = [], collections.Counter()
    for f in files:
        docs = load_all(f)
        config_maps = {d["metadata"]["name"]: d.get("data") or {} for d in docs if d["kind"] == "ConfigMap"}
        for doc in docs:
            for pod in pod_specs(doc):
                for c in pod.get("initContainers", []) + pod["containers"]:
                    binary = pathlib.PurePath((c.get("command") or [""])[0]).name
                    if binary not in SERVERS:
                        continue
                    where = f"{pathlib.Path(f).stem}: {doc['kind']}/{doc['metadata']['name']}"
                    allowed_flags, allowed_env = known[binary]
                    for arg in c.get("command", [])[1:] + c.get("args", []):
                        if arg.startswith("--"):
                            checked["flags"] += 1
                            if arg.split("=", 1)[0] not in allowed_flags:
                                problems.append(f"{where}: {binary} has no flag {arg.split('=', 1)[0]}")
                    names = [e["name"] for e in c.get("env", [])]
                    for source in c.get("envFrom", []):
                        ref = source.get("configMapRef")
                        if ref:
                            if ref["name"] not in config_maps:
                                problems.append(f"{where}: ConfigMap {ref['name']} is not in the render")
                            names += list(config_maps.get(ref["name"], {}))
                    for name in names:
                        if name.startswith("GCC_"):
                            checked["variables"] += 1
                            if name not in allowed_env:
                                problems.append(f"{where}: {binary} reads no variable {name}")
    print(f"checked {checked['flags']} flags and {checked['variables']} GCC_* variables in {len(files)} renders")
    fail(problems, "flags and variables")


def proto_methods():
    methods = {}
    for proto in (ROOT / "proto/gcc").rglob("*.proto"):
        text = proto.read_text()
        package = re.search(r"^package\s+([\w.]+);", text, re.M).group(1)
        for service, body in re.findall(r"^service\s+(\w+)\s*\{(.*?)^\}", text, re.M | re.S):
            methods[f"{package}.{service}"] = set(re.findall(r"^\s*rpc\s+(\w+)\s*\(", body, re.M))
    return methods


def mesh_routes(docs):
    """(where, service, method or None, retried) for every gRPC method a mesh object names."""
    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        spec = doc.get("spec", {})
        if kind == "VirtualService":
            for route in spec.get("http", []):
                # Without a retries block Istio retries twice.
                retried = route.get("retries", {}).get("attempts", 2) > 0
                if not route.get("match"):
                    yield (f"VirtualService/{name}", None, None, retried)
                for match in route.get("match", []):
                    uri = match.get("uri", {})
                    path = uri.get("exact") or uri.get("prefix")
                    if path:
                        yield (f"VirtualService/{name}", *split_path(path), retried)
        elif kind == "AuthorizationPolicy" and doc["apiVersion"].startswith("security.istio.io"):
            for rule in spec.get("rules", []):
                for to in rule.get("to", []):
                    for path in to.get("operation", {}).get("paths", []):
                        yield (f"AuthorizationPolicy/{name}", *split_path(path), False)
        elif kind == "GRPCRoute":
            retried = "retry.linkerd.io/grpc" in (doc["metadata"].get("annotations") or {})
            for rule in spec.get("rules", []):
                if not rule.get("matches"):
                    yield (f"GRPCRoute/{name}", None, None, retried)
                for match in rule.get("matches", []):
                    m = match.get("method", {})
                    yield (f"GRPCRoute/{name}", m.get("service"), m.get("method"), retried)


def split_path(path):
    service, _, method = path.strip("/").partition("/")
    return service, (None if method in ("", "*") else method)


def grpc_paths(files):
    """Mesh routes and policies name real RPCs, and retry reads only."""
    known = proto_methods()
    problems, seen = [], 0
    for f in files:
        for where, service, method, retried in mesh_routes(load_all(f)):
            seen += 1
            where = f"{pathlib.Path(f).stem}: {where}"
            if service is None:
                if retried:
                    problems.append(f"{where}: a route for every method retries, mutations included")
                continue
            if service in PROTOCOL_SERVICES:
                continue
            if service not in known:
                problems.append(f"{where}: no service {service} in proto/")
            elif method and method not in known[service]:
                problems.append(f"{where}: {service} has no RPC {method}")
            if retried and (not method or not method.startswith(READ_PREFIXES)):
                problems.append(f"{where}: retries {service}/{method or '*'}, which is not a read")
    print(f"checked {seen} gRPC service/method references against proto/ ({len(known)} services)")
    fail(problems, "gRPC paths")


def contract():
    """metrics.txt: family -> type."""
    families = {}
    for line in (OBSERVABILITY / "metrics.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, kind = line.split()
            assert kind in ("counter", "gauge", "histogram"), f"metrics.txt: bad type {kind} for {name}"
            families[name] = kind
    return families


def series_names(families):
    names = set(families)
    for name, kind in families.items():
        if kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset", "inf", "nan",
}


def metric_names(expr):
    """Metric names an expression selects (not functions, labels, keywords or strings)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', "", expr)  # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\$\{?\w+\}?", "", expr)  # dashboard variables
    names = set()
    for m in re.finditer(r"(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?", expr):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in PROMQL_WORDS or re.fullmatch(r"\d+\w*", word):
            continue
        names.add(word)
    return names


def rules():
    return yaml.safe_load((OBSERVABILITY / "rules.yaml").read_text())


def dashboard():
    """Every metric the rules and the dashboard use is in metrics.txt (or a recording rule)."""
    families = contract()
    allowed = series_names(families)
    groups = rules()["groups"]
    recorded = {r["record"] for g in groups for r in g["rules"] if "record" in r}
    problems, exprs = [], []
    for g in groups:
        for r in g["rules"]:
            exprs.append((f"rules.yaml: {r.get('record') or r.get('alert')}", r["expr"]))
    board = json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text())

    def walk(node, where):
        if isinstance(node, dict):
            title = node.get("title", where)
            if isinstance(node.get("expr"), str):
                exprs.append((f"dashboard: {title}", node["expr"]))
            query = node.get("query")
            if isinstance(query, dict):
                query = query.get("query")
            if isinstance(query, str) and "label_values" in query:
                for name in re.findall(r"label_values\(\s*([a-zA-Z_:][\w:]*)", query):
                    exprs.append((f"dashboard variable {node.get('name')}", name))
            for v in node.values():
                walk(v, title)
        elif isinstance(node, list):
            for v in node:
                walk(v, where)

    walk(board, "dashboard")
    used = set()
    for where, expr in exprs:
        for name in metric_names(expr):
            used.add(name)
            if name not in allowed and name not in recorded:
                problems.append(f"{where}: {name} is neither in metrics.txt nor a recording rule")
    unused = {f for f in families if not any(n == f or n.startswith(f + "_") for n in used)}
    print(f"{len(exprs)} expressions use {len(used)} names; {len(families)} families in metrics.txt")
    if unused:
        print(f"  not used by any rule or panel (fine, but worth a look): {', '.join(sorted(unused))}")
    fail(problems, "the metrics contract")


class _Literal(yaml.SafeDumper):
    """Indents lists under their key and writes multi-line strings as blocks (yamllint's style)."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


_Literal.add_representer(
    str,
    lambda dumper, s: dumper.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None),
)


def prometheus_rule(write):
    """The PrometheusRule of the prometheus-operator component holds rules.yaml's groups."""
    groups = rules()["groups"]
    if write:
        doc = {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": "gcc"},
            "spec": {"groups": groups},
        }
        header = (
            "# Written by `deploy/validate --sync-rules` from deploy/observability/rules.yaml:\n"
            "# edit that file, then run it again.\n"
        )
        body = yaml.dump(doc, Dumper=_Literal, sort_keys=False, width=90, allow_unicode=True)
        PROMETHEUS_RULE.write_text(header + body)
        print(f"wrote {PROMETHEUS_RULE.relative_to(ROOT)}")
        return
    current = yaml.safe_load(PROMETHEUS_RULE.read_text()) if PROMETHEUS_RULE.exists() else {}
    if (current.get("spec") or {}).get("groups") != groups:
        sys.exit(f"{PROMETHEUS_RULE.relative_to(ROOT)} differs from rules.yaml: run deploy/validate --sync-rules")
    print(f"{sum(len(g['rules']) for g in groups)} rules in {len(groups)} groups, same as rules.yaml")


def skips(files):
    """Every checkov check skipped, and why."""
    for config in (".checkov.yaml", ".checkov-dev.yaml"):
        reasons = re.findall(r"^\s*# (CKV\w+ .*(?:\n\s*#(?! CKV).*)*)", (DEPLOY / config).read_text(), re.M)
        for r in reasons:
            print(f"{config}: " + " ".join(part.strip().lstrip("#").strip() for part in r.splitlines()))
    seen = set()
    for f in files:
        for doc in load_all(f):
            for key, value in (doc["metadata"].get("annotations") or {}).items():
                if key.startswith("checkov.io/skip") and (doc["kind"], doc["metadata"]["name"]) not in seen:
                    seen.add((doc["kind"], doc["metadata"]["name"]))
                    print(f"{doc['kind']}/{doc['metadata']['name']}: {value.strip()}")
    for line in (DEPLOY / "docker/Dockerfile").read_text().splitlines():
        if "checkov:skip=" in line:
            print("Dockerfile: " + line.split("checkov:skip=", 1)[1].strip())


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "counts":
        counts(args)
    elif command == "flags":
        flags(args[0], args[1:])
    elif command == "grpc-paths":
        grpc_paths(args)
    elif command == "dashboard":
        dashboard()
    elif command == "prometheus-rule":
        prometheus_rule(write=args == ["--write"])
    elif command == "skips":
        skips(args)
    else:
        sys.exit(f"unknown check {command}")


if __name__ == "__main__":
    main()
