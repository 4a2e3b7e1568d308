#!/usr/bin/env python3
"""Checks jpid's OpenAPI document and the service's answers against it, with standard validators.

Usage: openapi_check.py OPENAPI.json ANSWERS.json

- The document is validated by openapi-spec-validator (OpenAPI 3.0 rules).
- Each answer ({method, path, status, content_type, body}) is matched to its operation (path
  templates like /v1/audit/{id} included); its status must be listed in that operation's
  responses, its content type must be one the document gives for that status, and a JSON body
  must validate against that status's schema (openapi-schema-validator, OAS 3.0 dialect).

Exit 0 when everything holds, 1 with one line per fault otherwise. The tests call it
(crates/jpid-testkit/src/http.rs, check_against_openapi).
"""
import json
import re
import sys

try:
    from openapi_spec_validator import validate as validate_document
    from openapi_schema_validator import OAS30Validator, validate as validate_instance
except ImportError as e:
    sys.exit(f"missing validator ({e}): run scripts/test, or pip install openapi-spec-validator")


def operation_for(doc, method, path):
    for template, item in doc["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^/]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method in item:
            return template, item[method]
    return None, None


def main():
    doc = json.load(open(sys.argv[1]))
    answers = json.load(open(sys.argv[2]))
    faults = []
    try:
        validate_document(doc)
    except Exception as e:  # the validator's own error types vary by version
        faults.append(f"the document is not valid OpenAPI: {e}")
    seen = set()
    for a in answers:
        template, op = operation_for(doc, a["method"], a["path"])
        if op is None:
            # A path or method the document does not have: the service must have said so
            # (404 not_found or 405 method_not_allowed, in the Error shape).
            if a["status"] in (404, 405):
                continue
            faults.append(f"{a['method']} {a['path']}: no such operation in the document, yet {a['status']}")
            continue
        where = f"{a['method'].upper()} {template} {a['status']}"
        seen.add(where)
        response = op.get("responses", {}).get(str(a["status"]))
        if response is None:
            faults.append(f"{where}: status not documented")
            continue
        if "$ref" in response:
            name = response["$ref"].rsplit("/", 1)[-1]
            response = doc["components"]["responses"][name]
        content = response.get("content", {})
        media = a["content_type"].split(";")[0].strip()
        if not content:
            if a["body"] not in (None, ""):
                pass  # a body where none is described is allowed only if not JSON
            continue
        if media not in content:
            faults.append(f"{where}: content type {media!r} not documented ({sorted(content)})")
            continue
        if media != "application/json":
            continue
        if a["body"] is None:
            faults.append(f"{where}: the body is not JSON")
            continue
        schema = {"allOf": [content[media].get("schema", {})], "components": doc.get("components", {})}
        try:
            validate_instance(a["body"], schema, cls=OAS30Validator)
        except Exception as e:
            first = str(e).splitlines()[0]
            faults.append(f"{where}: body does not match the schema: {first}")
    for f in faults:
        print(f)
    print(f"{len(answers)} answers checked, {len(seen)} distinct (operation, status) pairs, {len(faults)} faults",
          file=sys.stderr)
    sys.exit(1 if faults else 0)


main()
