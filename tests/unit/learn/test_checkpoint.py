import os
import pickle

import pytest
import torch

from deepssh_gui.learn.checkpoint import load_model, save_model
from deepssh_gui.common.errors import CheckpointError
from tests.conftest import SHIPPED_MODEL


def test_roundtrip_is_self_describing(tiny_model_path, tiny_model):
    obj = torch.load(tiny_model_path, weights_only=True)
    assert obj["config"]["nbits"] == 128 and obj["config"]["input_hw"] == [64, 32]
    assert obj["config"]["mean"] and obj["config"]["std"]
    assert len(obj["schema"]["attributes"]) == 57
    assert obj["package_version"]
    assert tiny_model.config.nbits == 128 and tiny_model.schema.name == "peta"
    assert len(tiny_model.hash) == 64
    assert load_model(tiny_model_path).hash == tiny_model.hash


def test_hash_changes_with_weights(tmp_path, tiny_model):
    with torch.no_grad():
        tiny_model.net.id_hash.bias[0] += 1.0
    try:
        h = save_model(tmp_path / "m.pt", tiny_model.net, tiny_model.schema, {})
        assert h != tiny_model.hash
    finally:
        with torch.no_grad():
            tiny_model.net.id_hash.bias[0] -= 1.0


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/deepssh_pwned",))


def test_code_executing_pickle_is_refused(tmp_path):
    p = tmp_path / "evil.pt"
    with open(p, "wb") as f:
        pickle.dump({"format": "deepssh-model", "x": _Evil()}, f)
    with pytest.raises(CheckpointError, match="refused"):
        load_model(p)
    assert not os.path.exists("/tmp/deepssh_pwned")


@pytest.mark.parametrize("content,match", [
    (b"", "not a readable model"),
    (b"hello world, not a model", "not a readable model"),
])
def test_corrupt_files(tmp_path, content, match):
    p = tmp_path / "bad.pt"
    p.write_bytes(content)
    with pytest.raises(CheckpointError, match=match):
        load_model(p)


def test_truncated_foreign_and_future(tmp_path, tiny_model_path):
    data = tiny_model_path.read_bytes()
    (tmp_path / "trunc.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError):
        load_model(tmp_path / "trunc.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not a DeepSSH model"):
        load_model(tmp_path / "foreign.pt")
    obj = torch.load(tiny_model_path, weights_only=True)
    obj["format_version"] = 99
    torch.save(obj, tmp_path / "future.pt")
    with pytest.raises(CheckpointError, match="version 99"):
        load_model(tmp_path / "future.pt")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_model(tmp_path / "missing.pt")


def test_shipped_model_is_self_describing():
    if not SHIPPED_MODEL.exists():
        pytest.fail(f"the default model {SHIPPED_MODEL} must ship with the repository")
    assert SHIPPED_MODEL.stat().st_size <= 30 * 1024 * 1024
    m = load_model(SHIPPED_MODEL)
    assert m.config.nbits == 512 and m.config.ibn_after == (3, 6, 10) and m.schema.name == "peta"
    assert {"accuracy on cameras never trained on", "training data", "licence"} <= set(m.meta["card"])
    assert m.meta["command"].startswith("deepssh train")
    assert "val" in m.meta["history"][-1]
    assert m.config.backbone == "mobilenet_v2"
