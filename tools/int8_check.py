"""Would an int8 graph make encoding faster (issue #20: `bench-encode` >= 500 crops/s)?

usage: .venv/bin/python tools/int8_check.py MODEL   (from the repository root, with ../shared present)

Quantises the model file's fp32 ONNX graph statically with onnxruntime (QDQ, weights int8 per
channel, activations int8; convolutions and matrix products), calibrated on 256 crops of PETA
training subsets, then prints the bit agreement with the fp32 graph on 512 GRID/PRID crops and
the crops per second of both graphs, alternated three times in one run, 2 threads, batch 64.
Writes only under a temporary folder; the model file is not changed.
"""

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

from deepssh_gui.learn.datasets import load_dataset
from deepssh_gui.learn.train import preload_images
from deepssh_gui.model.modelfile import load_model_file


class Batches(CalibrationDataReader):
    def __init__(self, images: np.ndarray, size: int = 32) -> None:
        self.it = iter([{"images": images[i:i + size]} for i in range(0, len(images), size)])

    def get_next(self):
        return next(self.it, None)


def session(path: Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = 2, 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def relaxed_codes(s: ort.InferenceSession, images: np.ndarray) -> np.ndarray:
    return np.concatenate([s.run(["code"], {"images": images[i:i + 64]})[0] for i in range(0, len(images), 64)])


def main(path: str) -> None:
    m = load_model_file(path)
    peta = "../shared/data/peta"
    cal = load_dataset("peta", peta, ["CUHK", "MIT", "i-LID"])
    pick = np.random.default_rng(0).choice(len(cal), 256, replace=False)
    cal_imgs, ok = preload_images([cal.paths[i] for i in pick], m.config.input_hw)
    test = load_dataset("peta", peta, ["GRID", "PRID"])
    imgs, tok = preload_images(test.paths[:512], m.config.input_hw)
    cal_imgs, imgs = cal_imgs[ok], imgs[tok]
    with tempfile.TemporaryDirectory() as tmp:
        fp32, pre, int8 = (Path(tmp) / n for n in ("fp32.onnx", "pre.onnx", "int8.onnx"))
        fp32.write_bytes(m.onnx)
        quant_pre_process(str(fp32), str(pre))
        quantize_static(str(pre), str(int8), Batches(cal_imgs), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=["Conv", "Gemm", "MatMul"])
        sessions = {"fp32": session(fp32), "int8": session(int8)}
        bits = {k: relaxed_codes(s, imgs) > 0 for k, s in sessions.items()}
        agree = (bits["fp32"] == bits["int8"]).mean(0)
        a = m.config.layout.n_attr_bits
        print(f"bit agreement with fp32 on {len(imgs)} crops: all {agree.mean():.4f}, attribute bits "
              f"{agree[:a].mean():.4f}, identity bits {agree[a:].mean():.4f}")
        speed = {k: [] for k in sessions}
        for _ in range(3):
            for k, s in sessions.items():
                t = time.perf_counter()
                relaxed_codes(s, imgs)
                speed[k].append(len(imgs) / (time.perf_counter() - t))
    print("crops/s:", {k: [round(v, 1) for v in x] for k, x in speed.items()},
          "int8 / fp32 per round:", [round(b / f, 2) for f, b in zip(speed["fp32"], speed["int8"])])


if __name__ == "__main__":
    main(sys.argv[1])
