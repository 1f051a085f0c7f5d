"""Check a Django test response against the API's own OpenAPI document: the status is documented for
the operation, the content type is one it names, and the body matches its schema."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import jsonschema

from idx.api.v1 import api


@cache
def openapi() -> dict[str, Any]:
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))


def _operation(method: str, path: str) -> dict[str, Any]:
    path = path.split("?", 1)[0]
    for template, operations in openapi()["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return operations[method.lower()]
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def conforms(response: Any, method: str, path: str) -> Any:
    """Assert that ``response`` (to ``method path``) is what the document promises.

    Returns the JSON body, the raw bytes of any other content, or ``None`` without a body.
    """
    operation = _operation(method, path)
    answers = operation["responses"]
    status = str(response.status_code)
    assert status in answers, f"{method} {path} answered {status}, documented: {sorted(answers)}"
    content = answers[status].get("content")
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    if not content:
        assert not raw, f"{method} {path} {status} has a body its document does not declare"
        return None
    media_type = response["Content-Type"].split(";")[0].strip()
    assert media_type in content, (
        f"{method} {path} {status} answered {media_type}, documented {sorted(content)}"
    )
    if media_type != "application/json":
        return raw
    body = json.loads(raw)
    schema = {**content[media_type]["schema"], "components": openapi()["components"]}
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)
    return body
