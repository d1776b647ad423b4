#!/usr/bin/env python3
"""Renders each service's OpenAPI document (Services/<Name>/HTTP/openapi.json) as a Markdown
reference in docs/api/<service>.md: every operation with its parameters, request body and
answers, and every schema with its fields. `--check` fails when a page differs from what the
documents give (the tests run it), so the reference cannot drift from the served contract.

    python3 scripts/openapi_docs.py          # write docs/api/*.md
    python3 scripts/openapi_docs.py --check  # compare only
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {"Ingestion": "ingestion", "TrainingOrchestrator": "training-orchestrator", "Monitoring": "monitoring", "Billing": "billing"}


def schema_text(schema):
    if not isinstance(schema, dict):
        return ""
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        return f"[{name}](#{name.lower()})"
    if schema.get("type") == "array":
        return f"array of {schema_text(schema.get('items', {}))}"
    kinds = schema.get("type", "object" if "properties" in schema else "any")
    kinds = " or ".join(kinds) if isinstance(kinds, list) else kinds
    if "enum" in schema:
        kinds += " (" + ", ".join(f"`{value}`" for value in schema["enum"]) + ")"
    return kinds


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(document, service):
    info = document.get("info", {})
    lines = [f"# {service} HTTP API", "",
             f"Generated from `Services/{next(k for k, v in SERVICES.items() if v == service)}/HTTP/openapi.json` by "
             "`scripts/openapi_docs.py` (do not edit by hand). The service also serves it at `/openapi.json`.", ""]
    if info.get("description"):
        lines += [info["description"], ""]
    lines += ["## Operations", ""]
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            lines += [f"### `{method.upper()} {path}`", ""]
            if operation.get("summary"):
                lines += [operation["summary"], ""]
            if operation.get("description"):
                lines += [operation["description"], ""]
            lines += ["Authentication: " + ("none" if operation.get("security") == [] else "an API key (`Authorization: Bearer …`)"), ""]
            parameters = operation.get("parameters", []) + operations.get("parameters", [])
            if parameters:
                lines += ["| parameter | in | type | required | description |", "|---|---|---|---|---|"]
                for parameter in parameters:
                    lines.append(f"| `{parameter.get('name')}` | {parameter.get('in')} | {cell(schema_text(parameter.get('schema', {})))} | "
                                 f"{'yes' if parameter.get('required') else 'no'} | {cell(parameter.get('description', ''))} |")
                lines.append("")
            body = operation.get("requestBody", {}).get("content", {})
            for media, content in body.items():
                lines += [f"Body (`{media}`): {schema_text(content.get('schema', {}))}", ""]
            lines += ["| status | answer |", "|---|---|"]
            for status, answer in operation.get("responses", {}).items():
                shapes = [schema_text(content.get("schema", {})) for content in answer.get("content", {}).values()]
                lines.append(f"| {status} | {cell(answer.get('description', ''))}{' — ' + ', '.join(shapes) if shapes and shapes[0] else ''} |")
            lines.append("")
    lines += ["## Schemas", ""]
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        lines += [f"### {name}", ""]
        if schema.get("description"):
            lines += [schema["description"], ""]
        properties = schema.get("properties", {})
        if properties:
            required = set(schema.get("required", []))
            lines += ["| field | type | required | description |", "|---|---|---|---|"]
            for field, definition in properties.items():
                lines.append(f"| `{field}` | {cell(schema_text(definition))} | {'yes' if field in required else 'no'} | {cell(definition.get('description', ''))} |")
        else:
            lines.append(f"Type: {schema_text(schema)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main():
    check = "--check" in sys.argv
    stale = []
    for folder, service in SERVICES.items():
        document = json.loads((ROOT / "Services" / folder / "HTTP" / "openapi.json").read_text())
        page = ROOT / "docs" / "api" / f"{service}.md"
        text = render(document, service)
        if check:
            if not page.exists() or page.read_text() != text:
                stale.append(str(page.relative_to(ROOT)))
        else:
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(text)
            print(f"wrote {page.relative_to(ROOT)} ({len(text.splitlines())} lines)")
    if stale:
        print("stale (run python3 scripts/openapi_docs.py): " + ", ".join(stale))
        return 1
    if check:
        print(f"docs/api matches the {len(SERVICES)} OpenAPI documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
