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
