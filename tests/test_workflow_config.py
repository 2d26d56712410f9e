"""Command-line config strings get the types the schema asks for."""

from lungtrack.workflow_config import typed_config

SCHEMA = {
    "type": "object",
    "properties": {
        "results_dir": {"type": "string"},
        "reference_dir": {"type": ["string", "null"]},
        "demo": {"type": "object", "properties": {"patients": {"type": "integer"}, "dir": {"type": "string"}}},
        "folds": {"type": "array", "items": {"type": ["integer", "string"]}},
        "ratio": {"type": "number"},
        "flag": {"type": "boolean"},
    },
}


def test_nested_numbers_and_booleans_are_typed():
    cfg = typed_config({"demo": {"patients": "5", "dir": "007"}, "ratio": "0.5", "flag": "true"}, SCHEMA)
    assert cfg == {"demo": {"patients": 5, "dir": "007"}, "ratio": 0.5, "flag": True}


def test_strings_stay_strings_where_the_schema_allows_them():
    cfg = typed_config({"results_dir": "123", "reference_dir": "null", "folds": ["all", "1"]}, SCHEMA)
    assert cfg == {"results_dir": "123", "reference_dir": "null", "folds": ["all", "1"]}


def test_nonsense_is_left_for_the_schema_to_reject():
    assert typed_config({"demo": {"patients": "many"}}, SCHEMA) == {"demo": {"patients": "many"}}
    assert typed_config({"unknown": "3"}, SCHEMA) == {"unknown": "3"}


def test_maps_typed_by_additional_properties():
    schema = {"properties": {"labels": {"type": "object",
                                        "additionalProperties": {"type": "array", "items": {"type": "integer"}}}}}
    assert typed_config({"labels": {"lung": ["1", "2"], "lesion": ["3"]}}, schema) == {
        "labels": {"lung": [1, 2], "lesion": [3]}}
