"""Test fixture, book layout, any network of chapter 10: the network's gradients with the catalogued bug named by
$GRADCHECK_TEST_BUG (none if empty), for the network named by $GRADCHECK_TEST_KIND, $GRADCHECK_TEST_VARIANT and
$GRADCHECK_TEST_LAYERS — written as a user's backward would return them: a dict by the network's parameter names."""

import os

import numpy as np

from gradcheck.book import kinds
from gradcheck.engine.models import model_of


def _model(params, x, y):
    kind = os.environ["GRADCHECK_TEST_KIND"]
    layers = int(os.environ.get("GRADCHECK_TEST_LAYERS", "1"))
    variant = os.environ.get("GRADCHECK_TEST_VARIANT", "book")
    network = kinds.network(kind, layers)
    name = os.environ.get("GRADCHECK_TEST_BUG", "")
    bug = network.bugs[name].backward if name else None
    point = {key: np.asarray(value, dtype=np.float64) for key, value in params.items()}
    return model_of(network, point, np.asarray(x), np.asarray(y), variant, bug)


def backward(x, y, **params):
    grads = _model(params, x, y).gradients()
    return {f"d{name}": grads[name] for name in params}


def forward(x, y, **params):
    return _model(params, x, y).loss
