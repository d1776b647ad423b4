#!/usr/bin/env python3
"""Checks the deployment files against each other and against the code, since no Docker engine or
Kubernetes cluster runs where the tests do: docker-compose.yml, infra/caddy/Caddyfile,
infra/prometheus/prometheus.yml, infra/grafana/provisioning, and both Kustomize overlays of
infra/kubernetes (rendered with `kubectl kustomize`).

What the code says is read from the code: products (Package.swift), topics (Topic.swift), partition
counts (scripts/stack.sh), the variables each service reads (ServiceConfiguration.swift and
Services/*/**/*Settings.swift), each service's HTTP routes (its route files and openapi.json) and
consumer groups (its build function).

  python Tests/Deploy/check_deployment.py              check the repository; exit 1 on any failure
  python Tests/Deploy/check_deployment.py --self-test  break copies of the files on purpose, one
                                                       way at a time: each breakage must be caught
Needs PyYAML (the project's venv: $INTELLICORE_PYTHON) and kubectl (scripts/setup.sh installs one).
"""
import json
import re
import shutil
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import yaml
except ImportError:
    sys.exit("PyYAML is missing: run with $INTELLICORE_PYTHON/bin/python (source scripts/env.sh; scripts/setup.sh)")

LOOPBACK = {"localhost", "127.0.0.1", "0.0.0.0", "::1"}
# Local stacks give these one partition (Tansu is paid per partition); Apache Kafka deployments keep
# more so that replicas can share them (docs/adr/0008). Every other topic must match stack.sh.
MORE_PARTITIONS_ON_KAFKA = {"predictions.requests", "predictions.results", "predictions.replies"}
# A gateway replica that owns no partition of the replies topic is not ready (docs/adr/0009).
REPLICAS_BOUNDED_BY = {"ingestion": "predictions.replies"}
# Ports of images whose listeners are not configured in the file itself.
IMAGE_PORTS = {"postgres": {5432}, "redis": {6379}, "prom/prometheus": {9090}, "grafana/grafana": {3000}}
# Per instance, never routed by an ingress (docs/http-api.md).
UNROUTED = re.compile(r"^/(health/|metrics$|openapi\.json$)")
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


class Report:
    def __init__(self):
        self.failures = []
        self.checks = 0

    def expect(self, ok, area, message):
        self.checks += 1
        if not ok:
            self.failures.append(f"{area}: {message}")
        return ok


# --- what the code says ----------------------------------------------------------------------

class Code:
    def __init__(self, root: Path):
        self.root = root
        package = (root / "Package.swift").read_text()
        block = re.search(r"let services: \[.*?\] = \[(.*?)\n\]", package, re.S).group(1)
        self.products = dict(re.findall(r'\("([\w-]+)",\s*"(\w+)"\)', block))  # product → folder
        self.packaged_resources = "resources:" in package
        topic_swift = (root / "Shared/IntelliCoreEvents/Topic.swift").read_text()
        self.topic_cases = dict(re.findall(r'case (\w+) = "intellicore\.([\w.]+)"', topic_swift))  # case → short name
        self.stack_partitions = self.parse_specs(re.search(
            r"for spec in (.*?); do", (root / "scripts/stack.sh").read_text().replace("\\\n", " "), re.S).group(1))
        kit = root / "Shared/IntelliCoreServiceKit"
        self.common_vars = self.variables((kit / "ServiceConfiguration.swift").read_text())
        self.kit_routes = set(re.findall(r'\.get\("(/[^"]*)"', (kit / "HTTP/HealthRoutes.swift").read_text()))
        self.runtime = (kit / "ServiceRuntime.swift").read_text()
        self.route_cache = {}

    @staticmethod
    def parse_specs(text):
        return {name: int(parts) for name, parts in (spec.split(":") for spec in str(text).split())}

    @staticmethod
    def variables(text):
        return set(re.findall(r'reader\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', text))

    def folder(self, product):
        return self.root / "Services" / self.products[product]

    def settings_vars(self, product):
        found = set()
        for path in self.folder(product).rglob("*Settings.swift"):
            found |= self.variables(path.read_text())
        return found

    def vars_read(self, product):
        return self.common_vars | self.settings_vars(product)

    def routes(self, product):
        """Every path the service answers: its route registrations, its OpenAPI document, the kit's."""
        if product in self.route_cache:
            return self.route_cache[product]
        found = set(self.kit_routes)
        for path in self.folder(product).rglob("*.swift"):
            text = path.read_text()
            found |= set(re.findall(r'\.(?:get|post|put|delete|patch|head)\(\s*(?:RouterPath\()?"(/[^"]*)"', text))
            for paths in re.findall(r"OpenAPIRoute\.add\([^)]*?paths:\s*\[([^\]]*)\]", text, re.S):
                found |= set(re.findall(r'"(/[^"]*)"', paths))
        document = self.folder(product) / "HTTP/openapi.json"
        if document.exists():
            found |= set(json.loads(document.read_text())["paths"])
        # One spelling of parameters: Hummingbird's `:model` is OpenAPI's `{model}`.
        found = self.route_cache[product] = {re.sub(r":(\w+)", r"{\1}", path) for path in found}
        return found

    def consumes(self, product, purpose, topic):
        """Whether the service's group `purpose` reads `topic` (short name), per its build function
        (or the kit's runtime, which runs every service's `tenants` consumer)."""
        cases = [case for case, name in self.topic_cases.items() if name == topic]
        texts = [path.read_text() for path in self.folder(product).glob("*Service+build.swift")] + [self.runtime]
        for text in texts:
            for match in re.finditer(rf'"{re.escape(purpose)}"', text):
                rest = text[match.end():match.end() + 400]
                cut = min([i for i in (rest.find("purpose:"), rest.find('("')) if i >= 0] + [len(rest)])
                if any(re.search(rf"\.{case}\b", rest[:cut]) for case in cases):
                    return True
        return False


def covers(route, path):
    """Whether an ingress route (kind, path) takes the request path."""
    kind, prefix = route
    return path == prefix if kind == "exact" else path == prefix or path.startswith(prefix.rstrip("/") + "/")


def check_routes(report, code, area, routes):
    """routes: {(kind, path): product}. Each must be served by its product, and every public path of
    every product must be routed to it."""
    for (kind, path), product in sorted(routes.items()):
        served = code.routes(product)
        report.expect(any(covers((kind, path), r) for r in served), area,
                      f"{kind} {path} is routed to {product}, which serves nothing there")
    for product in code.products:
        public = [path for path in sorted(code.routes(product)) if not UNROUTED.match(path)]
        unrouted = [path for path in public if not any(covers(r, path) for r in routes)]
        report.expect(not unrouted, area, f"{product} serves paths no route takes: {', '.join(unrouted)}")
        for path in public:
            owners = {p for r, p in routes.items() if covers(r, path)}
            report.expect(not owners or owners == {product}, area, f"{product}'s {path} is routed to {sorted(owners)}")


def host_ports(text):
    """host:port pairs named in a string (URLs, listener lists, `1@kafka:9093`), loopback excluded."""
    pairs = re.findall(r'(?:^|[\s,=@/"\'])([A-Za-z][A-Za-z0-9_-]*):(\d{2,5})\b', str(text))
    return [(host, int(port)) for host, port in pairs if host not in LOOPBACK]


# --- docker-compose, Caddy, Prometheus, Grafana --------------------------------------------------

def parse_caddyfile(text):
    """Site ports, routes {(kind, path): upstream 'host:port'} and paths routed twice, of the simple
    form used here: `@name path …` matchers, each handled by `handle @name { reverse_proxy host:port }`."""
    lines = [re.sub(r"(^|\s)#.*", "", line).strip() for line in text.splitlines()]
    ports, matchers, routes, twice, depth, handled = {2019}, {}, {}, [], 0, None  # 2019: the admin API
    for line in lines:
        if not line:
            continue
        if depth == 0 and line.endswith("{") and line != "{":
            for address in line[:-1].split():
                port = re.search(r":(\d+)$", address)
                ports |= {int(port.group(1))} if port else {80, 443}
        words = line.split()
        if words[0] == "admin" and len(words) > 1:
            ports = (ports - {2019}) | ({int(words[1].rsplit(":", 1)[1])} if ":" in words[1] else set())
        if words[0].startswith("@") and len(words) > 2 and words[1] == "path":
            matchers[words[0]] = words[2:]
        if words[0] == "handle" and len(words) > 1 and words[1] != "{":
            handled = words[1]
        if words[0] == "reverse_proxy" and handled:
            paths = matchers.get(handled, [handled])
            twice += [p for p in paths if any(p in other for name, other in matchers.items() if name != handled)]
            for path in paths:
                if path.endswith("/*") or path.endswith("*"):
                    routes[("prefix", path.rstrip("*").rstrip("/") or "/")] = words[1]
            for path in paths:
                if "*" not in path and ("prefix", path) not in routes:
                    routes[("exact", path)] = words[1]
        depth += line.count("{") - line.count("}")
        if line == "}" and depth < 2:
            handled = None  # the end of a handle block
    return ports, routes, twice


class Compose:
    def __init__(self, report, code, root):
        self.report, self.code, self.root = report, code, root
        self.doc = yaml.safe_load((root / "docker-compose.yml").read_text())
        self.services = self.doc.get("services", {})
        self.caddy_ports, self.caddy_routes = set(), {}
        self.built = {}  # compose service → product
        for name, svc in self.services.items():
            build = svc.get("build")
            if isinstance(build, dict) and "SERVICE" in (build.get("args") or {}):
                self.built[name] = str(build["args"]["SERVICE"])

    def fail(self, ok, message):
        return self.report.expect(ok, "docker-compose", message)

    def env(self, name):
        env = self.services[name].get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
        return {k: "" if v is None else str(v) for k, v in env.items()}

    def image(self, name):
        return str(self.services[name].get("image", "")).split(":")[0]

    def listening(self, name):
        """Ports a service listens on, from its own configuration or its image's known defaults."""
        svc, env, image = self.services[name], self.env(name), self.image(name)
        if name in self.built:
            return {int(env["SERVICE_HTTP_PORT"])} if env.get("SERVICE_HTTP_PORT", "").isdigit() else set()
        if image == "apache/kafka" and "KAFKA_LISTENERS" in env:
            return {int(p) for p in re.findall(r":(\d+)", env["KAFKA_LISTENERS"])}
        if image == "caddy":
            return self.caddy_ports
        if image in IMAGE_PORTS:
            return IMAGE_PORTS[image]
        return {int(str(p).split("/")[0]) for p in svc.get("expose", [])}

    def target_ok(self, host, port, where):
        if not self.fail(host in self.services, f"{where} names {host}:{port}, but there is no service {host}"):
            return False
        return self.fail(port in self.listening(host),
                         f"{where} names {host}:{port}, but {host} listens on {sorted(self.listening(host))}")

    def check(self):
        caddy = [n for n in self.services if self.image(n) == "caddy"]
        if self.fail(len(caddy) == 1, f"one ingress (caddy) expected, found {caddy}"):
            self.caddy_ports, self.caddy_routes, twice = parse_caddyfile((self.root / "infra/caddy/Caddyfile").read_text())
            self.report.expect(not twice, "Caddyfile", f"paths matched by two routes: {twice}")
        self.check_build()
        for name in self.services:
            self.check_service(name)
        self.check_depends_on()
        self.check_volumes()
        self.check_ingress(caddy[0] if caddy else None)
        self.check_prometheus()
        self.check_grafana()
        return self

    def check_build(self):
        products = list(self.built.values())
        dockerfile = self.root / "infra/docker/Dockerfile"
        for name, svc in self.services.items():
            self.fail("build" in svc or "image" in svc, f"{name} has neither build nor image")
            build = svc.get("build")
            if build is None:
                continue
            build = {"context": build} if isinstance(build, str) else build
            self.fail((self.root / build.get("context", ".")).is_dir(), f"{name}'s build context is missing")
            self.fail((self.root / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).resolve() == dockerfile.resolve(),
                      f"{name} is not built from infra/docker/Dockerfile")
            self.fail(name in self.built, f"{name} is built without args.SERVICE")
            if name in self.built:
                self.fail(self.built[name] in self.code.products,
                          f"{name} builds SERVICE={self.built[name]}, not a service product of Package.swift {sorted(self.code.products)}")
        for product in self.code.products:
            self.fail(products.count(product) == 1, f"product {product} is built by {products.count(product)} services, not one")
        text = dockerfile.read_text()
        self.fail(re.search(r"^ARG SERVICE\b", text, re.M) is not None, "the Dockerfile takes no ARG SERVICE")
        if self.code.packaged_resources:
            self.fail(".resources" in text, "the Dockerfile does not copy the SwiftPM resource bundles next to the executable")

    def check_service(self, name):
        svc, env = self.services[name], self.env(name)
        listening = self.listening(name)
        published = [p.get("target") if isinstance(p, dict) else str(p).rsplit(":", 1)[-1] for p in svc.get("ports", [])]
        for port in [str(p) for p in svc.get("expose", [])] + [str(p) for p in published]:
            port = int(port.split("/")[0])
            self.fail(port in listening, f"{name} exposes or publishes {port}, but listens on {sorted(listening)}")
        for key, value in env.items():
            if "${" in value:
                continue  # taken from the caller's environment
            for host, port in host_ports(value):
                if host != name:
                    self.target_ok(host, port, f"{name}'s {key}")
            if key.endswith("_HOST") and value not in LOOPBACK:
                port_key = key[:-5] + "_PORT"
                if self.fail(env.get(port_key, "").isdigit(), f"{name}'s {key} has no {port_key} beside it"):
                    self.target_ok(value, int(env[port_key]), f"{name}'s {key}/{port_key}")
        one_shot = str(svc.get("restart")) == "no"
        self.fail(one_shot or "healthcheck" in svc or name in self.built, f"{name} runs on without a healthcheck")
        test = (svc.get("healthcheck") or {}).get("test", "")
        test = " ".join(test) if isinstance(test, list) else str(test)
        for port in re.findall(r"(?:127\.0\.0\.1|localhost):(\d+)", test) + re.findall(r"\s-p\s*(\d+)", test):
            self.fail(int(port) in listening, f"{name}'s healthcheck probes port {port}, but it listens on {sorted(listening)}")
        if self.built.get(name) in self.code.products:
            product = self.built[name]
            for path in re.findall(r"127\.0\.0\.1:\d+(/[^\s\"']*)", test):
                self.fail(path in self.code.routes(product), f"{name}'s healthcheck asks {path}, which {product} does not serve")
            read = self.code.vars_read(product)
            for var in sorted(read - env.keys()):
                self.fail(False, f"{name}'s environment does not name {var}, which {product} reads")
            for var in sorted(env.keys() - read):
                self.fail(False, f"{name}'s environment sets {var}, which {product} does not read")
        if "INGESTION_ADMIN_KEY" in env:
            keys = {self.env(n).get("INGESTION_ADMIN_KEY") for n in self.services if "INGESTION_ADMIN_KEY" in self.env(n)}
            self.fail(len(keys) == 1, "the services that read INGESTION_ADMIN_KEY are given different keys")

    def dependencies(self, name):
        deps = self.services[name].get("depends_on") or {}
        return {d: "service_started" for d in deps} if isinstance(deps, list) else \
            {d: (c or {}).get("condition", "service_started") for d, c in deps.items()}

    def check_depends_on(self):
        for name in self.services:
            deps = self.dependencies(name)
            for target, condition in deps.items():
                if not self.fail(target in self.services, f"{name} depends on {target}, which is not defined"):
                    continue
                self.fail(condition in CONDITIONS, f"{name} waits for {target} with unknown condition {condition}")
                healthcheck = "healthcheck" in self.services[target] or target in self.built  # the Dockerfile has one
                one_shot = str(self.services[target].get("restart")) == "no"
                if condition == "service_healthy":
                    self.fail(healthcheck, f"{name} waits for {target} to be healthy, but {target} has no healthcheck")
                if condition == "service_completed_successfully":
                    self.fail(one_shot, f"{name} waits for {target} to complete, but {target} is not a one-shot (restart: \"no\")")
            # Whatever a service's environment points at, it waits for.
            named = {h for v in self.env(name).values() for h, _ in host_ports(v)}
            named |= {v for k, v in self.env(name).items() if k.endswith("_HOST")}
            for host in sorted((named & self.services.keys()) - deps.keys() - {name}):
                self.fail(False, f"{name} talks to {host} but does not depend on it")
        seen, stack = set(), []

        def visit(node):
            if node in stack:
                self.fail(False, f"depends_on cycle: {' → '.join(stack[stack.index(node):] + [node])}")
                return
            if node in seen or node not in self.services:
                return
            stack.append(node)
            for dep in self.dependencies(node):
                visit(dep)
            stack.pop()
            seen.add(node)
        for name in self.services:
            visit(name)

    def mounts(self, name):
        for volume in self.services[name].get("volumes", []):
            if isinstance(volume, dict):
                yield str(volume.get("source", "")), str(volume.get("target", ""))
            else:
                source, _, rest = str(volume).partition(":")
                yield source, rest.split(":")[0]

    def check_volumes(self):
        declared, used = set((self.doc.get("volumes") or {}).keys()), set()
        for name in self.services:
            for source, _ in self.mounts(name):
                if source.startswith((".", "/", "~")):
                    self.fail((self.root / source).exists(), f"{name} mounts {source}, which does not exist")
                else:
                    used.add(source)
                    self.fail(source in declared, f"{name} mounts the volume {source}, which is not declared")
        for volume in sorted(declared - used):
            self.fail(False, f"the volume {volume} is declared but no service mounts it")

    def check_ingress(self, caddy):
        if caddy is None:
            return
        self.fail(("./infra/caddy/Caddyfile", "/etc/caddy/Caddyfile") in set(self.mounts(caddy)),
                  f"{caddy} does not mount infra/caddy/Caddyfile at /etc/caddy/Caddyfile")
        routes = {}
        for route, upstream in self.caddy_routes.items():
            host, _, port = upstream.rpartition(":")
            if self.target_ok(host, int(port) if port.isdigit() else -1, f"the Caddyfile route {route[1]}"):
                if self.report.expect(self.built.get(host) in self.code.products, "Caddyfile", f"{route[1]} goes to {host}, which is not a service of ours"):
                    routes[route] = self.built[host]
        check_routes(self.report, self.code, "Caddyfile", routes)
        self.routes = routes

    def check_prometheus(self):
        config = yaml.safe_load((self.root / "infra/prometheus/prometheus.yml").read_text())
        scraped = set()
        for job in config.get("scrape_configs", []):
            path = job.get("metrics_path", "/metrics")
            for static in job.get("static_configs", []):
                for target in static.get("targets", []):
                    host, _, port = target.rpartition(":")
                    if host in LOOPBACK:
                        continue  # Prometheus itself
                    if self.target_ok(host, int(port), f"Prometheus job {job.get('job_name')}") and self.built.get(host) in self.code.products:
                        scraped.add(host)
                        self.fail(path in self.code.routes(self.built[host]), f"Prometheus scrapes {host} at {path}, which it does not serve")
        for name in sorted(self.built.keys() - scraped):
            self.fail(False, f"Prometheus does not scrape {name}")

    def check_grafana(self):
        grafana = [n for n in self.services if self.image(n) == "grafana/grafana"]
        if not self.fail(len(grafana) == 1, "one Grafana expected"):
            return
        mounts = dict((target, source) for source, target in self.mounts(grafana[0]))
        self.fail(mounts.get("/etc/grafana/provisioning") == "./infra/grafana/provisioning",
                  "Grafana does not mount infra/grafana/provisioning at /etc/grafana/provisioning")
        provisioning = self.root / "infra/grafana/provisioning"
        for path in (provisioning / "datasources").glob("*.yml"):
            for source in yaml.safe_load(path.read_text()).get("datasources", []):
                for host, port in host_ports(source.get("url", "")):
                    self.target_ok(host, port, f"the Grafana datasource {source.get('name')}")
        for path in (provisioning / "dashboards").glob("*.yml"):
            for provider in yaml.safe_load(path.read_text()).get("providers", []):
                folder = provider.get("options", {}).get("path")
                source = mounts.get(folder)
                if self.fail(source is not None, f"Grafana's dashboard provider reads {folder}, which nothing is mounted at"):
                    self.fail(any((self.root / source).glob("*.json")), f"{source} (Grafana's dashboards) holds no dashboard")


# --- Kubernetes ----------------------------------------------------------------------------------

def quantity(text):
    text = str(text)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9}
    for unit, factor in units.items():
        if text.endswith(unit):
            return float(text[:-len(unit)]) * factor
    return float(text)


# Renders by overlay and the content of every file under infra/kubernetes: the self-test's
# breakages outside Kubernetes reuse the unbroken render instead of running kubectl again.
_RENDERS = {}


def render(report, overlay):
    tree = overlay.parents[1]
    digest = hashlib.sha256()
    for path in sorted(tree.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(tree)).encode() + b"\0" + path.read_bytes())
    key = (overlay.name, digest.hexdigest())
    if key not in _RENDERS:
        try:
            _RENDERS[key] = subprocess.run(["kubectl", "kustomize", str(overlay)], capture_output=True, text=True, timeout=120)
        except FileNotFoundError:
            report.expect(False, "kubernetes", "kubectl is not installed (scripts/setup.sh installs Debian's kubernetes-client)")
            return None
    result = _RENDERS[key]
    # Kustomize v5 warns about `bases` and `patchesStrategicMerge`, kept for Debian's kubectl 1.20.
    if not report.expect(result.returncode == 0, f"kubernetes/{overlay.name}", f"kubectl kustomize failed: {result.stderr.strip()}"):
        return None
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


class Overlay:
    def __init__(self, report, code, compose, root, overlay):
        self.report, self.code, self.compose, self.name = report, code, compose, overlay.name
        self.docs = render(report, overlay) or []
        self.by_kind = {}
        for doc in self.docs:
            self.by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc

    def fail(self, ok, message):
        return self.report.expect(ok, f"kubernetes/{self.name}", message)

    def kind(self, kind):
        return self.by_kind.get(kind, {})

    def config(self):
        return self.kind("ConfigMap").get("intellicore", {}).get("data", {}) or {}

    @staticmethod
    def containers(workload):
        return workload["spec"]["template"]["spec"]["containers"]

    @staticmethod
    def resolve_port(container, port):
        for p in container.get("ports", []):
            if port == p.get("name") or port == p.get("containerPort"):
                return p["containerPort"]
        return None

    def deployment_for(self, selector):
        return [d for d in self.kind("Deployment").values()
                if selector and all(d["spec"]["template"]["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())]

    def check(self):
        if not self.docs:
            return self
        for product in self.code.products:
            self.fail(product in self.kind("Deployment"), f"no Deployment for {product}")
        for name, deployment in self.kind("Deployment").items():
            self.check_deployment(name, deployment)
        for job in self.kind("Job").values():
            for container in self.containers(job):
                self.check_refs(f"Job {job['metadata']['name']}", container)
        for var in sorted(set(self.config()) - self.code.common_vars):
            self.fail(False, f"the ConfigMap sets {var}, which not every service reads (ServiceConfiguration)")
        self.check_services()
        self.check_ingress()
        self.check_scaling()
        for name, pdb in self.kind("PodDisruptionBudget").items():
            self.fail(len(self.deployment_for(pdb["spec"].get("selector", {}).get("matchLabels"))) == 1,
                      f"the PodDisruptionBudget {name} selects no Deployment")
        return self

    def check_refs(self, owner, container):
        for source in container.get("envFrom", []):
            for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                if key in source:
                    self.fail(source[key]["name"] in self.kind(kind), f"{owner} takes its environment from the missing {kind} {source[key]['name']}")
        for var in container.get("env", []):
            ref = var.get("valueFrom", {})
            for kind, key, field in (("ConfigMap", "configMapKeyRef", "data"), ("Secret", "secretKeyRef", "stringData")):
                if key in ref and not ref[key].get("optional"):
                    target = self.kind(kind).get(ref[key]["name"])
                    keys = set((target or {}).get(field) or {}) | set((target or {}).get("data") or {})
                    self.fail(ref[key]["key"] in keys, f"{owner}'s {var['name']} refers to {kind} {ref[key]['name']} key {ref[key]['key']}, which does not exist")
            if "resourceFieldRef" in ref:
                self.fail(ref["resourceFieldRef"].get("containerName", container["name"]) == container["name"],
                          f"{owner}'s {var['name']} reads another container's resources")

    def check_deployment(self, name, deployment):
        product = name if name in self.code.products else None
        labels = deployment["spec"]["template"]["metadata"].get("labels", {})
        self.fail(deployment["spec"]["selector"].get("matchLabels", {}).items() <= labels.items(),
                  f"the Deployment {name}'s selector does not match its pods' labels")
        annotations = deployment["spec"]["template"]["metadata"].get("annotations", {})
        for container in self.containers(deployment):
            owner = f"the Deployment {name}"
            self.check_refs(owner, container)
            for probe, path in (("readinessProbe", "/health/ready"), ("livenessProbe", "/health/live")):
                get = container.get(probe, {}).get("httpGet")
                if self.fail(get is not None, f"{owner} has no HTTP {probe}"):
                    self.fail(get.get("path") == path, f"{owner}'s {probe} asks {get.get('path')}, not {path}")
                    self.fail(self.resolve_port(container, get.get("port")) is not None,
                              f"{owner}'s {probe} port {get.get('port')} is not a containerPort")
                    if product:
                        self.fail(get.get("path") in self.code.routes(product), f"{owner}'s {probe} path is not served by {product}")
            resources = container.get("resources", {})
            for part in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    self.fail(resource in resources.get(part, {}), f"{owner} has no {resource} {part}")
            if annotations.get("prometheus.io/scrape") == "true":
                self.fail(self.resolve_port(container, int(annotations.get("prometheus.io/port", 0))) is not None,
                          f"{owner} is scraped on port {annotations.get('prometheus.io/port')}, not a containerPort")
                if product:
                    self.fail(annotations.get("prometheus.io/path", "/metrics") in self.code.routes(product),
                              f"{owner} is scraped at a path {product} does not serve")
            if product:
                read = self.code.vars_read(product)
                for var in container.get("env", []):
                    self.fail(var["name"] in read, f"{owner} sets {var['name']}, which {product} does not read")
                port = self.config().get("SERVICE_HTTP_PORT")
                self.fail(port is not None and self.resolve_port(container, int(port)) is not None,
                          f"{owner} does not open SERVICE_HTTP_PORT ({port}) as a containerPort")

    def check_services(self):
        for name, service in self.kind("Service").items():
            matches = self.deployment_for(service["spec"].get("selector"))
            if not self.fail(len(matches) == 1, f"the Service {name} selects {len(matches)} Deployments, not one"):
                continue
            container = self.containers(matches[0])[0]
            for port in service["spec"].get("ports", []):
                self.fail(self.resolve_port(container, port.get("targetPort", port.get("port"))) is not None,
                          f"the Service {name}'s targetPort {port.get('targetPort')} is not a containerPort of {matches[0]['metadata']['name']}")

    def check_ingress(self):
        routes = {}
        for ingress in self.kind("Ingress").values():
            for rule in ingress["spec"].get("rules", []):
                for path in rule.get("http", {}).get("paths", []):
                    backend = path["backend"]["service"]
                    service = self.kind("Service").get(backend["name"])
                    where = f"the Ingress path {path['path']}"
                    if not self.fail(service is not None, f"{where} goes to the missing Service {backend['name']}"):
                        continue
                    ports = [p for p in service["spec"]["ports"] if backend["port"].get("name", backend["port"].get("number")) in (p.get("name"), p.get("port"))]
                    self.fail(len(ports) == 1, f"{where} goes to port {backend['port']}, which the Service {backend['name']} does not have")
                    deployments = self.deployment_for(service["spec"].get("selector"))
                    kind = "exact" if path.get("pathType") == "Exact" else "prefix"
                    if deployments and deployments[0]["metadata"]["name"] in self.code.products:
                        key = (kind, path["path"].rstrip("/") or "/")
                        self.fail(key not in routes, f"{where} is routed twice")
                        routes[key] = deployments[0]["metadata"]["name"]
        if not self.fail(bool(routes), "no Ingress routes"):
            return
        check_routes(self.report, self.code, f"kubernetes/{self.name} Ingress", routes)
        caddy = getattr(self.compose, "routes", {})
        for route in sorted(set(routes.items()) ^ set(caddy.items())):
            side = "the Ingress" if route in routes.items() else "the Caddyfile"
            self.fail(False, f"only {side} routes {route[0][0]} {route[0][1]} → {route[1]}")

    def check_scaling(self):
        config = self.config()
        prefix = config.get("INTELLICORE_TOPIC_PREFIX", "")
        job = next(iter(self.kind("Job").values()), None)
        env = {e["name"]: e.get("value") for e in self.containers(job)[0].get("env", [])} if job else {}
        partitions = self.code.parse_specs(env.get("TOPICS", ""))
        self.fail(bool(partitions), "no topics Job with a TOPICS list")
        check_partitions(self.report, self.code, f"kubernetes/{self.name} topics Job", partitions)
        compose_topics = self.compose.env("topics").get("TOPICS") if "topics" in self.compose.services else None
        self.fail(partitions == self.code.parse_specs(compose_topics or ""), "the topics Job and docker-compose's topics create different partitions")
        scaled = {}
        for name, scaler in self.kind("ScaledObject").items():
            spec = scaler["spec"]
            target = spec["scaleTargetRef"]["name"]
            scaled[target] = spec
            where = f"the ScaledObject {name}"
            if not self.fail(target in self.kind("Deployment") and spec["scaleTargetRef"].get("kind", "Deployment") == "Deployment",
                             f"{where} scales {target}, which is not a Deployment"):
                continue
            self.fail(1 <= spec.get("minReplicaCount", 0) <= spec.get("maxReplicaCount", 0), f"{where} needs 1 ≤ minReplicaCount ≤ maxReplicaCount")
            self.fail("replicas" not in self.kind("Deployment")[target]["spec"],
                      f"the Deployment {target} sets replicas, which every apply would reset under KEDA")
            kafka = [t["metadata"] for t in spec.get("triggers", []) if t["type"] == "kafka"]
            self.fail(bool(kafka), f"{where} has no kafka trigger")
            bound = 0
            for trigger in kafka:
                topic = trigger.get("topic", "")
                short = topic[len(prefix + "intellicore."):] if topic.startswith(prefix + "intellicore.") else None
                if not self.fail(short in partitions, f"{where} watches {topic!r}, which the topics Job does not create"):
                    continue
                bound = max(bound, partitions[short])
                self.fail(trigger.get("bootstrapServers") == config.get("KAFKA_BOOTSTRAP"),
                          f"{where} reads lag from {trigger.get('bootstrapServers')}, not KAFKA_BOOTSTRAP {config.get('KAFKA_BOOTSTRAP')}")
                self.fail(str(trigger.get("lagThreshold", "")).isdigit(), f"{where} has no lagThreshold")
                group = trigger.get("consumerGroup", "")
                purpose = group[len(f"{prefix}intellicore.{target}."):] if group.startswith(f"{prefix}intellicore.{target}.") else ""
                self.fail(bool(purpose) and target in self.code.products and self.code.consumes(target, purpose, short),
                          f"{where}: {target} has no consumer group {group!r} reading {topic}")
            if kafka:
                self.fail(spec["maxReplicaCount"] <= bound, f"{where}: maxReplicaCount {spec['maxReplicaCount']} exceeds the {bound} partitions of its topics")
            if target in REPLICAS_BOUNDED_BY:
                topic = REPLICAS_BOUNDED_BY[target]
                self.fail(spec["maxReplicaCount"] <= partitions.get(topic, 0),
                          f"{where}: maxReplicaCount {spec['maxReplicaCount']} exceeds the {partitions.get(topic)} partitions of {topic}")
        monitoring = self.kind("Deployment").get("monitoring")
        if monitoring:
            # Its windows are in memory: one instance, never two, not even during a rollout.
            self.fail(monitoring["spec"].get("replicas") == 1, "monitoring must run exactly one replica")
            self.fail(monitoring["spec"].get("strategy", {}).get("type") == "Recreate", "monitoring must be replaced with strategy Recreate")
            self.fail(scaled.get("monitoring", {}).get("maxReplicaCount", 1) == 1, "monitoring must not scale beyond one replica")
        for name in sorted(set(self.kind("Deployment")) - set(scaled)):
            self.fail(self.kind("Deployment")[name]["spec"].get("replicas") is not None, f"the Deployment {name} has neither replicas nor a ScaledObject")
        self.scaled = scaled


def check_partitions(report, code, area, deployed):
    """The deployed topics are Topic.swift's, partitioned as scripts/stack.sh except where ADR 0008 says."""
    report.expect(set(deployed) == set(code.topic_cases.values()), area,
                  f"topics differ from Topic.swift: {sorted(set(deployed) ^ set(code.topic_cases.values()))}")
    report.expect(set(code.stack_partitions) == set(code.topic_cases.values()), "scripts/stack.sh",
                  f"topics differ from Topic.swift: {sorted(set(code.stack_partitions) ^ set(code.topic_cases.values()))}")
    for topic, count in sorted(deployed.items()):
        local = code.stack_partitions.get(topic)
        if topic in MORE_PARTITIONS_ON_KAFKA:
            report.expect(local is not None and count >= local, area, f"{topic} has {count} partitions, fewer than stack.sh's {local}")
        else:
            report.expect(count == local, area, f"{topic} has {count} partitions, stack.sh {local}")


def compare_overlays(report, dev, prod):
    """dev: one-replica minimums and smaller pods; prod: a namespace, larger requests, higher minimums."""
    if not dev.docs or not prod.docs:
        return
    for name, spec in dev.scaled.items():
        report.expect(spec["minReplicaCount"] == 1, "kubernetes/dev", f"{name}'s minReplicaCount is {spec['minReplicaCount']}, not 1")
        report.expect(prod.scaled.get(name, {}).get("minReplicaCount", 0) > 1, "kubernetes/prod", f"{name}'s minReplicaCount is not above 1")
    for name, deployment in dev.kind("Deployment").items():
        other = prod.kind("Deployment").get(name)
        if not report.expect(other is not None, "kubernetes/prod", f"no Deployment {name}"):
            continue
        small, large = (Overlay.containers(d)[0]["resources"]["requests"] for d in (deployment, other))
        for resource in ("cpu", "memory"):
            report.expect(quantity(small[resource]) < quantity(large[resource]), "kubernetes",
                          f"{name}'s {resource} request is not larger in prod ({large[resource]}) than in dev ({small[resource]})")
    namespaces = set(prod.kind("Namespace"))
    report.expect(len(namespaces) == 1, "kubernetes/prod", "prod must create its namespace")
    for doc in prod.docs:
        if doc["kind"] != "Namespace":
            report.expect(doc["metadata"].get("namespace") in namespaces, "kubernetes/prod",
                          f"{doc['kind']} {doc['metadata']['name']} is not in the prod namespace")


def check(root: Path):
    report, code = Report(), Code(root)
    compose = Compose(report, code, root).check()
    if "topics" in compose.services:
        check_partitions(report, code, "docker-compose topics", code.parse_specs(compose.env("topics").get("TOPICS", "")))
    else:
        report.expect(False, "docker-compose", "no topics one-shot service")
    overlays = {}
    for name in ("dev", "prod"):
        path = root / "infra/kubernetes/overlays" / name
        if report.expect(path.is_dir(), "kubernetes", f"no overlay {name}"):
            overlays[name] = Overlay(report, code, compose, root, path).check()
    if len(overlays) == 2:
        compare_overlays(report, overlays["dev"], overlays["prod"])
    return report


# --- self-test: every breakage below must be caught -----------------------------------------------

BREAKAGES = [
    # (what, file, text, replacement, words the failure must contain)
    ("wrong upstream port in the Caddyfile", "infra/caddy/Caddyfile", "reverse_proxy billing:8080", "reverse_proxy billing:8081", "8081"),
    ("route to a prefix the service does not serve", "infra/caddy/Caddyfile", "path /v1/training /v1/training/*", "path /v1/trainings /v1/trainings/*", "/v1/trainings"),
    ("prefix routed to the wrong service", "infra/caddy/Caddyfile", "reverse_proxy inference:8080", "reverse_proxy monitoring:8080", "/v1/inference"),
    ("a public prefix not routed", "infra/caddy/Caddyfile", " /dashboard /dashboard/*", "", "/dashboard"),
    ("depends_on an undefined service", "docker-compose.yml", "redis: { condition: service_healthy }", "redos: { condition: service_healthy }", "redos"),
    ("service_completed_successfully on a long-running service", "docker-compose.yml",
     "ingestion: { condition: service_started }", "ingestion: { condition: service_completed_successfully }", "one-shot"),
    ("service_healthy on a service without healthcheck", "docker-compose.yml",
     "prometheus: { condition: service_healthy }", "topics: { condition: service_healthy }", "no healthcheck"),
    ("wrong PostgreSQL port", "docker-compose.yml", 'POSTGRES_PORT: "5432"', 'POSTGRES_PORT: "5433"', "5433"),
    ("Kafka bootstrap on a port the broker does not listen on", "docker-compose.yml", "KAFKA_BOOTSTRAP: kafka:9092\n  KAFKA_LINGER", "KAFKA_BOOTSTRAP: kafka:9094\n  KAFKA_LINGER", "9094"),
    ("healthcheck on the wrong port", "docker-compose.yml", "http://127.0.0.1:8080/health/ready", "http://127.0.0.1:8081/health/ready", "healthcheck"),
    ("unknown product", "docker-compose.yml", "args: { SERVICE: billing }", "args: { SERVICE: biling }", "biling"),
    ("undeclared volume", "docker-compose.yml", "  grafana-data:\n", "", "grafana-data"),
    ("a setting left out of a service's environment", "docker-compose.yml", "      BILLING_POLL_BATCH: ${BILLING_POLL_BATCH:-}\n", "", "BILLING_POLL_BATCH"),
    ("a variable no service reads", "docker-compose.yml", "POSTGRES_DATABASE: intellicore\n  POSTGRES_MAX", "POSTGRES_DB: intellicore\n  POSTGRES_MAX", "sets POSTGRES_DB"),
    ("a route to a service that is not defined", "infra/caddy/Caddyfile", "reverse_proxy billing:8080", "reverse_proxy invoicing:8080", "no service invoicing"),
    ("a path routed to two services", "infra/caddy/Caddyfile", "path /v1/billing /v1/billing/*", "path /v1/billing /v1/billing/* /dashboard", "two routes"),
    ("Grafana's dashboards not mounted where provisioning reads them", "infra/grafana/provisioning/dashboards/intellicore.yml",
     "path: /etc/grafana/dashboards", "path: /var/lib/grafana/dashboards", "/var/lib/grafana/dashboards"),
    ("Prometheus target on the wrong port", "infra/prometheus/prometheus.yml", '"inference:8080"', '"inference:9090"', "9090"),
    ("compose topics differ from stack.sh", "docker-compose.yml", "models:4\n        predictions.requests", "models:2\n        predictions.requests", "models"),
    ("maxReplicaCount above the partitions", "infra/kubernetes/base/inference.yaml", "maxReplicaCount: 8", "maxReplicaCount: 16", "maxReplicaCount 16"),
    ("a consumer group the service does not have", "infra/kubernetes/base/inference.yaml", "intellicore.inference.predictions", "intellicore.inference.requests", "consumer group"),
    ("readiness probe on a port the container does not open", "infra/kubernetes/base/billing.yaml",
     "readinessProbe: { httpGet: { path: /health/ready, port: http }", "readinessProbe: { httpGet: { path: /health/ready, port: 8081 }", "readinessProbe port"),
    ("Service selecting no Deployment", "infra/kubernetes/base/billing.yaml", "  selector: { app.kubernetes.io/name: billing }", "  selector: { app.kubernetes.io/name: biling }", "Service billing"),
    ("Service targetPort not a containerPort", "infra/kubernetes/base/billing.yaml", "port: 8080, targetPort: http", "port: 8080, targetPort: web", "targetPort"),
    ("PodDisruptionBudget selecting nothing", "infra/kubernetes/base/inference.yaml",
     "maxUnavailable: 1\n  selector: { matchLabels: { app.kubernetes.io/name: inference } }", "maxUnavailable: 1\n  selector: { matchLabels: { app: inference } }", "PodDisruptionBudget"),
    ("Ingress backend port the Service lacks", "infra/kubernetes/base/ingress.yaml",
     "path: /v1/billing, pathType: Prefix, backend: { service: { name: billing, port: { name: http } } }",
     "path: /v1/billing, pathType: Prefix, backend: { service: { name: billing, port: { name: metrics } } }", "metrics"),
    ("Ingress and Caddyfile disagree", "infra/kubernetes/base/ingress.yaml",
     "          - { path: /dashboard, pathType: Prefix, backend: { service: { name: monitoring, port: { name: http } } } }\n", "", "only the Caddyfile"),
    ("missing Secret key", "infra/kubernetes/base/billing.yaml", "key: INGESTION_ADMIN_KEY", "key: ADMIN_KEY", "ADMIN_KEY"),
    ("monitoring scaled out", "infra/kubernetes/base/monitoring.yaml", "  replicas: 1\n", "  replicas: 2\n", "monitoring"),
    ("topics Job differs from compose", "infra/kubernetes/base/topics-job.yaml", "predictions.requests:8", "predictions.requests:4", "different partitions"),
    ("KEDA reading lag from other brokers than the services", "infra/kubernetes/base/configmap.yaml",
     "KAFKA_BOOTSTRAP: kafka-bootstrap:9092", "KAFKA_BOOTSTRAP: kafka:9092", "reads lag from"),
    ("a Deployment setting a variable its service does not read", "infra/kubernetes/base/training-orchestrator.yaml",
     "name: TRAINING_WORKERS,", "name: TRAINING_WORKER,", "TRAINING_WORKER,"),
    ("a service-specific setting in the shared ConfigMap", "infra/kubernetes/base/configmap.yaml", "  LOG_LEVEL: info", "  LOG_LEVEL: info\n  BILLING_POLL_BATCH: \"100\"", "BILLING_POLL_BATCH"),
    ("prod no larger than dev", "infra/kubernetes/overlays/prod/resources.yaml",
     "requests: { cpu: 500m, memory: 512Mi }", "requests: { cpu: 100m, memory: 512Mi }", "not larger in prod"),
    ("ScaledObject on a missing Deployment", "infra/kubernetes/base/billing.yaml", "scaleTargetRef: { name: billing }", "scaleTargetRef: { name: billings }", "billings"),
]


def self_test(root: Path):
    """Breaks a copy of the files one way at a time; the check must fail, naming the breakage."""
    missed = 0
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "repo"
        for part in ("Package.swift", "docker-compose.yml", "infra", "scripts/stack.sh", "Services",
                     "Shared/IntelliCoreEvents/Topic.swift", "Shared/IntelliCoreServiceKit"):
            source, target = root / part, copy / part
            target.parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
        baseline = check(copy)
        if baseline.failures:
            print("self-test: the unbroken copy already fails:\n  " + "\n  ".join(baseline.failures))
            return 1
        for what, file, text, replacement, words in BREAKAGES:
            path = copy / file
            original = path.read_text()
            if text not in original:
                print(f"self-test: cannot break {file} ({what}): {text!r} not found")
                missed += 1
                continue
            path.write_text(original.replace(text, replacement, 1))
            failures = check(copy).failures
            path.write_text(original)
            caught = [f for f in failures if words in f]
            print(f"self-test: {'caught' if caught else 'MISSED'}: {what}: {(caught or failures or ['no failure'])[0]}")
            missed += 0 if caught else 1
    print(f"self-test: {len(BREAKAGES) - missed} of {len(BREAKAGES)} breakages caught")
    return 1 if missed else 0


def main():
    root = Path(__file__).resolve().parents[2]
    if "--self-test" in sys.argv:
        return self_test(root)
    report = check(root)
    for failure in report.failures:
        print(f"FAIL {failure}")
    print(f"{report.checks} checks, {len(report.failures)} failures")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
