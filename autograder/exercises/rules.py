"""The course's update rules built from their parts, so that a classic mistake is written as the
course's rule with one part changed: ``VELOCITY.but(average=summed)`` (as optax builds an
optimizer from transforms, not from flags).

A rule is ``f(inputs, upstream)``: ``inputs`` a call's arguments by name, ``upstream`` the
components computed before it (:class:`~autograder.exercises.base.Stage`). Each part's default
is the course's; every rule returns new dicts and never changes what it reads (the rules read
the hidden case's own values: tests/test_grading_judging.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from autograder.exercises.base import Either, Stage

Params = dict[str, np.ndarray]
Rule = Callable[[dict, dict], object]


def given(name: str) -> Rule:
    """The call's argument ``name``: the gradients, or v as it was passed in."""
    return lambda i, u: i[name]


def computed(name: str) -> Rule:
    """The component ``name`` computed before this one: the new v."""
    return lambda i, u: u[name]


#: The gradients: what plain gradient descent steps along.
GRADIENTS = given("grads")


def either(*rules: Rule) -> Rule:
    """The ways a student may write one mistake, each rule's value (examples use the first)."""
    return lambda i, u: Either(rule(i, u) for rule in rules)


class Part:
    """A rule made of named parts; ``but`` is the same rule with some parts changed."""

    def but(self, **changes: object) -> Part:
        return dataclasses.replace(self, **changes)


# --- the parts and their classic replacements -----------------------------------------------


def itself(x: object) -> object:
    return x


def squared(g: np.ndarray) -> np.ndarray:
    return g**2


def weighted(beta: float, old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The course's average: beta * old + (1 - beta) * new."""
    return beta * old + (1 - beta) * new


def summed(beta: float, old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """(1 - beta) missing: beta * old + new."""
    return beta * old + new


def swapped(beta: float, old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """beta and (1 - beta) swapped: (1 - beta) * old + beta * new."""
    return (1 - beta) * old + beta * new


def by_one_minus(value: np.ndarray, decay: float) -> np.ndarray:
    """The course's bias correction: value / (1 - beta**t)."""
    return value / (1 - decay)


def sqrt_plus_epsilon(s: np.ndarray, epsilon: float) -> np.ndarray:
    """The course's denominator: np.sqrt(s) + epsilon."""
    return np.sqrt(s) + epsilon


def sqrt_of_sum(s: np.ndarray, epsilon: float) -> np.ndarray:
    """Epsilon inside the square root: np.sqrt(s + epsilon)."""
    return np.sqrt(s + epsilon)


def plus_epsilon(s: np.ndarray, epsilon: float) -> np.ndarray:
    """No square root: s + epsilon."""
    return s + epsilon


def divided_by_one_first(value: np.ndarray, decay: float) -> np.ndarray:
    """Operator precedence: value / 1 - beta**t."""
    return value / 1 - decay


def learning_rate(i: dict) -> float:
    return i["learning_rate"]


def negated_learning_rate(i: dict) -> float:
    """A step up the gradient."""
    return -i["learning_rate"]


def no_learning_rate(i: dict) -> float:
    return 1.0


def gradient_key(key: str) -> str:
    """The gradient of a parameter, and the moment of it: W1 -> dW1."""
    return "d" + key


def weight_gradient_key(key: str) -> str:
    """The step of W given to b as well: b1 -> dW1."""
    return "dW" + key[1:]


def layer_of(key: str) -> int:
    """The layer of W3, b3, dW3 or db3: 3."""
    return int(key.lstrip("dWb"))


def last_layer(values: dict) -> int:
    return max(layer_of(key) for key in values)


# --- the rules ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Moment(Part):
    """A moment (v or s) updated for every key: ``average(beta, old, of(dW))``."""

    old: str  # the moment as it was passed in: "v" or "s"
    beta: str  # the hyperparameter it decays with
    of: Callable[[np.ndarray], np.ndarray] = itself  # what is averaged: dW, or dW**2
    average: Callable[[float, np.ndarray, np.ndarray], np.ndarray] = weighted

    def __call__(self, i: dict, u: dict) -> Params:
        old, grads, beta = i[self.old], i["grads"], i[self.beta]
        return {key: self.average(beta, old[key], self.of(grads[key])) for key in old}


@dataclasses.dataclass(frozen=True)
class Corrected(Part):
    """A moment's bias correction for every key: ``divide(moment, beta**power(t))``."""

    moment: Rule  # usually computed("v"); the correction of a fresh moment when written back
    beta: str
    power: Callable[[int], int] = itself
    divide: Callable[[np.ndarray, float], np.ndarray] = by_one_minus

    def __call__(self, i: dict, u: dict) -> Params:
        return {key: self.divide(value, i[self.beta] ** self.power(i["t"]))
                for key, value in self.moment(i, u).items()}


@dataclasses.dataclass(frozen=True)
class Descend(Part):
    """Every parameter minus ``rate`` times its step: the step of W is ``along[step_of("W")]``,
    divided by ``denominator(over[...], epsilon)`` when ``over`` is given (RMSprop, Adam)."""

    along: Rule = GRADIENTS
    over: Rule | None = None
    denominator: Callable[[np.ndarray, float], np.ndarray] = sqrt_plus_epsilon
    rate: Callable[[dict], float] = learning_rate
    step_of: Callable[[str], str] = gradient_key

    def __call__(self, i: dict, u: dict) -> Params:
        steps = self.along(i, u)
        if self.over is not None:
            over, epsilon = self.over(i, u), i["epsilon"]
            steps = {key: steps[key] / self.denominator(over[key], epsilon) for key in steps}
        rate = self.rate(i)
        return {key: value - rate * steps[self.step_of(key)]
                for key, value in i["parameters"].items()}


@dataclasses.dataclass(frozen=True)
class Zeros(Part):
    """The moments of the parameters, one array ``fill(shape)`` per kept layer, keyed dW1, ..."""

    key_of: Callable[[str], str] = gradient_key
    fill: Callable[[tuple[int, ...]], np.ndarray] = np.zeros
    keep: Callable[[int, int], bool] = lambda layer, last: True  # (layer, L) -> kept?

    def __call__(self, i: dict, u: dict) -> Params:
        parameters = i["parameters"]
        L = last_layer(parameters) if parameters else 0
        return {self.key_of(key): self.fill(value.shape) for key, value in parameters.items()
                if self.keep(layer_of(key), L)}


# --- whole-loop mistakes: any rule, done on the wrong layers ---------------------------------


def last_layer_unchanged(rule: Rule) -> Rule:
    """``rule`` with layer L left as it was: a loop over range(1, L)."""

    def but_the_last_layer(i: dict, u: dict) -> Params:
        updated, before = rule(i, u), i["parameters"]
        L = last_layer(before)
        return {key: (before[key] if layer_of(key) == L else value)
                for key, value in updated.items()}

    return but_the_last_layer


def biases_unchanged(rule: Rule) -> Rule:
    """``rule`` with every b left as it was."""
    return lambda i, u: {**rule(i, u), **{k: v for k, v in i["parameters"].items() if k[0] == "b"}}


def _layer_1_only(values: dict) -> dict:
    """The inputs (or components) with every dict cut down to layer 1."""
    return {
        name: {key: item for key, item in value.items() if layer_of(key) == 1}
        if isinstance(value, dict) else value
        for name, value in values.items()
    }


#: The inputs that a rule's result is written into in place, when it has the same name.
_UPDATED_IN_PLACE = ("parameters", "v", "s")


def first_layer_only(rule: Rule, into: str | None) -> Rule:
    """What a `return` inside the layer loop gives: ``rule`` done on layer 1 only, written into
    the input dict ``into`` in place (the other layers unchanged) or into a new dict."""

    def returned_in_the_loop(i: dict, u: dict) -> Either:
        first = rule(_layer_1_only(i), _layer_1_only(u))
        return Either(([{**i[into], **first}] if into is not None else []) + [first])

    return returned_in_the_loop


def first_layer_only_stages(stages: list[Stage]) -> dict[str, Rule]:
    """Every stage done on layer 1 only, as a `return` inside the layer loop leaves it."""
    return {stage.name: first_layer_only(stage.rule, stage.name if stage.name in _UPDATED_IN_PLACE
                                         else None)
            for stage in stages}
