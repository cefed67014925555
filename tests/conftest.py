"""Shared fixtures: tiny random-weight models, tiny image folders, and the ../shared data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DEEPSSH_SHARED", ROOT.parent / "shared"))
PETA_ROOT = SHARED / "data" / "peta"
MARKET_MAT = SHARED / "data" / "market1501-attribute" / "market_attribute.mat"
DUKE_MAT = SHARED / "data" / "dukemtmc-attribute" / "duke_attribute.mat"
VIDEO = SHARED / "data" / "video" / "vtest.avi"
SHIPPED_MODEL = ROOT / "models" / "deepssh_mix_ibn_512_192.pt"


def need(path: Path) -> Path:
    """Skip the calling test with a clear reason when development data is absent."""
    if not path.exists():
        pytest.skip(f"development data {path} is absent (../shared is only on developer machines)")
    return path


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    os.environ["DEEPSSH_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["DEEPSSH_DATA"] = str(tmp_path_factory.mktemp("data"))  # the demo-gallery copy
    import torch

    torch.set_num_threads(min(2, os.cpu_count() or 1))


def write_png(path: Path, rgb: tuple[int, int, int], size=(40, 80), seed: int = 0) -> Path:
    from PIL import Image

    rng = np.random.default_rng(seed)
    arr = np.clip(np.array(rgb)[None, None, :] + rng.integers(-20, 20, (size[1], size[0], 3)), 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return path


@pytest.fixture()
def crops_dir(tmp_path) -> Path:
    """Eight small coloured crops in two folders."""
    d = tmp_path / "crops"
    for i in range(8):
        write_png(d / ("a" if i < 4 else "b") / f"{i:04d}_c{i % 2 + 1}s1_000001_01.png",
                  (200 * (i % 2), 40 * i, 255 - 30 * i), seed=i)
    return d


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    """A random-weight 128-bit PETA-schema model at 64x32 input, saved as a real checkpoint."""
    import torch

    from deepssh_gui.learn.checkpoint import save_model
    from deepssh_gui.learn.network import DeepSSHNet, ModelConfig
    from deepssh_gui.model.schema import PETA

    torch.manual_seed(0)
    net = DeepSSHNet(ModelConfig(nbits=128, n_attrs=len(PETA), bits_per_attr=1, input_hw=(64, 32)), pretrained=False)
    net.eval()
    path = tmp_path_factory.mktemp("model") / "tiny.pt"
    save_model(path, net, PETA, {"command": "test fixture"})
    return path


@pytest.fixture(scope="session")
def tiny_model(tiny_model_path):
    from deepssh_gui.learn.checkpoint import load_model

    return load_model(tiny_model_path)


@pytest.fixture(scope="session")
def tiny_model_file(tiny_model_path):
    """The tiny model as the runtime sees it: read without torch, encoding on onnxruntime."""
    from deepssh_gui.model.modelfile import load_model_file

    return load_model_file(tiny_model_path)


@pytest.fixture()
def model_with_decoder(tiny_model_path, tmp_path):
    """The tiny model saved again with a decoder, so attribute queries work."""
    from deepssh_gui.learn.checkpoint import load_model, save_model
    from deepssh_gui.model.decoder import Decoder

    m = load_model(tiny_model_path)
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 256, (64, m.config.nbits // 8), dtype=np.uint8)
    labels = (rng.random((64, len(m.schema))) < 0.3).astype(np.int8)
    dec = Decoder.fit(codes, labels, m.config.layout)
    path = tmp_path / "m.pt"
    save_model(path, m.net, m.schema, {"command": "test"}, dec, onnx=m.onnx)
    return path


@pytest.fixture()
def small_gallery(model_with_decoder, crops_dir, tmp_path):
    """``(model path, gallery path)``: the 8 tiny crops encoded by the tiny model."""
    from deepssh_gui.learn.checkpoint import load_model
    from deepssh_gui.search.gallery import Gallery
    from deepssh_gui.ingest.build import build_from_images

    m = load_model(model_with_decoder)
    with Gallery.create(tmp_path / "gallery", m) as g:
        build_from_images(g, m, str(crops_dir))
    return model_with_decoder, tmp_path / "gallery"
