"""JSON Schema of a quiz bank file (``quizzes/<quiz id>.yaml``).

The schema checks structure (fields, types, required-ness, letters); the rules that relate fields
to each other (answer among the choices, ids unique, no choices on a free-response item, a
numeric item's parameters and tolerance, ...) are in ``bank.semantic_errors``. It is a dict
rather than a ``.json`` file so that it ships with the package without package-data.
"""

from __future__ import annotations

LETTER = {"type": "string", "pattern": "^[A-Z]$"}
TEXT = {"type": "string", "pattern": r"\S"}  # not empty nor only spaces
SHUFFLE = {
    "description": "Show the choices in an order of each student's own, drawn from their id.",
    "type": "boolean",
}

QUIZ_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Quiz item bank",
    "type": "object",
    "required": ["title", "items"],
    "additionalProperties": False,
    "properties": {
        "title": TEXT,
        "explanations": {
            "description": "When students see the score, feedback and explanations of each item "
            "(Gradescope visibility: immediately -> visible, after_due_date -> after_due_date).",
            "enum": ["immediately", "after_due_date"],
            "default": "immediately",
        },
        "shuffle": {**SHUFFLE, "description": "The default of every choice item's shuffle."},
        "items": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/item"}},
    },
    "$defs": {
        "item": {
            "type": "object",
            "required": ["id", "type", "prompt", "points"],
            "additionalProperties": False,
            "properties": {
                # Identifier and keyword rules are semantic checks (clearer messages).
                "id": {"type": "string", "minLength": 1, "maxLength": 50},
                "type": {"enum": ["single", "multiple", "free_response", "numeric"]},
                "prompt": TEXT,
                "points": {"type": "number", "exclusiveMinimum": 0},
                "choices": {
                    "type": "object",
                    "minProperties": 2,
                    "propertyNames": LETTER,
                    "additionalProperties": TEXT,
                },
                # Single letter vs list is a semantic check, so that it names the item type.
                "answer": {"type": ["string", "array"], "items": {"type": "string"}},
                "explanations": {
                    "description": "Why each choice is right or wrong, keyed by choice letter.",
                    "type": "object",
                    "additionalProperties": TEXT,
                },
                "rubric": {
                    "description": "Model answer for the hand grader; never shown to students.",
                    **TEXT,
                },
                "shuffle": SHUFFLE,
                # Numeric items: the prompt is a template with {parameter} placeholders.
                "parameters": {
                    "description": "Each parameter's range: values (a list) or min and max.",
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                    "additionalProperties": {"$ref": "#/$defs/parameter"},
                },
                "function": {
                    "description": "The answer function (autograder.quiz.numeric.FUNCTIONS).",
                    "type": "string",
                },
                "tolerance": {
                    "description": (
                        "Right when |answer - expected| <= absolute + relative |expected|."
                    ),
                    "type": "object",
                    "required": ["relative", "absolute"],
                    "additionalProperties": False,
                    "properties": {
                        "relative": {"type": "number", "minimum": 0},
                        "absolute": {"type": "number", "minimum": 0},
                    },
                },
                "explanation": {
                    "description": "How the answer is found; shown as the explanations are.",
                    **TEXT,
                },
            },
            "allOf": [
                {
                    "if": {
                        "required": ["type"],
                        "properties": {"type": {"enum": ["single", "multiple"]}},
                    },
                    "then": {"required": ["choices", "answer", "explanations"]},
                },
                {
                    "if": {
                        "required": ["type"],
                        "properties": {"type": {"const": "free_response"}},
                    },
                    "then": {"required": ["rubric"]},
                },
                {
                    "if": {"required": ["type"], "properties": {"type": {"const": "numeric"}}},
                    "then": {"required": ["parameters", "function", "tolerance", "explanation"]},
                },
            ],
        },
        "parameter": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "values": {"type": "array", "minItems": 1, "items": {"type": "number"}},
                "min": {"type": "integer"},
                "max": {"type": "integer"},
            },
        },
    },
}
