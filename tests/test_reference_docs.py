"""The reference documents itself as PyTorch and cs231n do: every argument with its meaning, every
default as the signature has it, what it returns, and for an update rule its algorithm."""

from __future__ import annotations

import ast
import inspect
import re

import pytest
from support.contract import GRADED_NAMES

from reference import initializers, landscapes, networks, optimizers

DOCUMENTED = [
    *(getattr(optimizers, name) for name in GRADED_NAMES["optimization"]),
    initializers.initialize,
    *(getattr(initializers, name) for name in GRADED_NAMES["initialization"]),
    networks.train, landscapes.ravine, landscapes.rosenbrock, landscapes.trajectory,
]
#: A gradient's arguments are its function's (ravine_gradient's are ravine's).
GRADIENTS = [(landscapes.ravine_gradient, landscapes.ravine),
             (landscapes.rosenbrock_gradient, landscapes.rosenbrock)]
UPDATE_RULES = [optimizers.update_parameters_with_gd, optimizers.update_parameters_with_momentum,
                optimizers.update_parameters_with_rmsprop, optimizers.update_parameters_with_adam,
                optimizers.update_lr, optimizers.schedule_lr_decay]


def _arguments(function) -> dict[str, str]:
    """The "Args:" section of the docstring: name -> its text (``X, Y:`` documents both)."""
    doc = inspect.getdoc(function)
    section = doc.split("Args:\n", 1)[1].split("\n\n", 1)[0]
    entries: dict[str, str] = {}
    for names, text in re.findall(r"^    (\w+(?:, \w+)*): (.*(?:\n {8}.*)*)", section,
                                   re.MULTILINE):
        for name in names.split(", "):
            entries[name] = " ".join(text.split())
    return entries


@pytest.mark.parametrize("function", DOCUMENTED, ids=lambda f: f.__name__)
def test_every_argument_is_documented_with_the_default_of_the_signature(function):
    documented = _arguments(function)
    for name, parameter in inspect.signature(function).parameters.items():
        assert name in documented, name
        if parameter.default is inspect.Parameter.empty or parameter.kind is parameter.VAR_KEYWORD:
            continue
        stated = re.search(r"\(default ([^,:)]+)", documented[name])
        assert stated, f"{name}: no default stated"
        assert ast.literal_eval(stated.group(1)) == parameter.default, name


@pytest.mark.parametrize("gradient, function", GRADIENTS, ids=lambda f: f.__name__)
def test_a_gradient_takes_the_arguments_and_defaults_of_its_function(gradient, function):
    assert inspect.signature(gradient) == inspect.signature(function).replace(
        return_annotation=inspect.signature(gradient).return_annotation)
    assert function.__name__ in inspect.getdoc(gradient)


@pytest.mark.parametrize("function", DOCUMENTED + [g for g, _ in GRADIENTS],
                         ids=lambda f: f.__name__)
def test_every_function_says_what_it_returns(function):
    assert "\nReturns:\n    " in inspect.getdoc(function)


@pytest.mark.parametrize("function", UPDATE_RULES, ids=lambda f: f.__name__)
def test_every_update_rule_gives_its_algorithm(function):
    assert "\nAlgorithm" in inspect.getdoc(function)
