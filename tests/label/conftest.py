"""The tiny trained models of the prediction tests, reused for the labeling loop."""

from tests.predict.conftest import ner_model, textcat_model  # noqa: F401
