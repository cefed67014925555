"""Training on a tiny synthetic set: determinism, resume and clean interruption."""

import numpy as np
import pytest
import torch

from deepssh_gui.learn.checkpoint import load_model
from deepssh_gui.learn.datasets.base import Sample, SampleSet
from deepssh_gui.model.schema import PETA
from deepssh_gui.learn.train import TrainConfig, train
from tests.conftest import write_png


@pytest.fixture()
def tiny_set(tmp_path):
    samples, rows = [], []
    rng = np.random.default_rng(0)
    for pid in range(6):
        row = (rng.random(len(PETA)) < 0.3).astype(np.int8)
        for j in range(4):
            p = write_png(tmp_path / "img" / f"{pid}_{j}.png", (40 * pid, 255 - 40 * pid, 120), seed=pid * 10 + j)
            samples.append(Sample(str(p), f"T/{pid}", "T", f"c{j % 2}"))
            rows.append(row)
    return SampleSet(PETA, samples, np.stack(rows))


def _cfg(tmp_path, name, epochs):
    return TrainConfig(out=str(tmp_path / name / "m.pt"), nbits=128, input_hw=(64, 32), epochs=epochs,
                       batch_size=8, max_steps_per_epoch=2, val_every=0, seed=3)


def _weights(path):
    return load_model(path).net.state_dict()


def test_deterministic_and_resume_matches_uninterrupted(tmp_path, tiny_set):
    quiet = lambda s: None  # noqa: E731
    a = train(_cfg(tmp_path, "a", 2), tiny_set, print_fn=quiet)
    b = train(_cfg(tmp_path, "b", 2), tiny_set, print_fn=quiet)
    assert a.epochs_done == b.epochs_done == 2
    wa, wb = _weights(tmp_path / "a" / "m.pt"), _weights(tmp_path / "b" / "m.pt")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    # one epoch, then a second run of the same command with epochs=2 resumes
    train(_cfg(tmp_path, "c", 1), tiny_set, print_fn=quiet)
    msgs = []
    c = train(_cfg(tmp_path, "c", 2), tiny_set, print_fn=msgs.append)
    assert any("resuming after epoch 1" in m for m in msgs) and c.epochs_done == 2
    wc = _weights(tmp_path / "c" / "m.pt")
    assert all(torch.equal(wa[k], wc[k]) for k in wa)
    assert len((tmp_path / "c" / "m.log").read_text().splitlines()) == 2


def test_filling_fresh_memory_changes_no_weight(tmp_path, tiny_set):
    cfg = TrainConfig(out=str(tmp_path / "fast" / "m.pt"), nbits=128, input_hw=(64, 32), epochs=1, batch_size=8,
                      max_steps_per_epoch=2, val_every=0, seed=3, pk=(2, 4), w_triplet=1.0, ibn_after=(3,),
                      stripes=2, mixstyle_after=(3,))
    train(cfg, tiny_set, print_fn=lambda s: None)
    assert torch.utils.deterministic.fill_uninitialized_memory is False
    train(TrainConfig(**{**cfg.__dict__, "out": str(tmp_path / "filled" / "m.pt")}), tiny_set, print_fn=lambda s: None,
          fill_fresh_memory=True)
    assert torch.utils.deterministic.fill_uninitialized_memory is True
    fast, filled = _weights(tmp_path / "fast" / "m.pt"), _weights(tmp_path / "filled" / "m.pt")
    assert all(torch.equal(fast[k], filled[k]) for k in fast)


def test_interrupt_keeps_last_checkpoint(tmp_path, tiny_set):
    cfg = _cfg(tmp_path, "i", 3)
    train(TrainConfig(**{**cfg.__dict__, "epochs": 1}), tiny_set, print_fn=lambda s: None)
    before = (tmp_path / "i" / "m.pt").read_bytes()
    calls = {"n": 0}

    def progress(done, total, msg=""):
        calls["n"] += 1
        if "epoch 2" in msg:
            raise KeyboardInterrupt

    res = train(cfg, tiny_set, progress=progress, print_fn=lambda s: None)
    assert res.interrupted and res.epochs_done == 1
    assert (tmp_path / "i" / "m.pt").read_bytes() == before
    assert not list((tmp_path / "i").glob(".*.tmp"))
    assert load_model(tmp_path / "i" / "m.pt").meta["epoch"] == 1


def test_resume_with_other_arguments_is_refused(tmp_path, tiny_set):
    from deepssh_gui.common.errors import CheckpointError

    train(_cfg(tmp_path, "r", 1), tiny_set, print_fn=lambda s: None)
    other = TrainConfig(**{**_cfg(tmp_path, "r", 2).__dict__, "lr": 0.5})
    with pytest.raises(CheckpointError, match="different training arguments"):
        train(other, tiny_set, print_fn=lambda s: None)


def _recipe_cfg(tmp_path, name, epochs):
    return TrainConfig(out=str(tmp_path / name / "m.pt"), nbits=128, input_hw=(64, 32), epochs=epochs,
                       batch_size=10, max_steps_per_epoch=2, val_every=0, seed=5, ibn_after=(3, 6),
                       color_jitter=0.3, pk=(2, 4), w_triplet=1.0)


def test_generalisation_recipe_trains_resumes_and_exports(tmp_path, tiny_set):
    """P x K batches, triplet loss, colour jitter and IBN blocks: deterministic, resumable, and
    the saved model's ONNX graph (with instance norm) gives the torch network's codes."""
    from deepssh_gui.learn.encode import TorchEncoder
    from deepssh_gui.learn.network import IBNBlock
    from deepssh_gui.model.layout import unpack_bits
    from deepssh_gui.model.modelfile import load_model_file

    quiet = lambda s: None  # noqa: E731
    res = train(_recipe_cfg(tmp_path, "a", 2), tiny_set, print_fn=quiet)
    assert res.history[-1]["triplet"] >= 0 and "triplet" in res.history[0]
    train(_recipe_cfg(tmp_path, "b", 1), tiny_set, print_fn=quiet)
    train(_recipe_cfg(tmp_path, "b", 2), tiny_set, print_fn=quiet)
    wa, wb = _weights(tmp_path / "a" / "m.pt"), _weights(tmp_path / "b" / "m.pt")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    m = load_model(tmp_path / "a" / "m.pt")
    assert m.config.ibn_after == (3, 6) and isinstance(m.net.features[3], IBNBlock)
    assert any("ibn_norm" in k for k in wa)
    imgs = np.random.default_rng(1).integers(0, 255, (12, 64, 32, 3), dtype=np.uint8)
    c_onnx, _, _ = load_model_file(tmp_path / "a" / "m.pt").encoder().encode(imgs)
    c_torch, _, _ = TorchEncoder(m).encode(imgs)
    assert (unpack_bits(c_onnx) == unpack_bits(c_torch)).mean() >= 0.995


def test_triplet_needs_pk_batches(tmp_path, tiny_set):
    cfg = TrainConfig(**{**_recipe_cfg(tmp_path, "x", 1).__dict__, "pk": (0, 0)})
    with pytest.raises(ValueError, match="identity-balanced"):
        train(cfg, tiny_set, print_fn=lambda s: None)


def test_frozen_blocks_keep_imagenet_weights_but_ibn_norms_learn(tmp_path, tiny_set):
    quiet = lambda s: None  # noqa: E731
    cfg = _recipe_cfg(tmp_path, "f", 1)
    train(cfg, tiny_set, print_fn=quiet)
    from deepssh_gui.learn.network import DeepSSHNet

    init = DeepSSHNet(load_model(cfg.out).config, pretrained=True).state_dict()
    trained = _weights(cfg.out)
    stem = "features.0.0.weight"
    assert torch.equal(init[stem], trained[stem])  # frozen (freeze_blocks=4 covers block 0)
    ibn = "features.3.ibn_norm.weight"
    assert not torch.equal(init[ibn], trained[ibn])  # inside a frozen block, yet trained


def test_similarity_preservation_is_zero_when_code_affinities_equal_feature_cosines():
    from torch import nn

    from deepssh_gui.learn.train import similarity_preservation

    torch.manual_seed(0)
    bn = nn.BatchNorm1d(16).eval()  # running stats: mean 0, var 1
    feat = torch.randn(6, 16)
    matching = torch.nn.functional.normalize(feat, dim=1) * 4.0  # h . h / 16 == cosine
    assert float(similarity_preservation(matching, feat, bn)) == pytest.approx(0.0, abs=1e-6)
    h = torch.randn(6, 16, requires_grad=True)
    feat.requires_grad_(True)
    loss = similarity_preservation(h, feat, bn)
    assert float(loss.detach()) > 0.01
    loss.backward()
    assert h.grad is not None and h.grad.abs().sum() > 0
    assert feat.grad is None  # the float feature is the teacher: no gradient flows into it


def test_transfer_recipe_bf16_stripes_mixstyle_resumes_and_exports(tmp_path, tiny_set):
    """bf16 autocast, channels-last, region pooling, MixStyle and labelled extras: deterministic,
    resumable, and the ONNX graph (fp32) gives the torch network's codes."""
    from deepssh_gui.learn.encode import TorchEncoder
    from deepssh_gui.model.layout import unpack_bits
    from deepssh_gui.model.modelfile import load_model_file

    def cfg(name, epochs):
        return TrainConfig(**{**_recipe_cfg(tmp_path, name, epochs).__dict__, "precision": "bf16", "stripes": 2,
                              "mixstyle_after": (2, 4), "mixstyle_p": 1.0, "extra_labelled": True})

    quiet = lambda s: None  # noqa: E731
    train(cfg("a", 2), tiny_set, print_fn=quiet)
    train(cfg("b", 1), tiny_set, print_fn=quiet)
    train(cfg("b", 2), tiny_set, print_fn=quiet)
    wa, wb = _weights(tmp_path / "a" / "m.pt"), _weights(tmp_path / "b" / "m.pt")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    m = load_model(tmp_path / "a" / "m.pt")
    assert m.config.stripes == 2 and m.net.attr_head.in_features == 3 * 1280
    assert not m.net.features[2]._forward_hooks  # MixStyle is a training-time hook only
    imgs = np.random.default_rng(1).integers(0, 255, (12, 64, 32, 3), dtype=np.uint8)
    c_onnx, _, f_onnx = load_model_file(tmp_path / "a" / "m.pt").encoder().encode(imgs, with_features=True)
    c_torch, _, _ = TorchEncoder(m).encode(imgs)
    assert f_onnx.shape == (12, 3 * 1280)
    assert (unpack_bits(c_onnx) == unpack_bits(c_torch)).mean() >= 0.995
    # a bf16 run is a different computation: it must not resume an fp32 state
    from deepssh_gui.common.errors import CheckpointError

    with pytest.raises(CheckpointError, match="different training arguments"):
        train(TrainConfig(**{**cfg("a", 3).__dict__, "precision": "fp32"}), tiny_set, print_fn=quiet)


def test_mixstyle_mixes_statistics_only_in_training():
    from deepssh_gui.learn.network import MixStyle

    torch.manual_seed(0)
    block = torch.nn.Identity()
    x = torch.randn(6, 4, 5, 3) * torch.arange(1, 7).view(6, 1, 1, 1)
    mix = MixStyle(p=1.0, alpha=0.1)
    block.train()
    y = mix(block, (x,), x)
    assert y.shape == x.shape and not torch.allclose(y, x)
    # contents are kept: each channel of each image is an affine map of the input
    corr = torch.corrcoef(torch.stack([x[0, 0].flatten(), y[0, 0].flatten()]))[0, 1]
    assert corr > 0.999
    block.eval()
    assert mix(block, (x,), x) is None  # the hook leaves evaluation untouched


def test_labelled_extras_come_from_labelled_crops(tiny_set):
    from deepssh_gui.learn.sampler import PKSampler

    labels = tiny_set.labels.copy()
    labels[:12] = -1  # identities 0-2 are identity-only
    data = SampleSet(PETA, tiny_set.samples, labels)
    s = PKSampler(data, 2, 2, extra=30, extra_labelled=True)
    idx = s.batch(torch.Generator().manual_seed(0)).numpy()
    assert (idx[4:] >= 12).all()
    with pytest.raises(ValueError, match="none"):
        PKSampler(SampleSet(PETA, tiny_set.samples, np.full_like(labels, -1)), 2, 2, extra=3, extra_labelled=True)


def test_attribute_consistency_pulls_each_identity_to_its_own_consensus():
    from deepssh_gui.learn.train import attribute_consistency

    torch.manual_seed(0)
    same = torch.randn(3, 1, 5).expand(3, 4, 5).reshape(12, 5)  # 3 identities x 4 crops, equal within each
    assert float(attribute_consistency(same, 3, 4)) == pytest.approx(0.0, abs=1e-6)
    logits = torch.randn(12, 5, requires_grad=True)
    loss = attribute_consistency(logits, 3, 4)
    assert float(loss.detach()) > 0
    loss.backward()
    # one gradient step moves every crop's probability towards its identity's mean, not elsewhere
    with torch.no_grad():
        before = torch.sigmoid(logits).reshape(3, 4, 5)
        after = torch.sigmoid(logits - 5.0 * logits.grad).reshape(3, 4, 5)
        mean = before.mean(1, keepdim=True)
        assert ((after - mean).abs() < (before - mean).abs() + 1e-7).all()
        # identities do not mix: each identity's gradient depends only on its own crops
        other = logits.detach().clone()
        other[4:] = torch.randn(8, 5)
    g = other.requires_grad_(True)
    attribute_consistency(g, 3, 4).backward()
    assert torch.allclose(g.grad[:4], logits.grad[:4])


def test_attribute_consistency_trains_logs_and_needs_pk(tmp_path, tiny_set):
    labels = tiny_set.labels.copy()
    labels[:12] = -1  # identity-only sources: the consistency loss is their only attribute signal
    data = SampleSet(PETA, tiny_set.samples, labels)
    cfg = TrainConfig(**{**_recipe_cfg(tmp_path, "c", 1).__dict__, "w_attr_consist": 1.0})
    res = train(cfg, data, print_fn=lambda s: None)
    assert res.history[-1]["consist"] > 0
    assert load_model(cfg.out).meta["train_config"]["w_attr_consist"] == 1.0
    assert "w_attr_consist" not in _recipe_cfg(tmp_path, "d", 1).arch_key()  # states written before it resume
    with pytest.raises(ValueError, match="identity-balanced"):
        train(TrainConfig(**{**cfg.__dict__, "pk": (0, 0), "w_triplet": 0.0}), data, print_fn=lambda s: None)
