import pytest

from deepssh_gui.learn.speed import bench_train


def test_bench_train_times_each_setting_against_fp32():
    res = bench_train(input_hw=(64, 32), batch_size=16, steps=1, repeats=1, settings=("fp32", "bf16+channels_last"))
    s = res["settings"]
    assert set(s) == {"fp32", "bf16+channels_last"}
    assert s["fp32"]["speedup_vs_fp32"] == 1.0
    assert s["bf16+channels_last"]["epoch_seconds"] > 0
    assert s["bf16+channels_last"]["speedup_vs_fp32"] == pytest.approx(
        s["fp32"]["epoch_seconds"] / s["bf16+channels_last"]["epoch_seconds"], rel=1e-2)


def test_bench_train_times_every_step_it_counts():
    # 13 batches of 16 need more crops than the 192 of a 48-identity set: every step is run and counted
    res = bench_train(input_hw=(64, 32), batch_size=16, steps=13, repeats=1, settings=("fp32",))
    assert res["steps"] == 13
    s = res["settings"]["fp32"]
    assert s["crops_per_s"] == pytest.approx(13 * 16 / s["epoch_seconds"], rel=0.05)


def test_bench_train_refuses_unknown_settings():
    with pytest.raises(ValueError, match="unknown settings"):
        bench_train(settings=("fp8",))
