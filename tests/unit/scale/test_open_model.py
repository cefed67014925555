"""Galleries keep working after a new model ships: the bundled model they name is used."""

import pytest


def test_a_gallery_of_an_earlier_bundled_model_opens_with_that_model(small_gallery, tmp_path, monkeypatch):
    import torch

    from deepssh_gui.common import paths
    from deepssh_gui.learn.checkpoint import save_model
    from deepssh_gui.learn.network import DeepSSHNet, ModelConfig
    from deepssh_gui.model.modelfile import load_model_file
    from deepssh_gui.model.schema import PETA
    from deepssh_gui.scale.open import open_engine
    from deepssh_gui.search.gallery import GalleryError

    model, gallery = small_gallery  # built by `model`
    torch.manual_seed(7)
    newer = tmp_path / "newer.pt"
    save_model(newer, DeepSSHNet(ModelConfig(nbits=128, n_attrs=len(PETA), bits_per_attr=1, input_hw=(64, 32))),
               PETA, {}, load_model_file(model).decoder)
    monkeypatch.setattr(paths, "bundled_model_files", lambda: [newer, model])
    eng = open_engine(gallery, load_model_file(newer))
    try:
        assert eng.model.hash == load_model_file(model).hash
    finally:
        eng.close()
    monkeypatch.setattr(paths, "bundled_model_files", lambda: [newer])  # its model is not bundled: refused
    with pytest.raises(GalleryError, match="was built by model"):
        open_engine(gallery, load_model_file(newer))
