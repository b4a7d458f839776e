#!/usr/bin/env python3
"""Checks files mlgate writes or ships with the published definitions of the systems that read them, for the tests.

Usage: schema_check.py FORMAT FILE...
Prints one JSON object, {"problems": ["FILE: what is wrong", ...]}; exit 0 when there are none, 1 otherwise.

Exports (`mlgate endpoint export`):

- kserve: every key and value type against the KServe SDK's own models of the CRD (PyPI `kserve`; the Kubernetes
  types from PyPI `kubernetes`), unknown keys and missing required fields included.
- kubernetes-job: the same walk over the Kubernetes SDK's V1Job (the queue's kubernetes executor's manifests).
- azure: Azure ML's own loaders (PyPI `azure-ai-ml`): `load_online_endpoint` for endpoint.yml,
  `load_online_deployment` for the deployments; they refuse unknown fields, wrong types and missing fields.
- compose: the Compose Specification's JSON schema as PyPI `check-jsonschema` ships it, through `jsonschema`.

CI templates (ci-templates/), each against the schema `check-jsonschema` ships for it: github-workflows,
github-actions, gitlab-ci, azure-pipelines, bitbucket-pipelines, circle-ci.
"""

import json
import re
import sys

import yaml


def sdk_problems(document, root_type):
    """Every key and value type of `document` against the generated SDK model `root_type` (KServe's, else Kubernetes')."""
    import kubernetes.client.models as kubernetes_models
    try:
        import kserve.models as kserve_models
    except ImportError:
        kserve_models = None

    problems = []

    def model_class(name):
        return getattr(kserve_models, name, None) or getattr(kubernetes_models, name, None)

    def check(value, type_name, where):
        if value is None:
            return
        list_match = re.fullmatch(r"[Ll]ist\[(.+)\]", type_name)
        dict_match = re.fullmatch(r"(?:dict\(str, (.+)\)|Dict\[str, (.+)\])", type_name)
        if list_match:
            if not isinstance(value, list):
                return problems.append(f"{where}: a list is expected, not {value!r}")
            for index, item in enumerate(value):
                check(item, list_match.group(1), f"{where}[{index}]")
        elif dict_match:
            if not isinstance(value, dict):
                return problems.append(f"{where}: a map is expected, not {value!r}")
            for key, item in value.items():
                check(item, dict_match.group(1) or dict_match.group(2), f"{where}.{key}")
        elif type_name in ("str", "int", "bool", "float", "object", "datetime"):
            expected = {"str": str, "int": int, "bool": bool, "float": (int, float), "object": object, "datetime": str}[type_name]
            if not isinstance(value, expected) or (type_name == "int" and isinstance(value, bool)):
                problems.append(f"{where}: {type_name} expected, not {value!r}")
        else:
            cls = model_class(type_name)
            if cls is None:
                return problems.append(f"{where}: the SDK has no type {type_name}")
            if not isinstance(value, dict):
                return problems.append(f"{where}: an object ({type_name}) is expected, not {value!r}")
            by_key = {key: attribute for attribute, key in cls.attribute_map.items()}
            for key, item in value.items():
                if key not in by_key:
                    problems.append(f"{where}.{key}: {type_name} has no field '{key}'")
                else:
                    check(item, cls.openapi_types[by_key[key]], f"{where}.{key}")
            try:  # the generated constructors refuse a missing required field
                cls(**{by_key[key]: item for key, item in value.items() if key in by_key})
            except ValueError as error:
                problems.append(f"{where}: {error}")

    check(document, root_type, "")
    return problems


def kserve_problems(path, document):
    problems = []
    if document.get("apiVersion") != "serving.kserve.io/v1beta1" or document.get("kind") != "InferenceService":
        problems.append("not a serving.kserve.io/v1beta1 InferenceService")
    return [f"{path}: {problem}" for problem in problems + sdk_problems(document, "V1beta1InferenceService")]


def kubernetes_job_problems(path, document):
    problems = []
    if document.get("apiVersion") != "batch/v1" or document.get("kind") != "Job":
        problems.append("not a batch/v1 Job")
    return [f"{path}: {problem}" for problem in problems + sdk_problems(document, "V1Job")]


def azure_problems(path, document):
    from azure.ai.ml import load_online_deployment, load_online_endpoint

    load = load_online_endpoint if path.endswith("endpoint.yml") else load_online_deployment
    try:
        load(path)
    except Exception as error:  # the SDK raises its own ValidationError subclasses
        return [f"{path}: {type(error).__name__}: {error}"]
    return []


def vendored_schema_problems(name):
    """A checker against check-jsonschema's copy of the schema `name` (compose-spec, gitlab-ci, …)."""

    def problems(path, document):
        import importlib.resources

        import jsonschema

        schema_file = importlib.resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(name + ".json")
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        validator = jsonschema.validators.validator_for(schema)(schema)
        # The deepest error of each failure says what is wrong; oneOf/anyOf branches otherwise repeat it many times.
        found = []
        for error in validator.iter_errors(document):
            best = jsonschema.exceptions.best_match([error])
            where = "/".join(map(str, best.absolute_path)) or "(top)"
            found.append(f"{path}: {where}: {best.message}")
        return found

    return problems


def main():
    checkers = {"kserve": kserve_problems, "kubernetes-job": kubernetes_job_problems, "azure": azure_problems, "compose": vendored_schema_problems("compose-spec")}
    for name in ("github-workflows", "github-actions", "gitlab-ci", "azure-pipelines", "bitbucket-pipelines", "circle-ci"):
        checkers[name] = vendored_schema_problems(name)
    if len(sys.argv) < 3 or sys.argv[1] not in checkers:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    problems = []
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
        problems += checkers[sys.argv[1]](path, document)
    print(json.dumps({"problems": problems}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
