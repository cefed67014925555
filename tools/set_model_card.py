"""Store a model card (measured accuracy on unseen data, training data, licence) in a model file.

usage: .venv/bin/python tools/set_model_card.py MODEL CARD.json
The card is a JSON object of short plain-text fields; evidence reports print it under the model.
The weights, the ONNX graph and so the model hash do not change.
"""

import json
import sys

from deepssh_gui.learn.checkpoint import load_model, resave


def main(model_path: str, card_path: str) -> None:
    with open(card_path, encoding="utf-8") as f:
        card = json.load(f)
    if not isinstance(card, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in card.items()):
        raise SystemExit(f"{card_path}: a card is a JSON object of text fields")
    model = load_model(model_path)
    print(resave(model, meta=dict(model.meta, card=card)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
