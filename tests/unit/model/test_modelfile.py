"""Model files read without torch, their ONNX graph, and the runtime encoder's parity with torch."""

import io
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from deepssh_gui.common.errors import CheckpointError
from deepssh_gui.model.modelfile import MAX_INFLATED_BYTES, load_model_file
from tests.conftest import ROOT, SHIPPED_MODEL, need


def test_reader_matches_torch_loader_without_importing_torch(tiny_model_path, tiny_model):
    code = ("import sys; from deepssh_gui.model.modelfile import load_model_file; "
            f"m = load_model_file({str(tiny_model_path)!r}); "
            "print(m.hash, m.config.nbits, len(m.schema), len(m.onnx) > 1000, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout.split()
    assert out == [tiny_model.hash, "128", "57", "True", "False"]


def test_onnx_and_torch_codes_agree(tiny_model, tiny_model_file):
    from deepssh_gui.learn.encode import TorchEncoder
    from deepssh_gui.model.layout import unpack_bits

    rng = np.random.default_rng(0)
    h, w = tiny_model.config.input_hw
    # smooth images, like crops, rather than pure noise
    base = rng.integers(0, 255, (40, h // 8, w // 8, 3)).astype(np.uint8)
    imgs = np.ascontiguousarray(base.repeat(8, axis=1).repeat(8, axis=2))
    c1, s1, f1 = tiny_model_file.encoder().encode(imgs, with_features=True)
    c2, s2, f2 = TorchEncoder(tiny_model).encode(imgs, with_features=True)
    assert c1.shape == c2.shape == (40, 16) and c1.dtype == np.uint8
    assert (unpack_bits(c1) == unpack_bits(c2)).mean() >= 0.995
    assert ((s1 >= 0.5) == (s2 >= 0.5)).mean() >= 0.995
    np.testing.assert_allclose(f1, f2, rtol=1e-3, atol=1e-4)


def test_encoder_refuses_wrong_input(tiny_model_file):
    with pytest.raises(ValueError, match="expected uint8"):
        tiny_model_file.encoder().encode(np.zeros((2, 10, 10, 3), np.uint8))


def test_the_onnx_graph_is_covered_by_the_hash(tiny_model_path, tmp_path, tiny_model):
    from deepssh_gui.learn.checkpoint import save_model

    other = tmp_path / "o.pt"
    graph = bytearray(tiny_model.onnx)
    graph[-1] ^= 1  # one flipped byte in the graph: a different model
    h = save_model(other, tiny_model.net, tiny_model.schema, {}, onnx=bytes(graph))
    assert h != tiny_model.hash and load_model_file(other).hash == h


def test_older_file_without_graph_says_how_to_upgrade(tmp_path, tiny_model):
    import torch

    from deepssh_gui.learn.checkpoint import load_model, upgrade_with_onnx

    path = tmp_path / "old.pt"
    obj = torch.load(tiny_model.path, weights_only=True)
    obj.pop("onnx")
    torch.save(obj, path)
    old = load_model_file(path)
    assert old.onnx is None
    with pytest.raises(CheckpointError, match="deepssh export-onnx --model"):
        old.encoder()
    before, after = upgrade_with_onnx(path)
    assert before == old.hash and after != before
    up = load_model_file(path)
    assert up.hash == after and up.meta["previous_hashes"] == [before]
    assert load_model(path).hash == after


def test_code_in_the_pickle_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("owned",))

    p = tmp_path / "evil.pt"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"format": "deepssh-model", "x": Evil()}, protocol=2))
        z.writestr("archive/byteorder", "little")
    p.write_bytes(buf.getvalue())
    with pytest.raises(CheckpointError, match="refused.*print is not allowed"):
        load_model_file(p)


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    p = tmp_path / "bomb.pt"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/data.pkl", pickle.dumps({}, protocol=2))
        chunk = b"\0" * (1 << 24)
        with z.open("archive/data/0", "w", force_zip64=True) as f:
            for _ in range(MAX_INFLATED_BYTES // len(chunk) + 1):
                f.write(chunk)
    assert p.stat().st_size < 5 * 2**20
    with pytest.raises(CheckpointError, match="refused before unpacking"):
        load_model_file(p)


@pytest.mark.parametrize("content", [b"", b"junk", b"PK\x03\x04broken"])
def test_damaged_files_are_clear_errors(tmp_path, content):
    p = tmp_path / "m.pt"
    p.write_bytes(content)
    with pytest.raises(CheckpointError):
        load_model_file(p)


@pytest.mark.shared
def test_shipped_model_parity_on_real_crops():
    """The shipped model's ONNX and torch codes on real PETA crops (the issue's >= 99.5% bar)."""
    from deepssh_gui.common.imageio import load_crop
    from deepssh_gui.learn.checkpoint import load_model
    from deepssh_gui.learn.encode import TorchEncoder
    from deepssh_gui.learn.datasets import load_peta
    from deepssh_gui.model.layout import unpack_bits
    from tests.conftest import PETA_ROOT

    data = load_peta(need(PETA_ROOT), ["PRID"])
    mf = load_model_file(need(SHIPPED_MODEL))
    imgs = np.stack([load_crop(p, mf.config.input_hw) for p in data.paths[:96]])
    c1, s1, _ = mf.encoder().encode(imgs)
    c2, s2, _ = TorchEncoder(load_model(SHIPPED_MODEL)).encode(imgs)
    assert (unpack_bits(c1) == unpack_bits(c2)).mean() >= 0.995
    assert ((s1 >= 0.5) == (s2 >= 0.5)).mean() >= 0.995
