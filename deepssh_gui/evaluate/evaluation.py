"""``deepssh evaluate``: the paper's experiments on our data, beside same-run baselines.

See ``docs/evaluation.md`` for the protocol. Everything here is numpy except the
encoding of images, which goes through the model and baselines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.calibration import expected_calibration_error
from ..model.encoder import bit_scores
from ..model.modelfile import ModelFile
from ..learn.datasets.base import SampleSet
from ..model.decoder import AttributeColumns, Decoder
from ..model.layout import hamming
from .analyst import analyst_report
from .metrics import cosine_distance, f1_scores, map_cmc, mean_accuracy
from ..common.progress import Progress, no_progress
from .protocol import evaluate_classic, evaluate_subsets, subset_indices
from ..search.query import AttributeQuery, Term, score_terms

CMC_RANKS = (1, 5, 10, 20)
DEFAULT_N_ATTRS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48)


@dataclass
class Methods:
    """Per-image representations of the evaluation set, one per method."""

    codes: np.ndarray  # uint8 (N, nbits//8), the model's binary codes
    features: np.ndarray  # float32 (N, C), the same network's pooled float features
    attr_scores: np.ndarray  # float32 (N, A), the classifier's (calibrated) probabilities
    bit_scores: np.ndarray  # float32 (N, A), read back from the code's attribute bits
    lsh: np.ndarray | None = None  # uint8 (N, nbits//8), ImageNet + LSH
    hsv: np.ndarray | None = None  # float32 (N, D), striped HSV histograms


def _hamming_fn(codes):
    return lambda q, g: hamming(codes[q], codes[g]).astype(np.float32)


def retrieval_report(samples, dist_fn, two_camera: bool = True) -> dict:
    """Per-subset and overall mAP/CMC; plus cam1->cam2 for subsets with exactly two cameras."""
    per, summary = evaluate_subsets(samples, dist_fn)
    out = {
        "mAP": summary["mAP"], "n_queries": summary["n_queries"],
        **{f"rank{r}": summary["cmc"][r - 1] if summary["cmc"] else float("nan") for r in CMC_RANKS},
        "cmc": summary["cmc"],
        "subsets": {r.subset: {"mAP": r.mAP, "n_queries": r.n_queries, "n_images": r.n_images,
                               **{f"rank{k}": float(r.cmc[k - 1]) for k in CMC_RANKS}} for r in per},
    }
    if two_camera:
        cross = cross_camera(samples, dist_fn)
        if cross:
            out["cam1_to_cam2"] = cross
        classic = evaluate_classic(samples, dist_fn)
        if classic:
            out["classic"] = classic
    return out


def cross_camera(samples, dist_fn) -> dict:
    """For subsets with exactly two cameras: queries from the first camera, gallery the second."""
    out = {}
    for subset, idx in subset_indices(samples).items():
        cams = sorted({samples[i].camera for i in idx if samples[i].camera})
        if len(cams) != 2:
            continue
        q = np.array([i for i in idx if samples[i].camera == cams[0]])
        g = np.array([i for i in idx if samples[i].camera == cams[1]])
        q_ids = np.array([samples[i].identity for i in q])
        g_ids = np.array([samples[i].identity for i in g])
        mAP, cmc, n = map_cmc(dist_fn(q, g), q_ids, g_ids)
        if n:
            out[subset] = {"cameras": f"{cams[0]}->{cams[1]}", "mAP": mAP, "n_queries": n,
                           **{f"rank{k}": float(cmc[k - 1]) for k in CMC_RANKS}}
    return out


def attribute_report(scores: np.ndarray, labels: np.ndarray, names: list[str]) -> dict:
    mA, per = mean_accuracy(scores >= 0.5, labels)
    f1 = f1_scores(scores >= 0.5, labels)
    return {"mA": mA, "per_attribute": {n: {"accuracy": _f(a), "f1": _f(f), "positives": int((labels[:, i] == 1).sum())}
                                        for i, (n, a, f) in enumerate(zip(names, per, f1))}}


def _f(x) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def semantic_report(samples, labels: np.ndarray, cols: AttributeColumns, decoder: Decoder,
                    n_attrs: tuple[int, ...] = DEFAULT_N_ATTRS, seed: int = 0, repeats: int = 1) -> dict:
    """Attribute-only queries built from each person's true attributes, as in the paper's figure.

    Within each subset, for every identity and each ``n``: draw ``n`` attributes (seeded)
    with the person's true yes/no values, rank the subset by masked Hamming distance, and
    record whether one of that person's images is ranked 1st / in the top 5, and the
    fraction of the top 10 whose *labels* satisfy every queried value (precision@10).
    Ties are broken by a fixed random permutation of the gallery so that file order does
    not favour anyone.
    """
    rng = np.random.default_rng(seed)
    a = labels.shape[1]
    ns = [n for n in n_attrs if n <= a] + ([a] if a not in n_attrs else [])
    acc = {n: {"rank1": [], "rank5": [], "precision_at_10": []} for n in ns}
    for subset, idx in subset_indices(samples).items():
        ids = np.array([samples[i].identity for i in idx])
        seg = cols.take(idx)
        lab = labels[idx]
        tie = rng.permutation(len(idx))
        for person in sorted(set(ids.tolist())):
            row = lab[np.flatnonzero(ids == person)[0]]
            known = np.flatnonzero(row >= 0)
            for n in ns:
                for _ in range(repeats):
                    pick = rng.choice(known, size=min(n, known.size), replace=False)
                    q = AttributeQuery(tuple(Term(str(i), (int(i),), negated=row[i] == 0) for i in pick))
                    dist = score_terms(q, seg, decoder).total
                    order = np.lexsort((tie, dist))
                    top = order[:10]
                    match = ids[order] == person
                    acc[n]["rank1"].append(bool(match[0]))
                    acc[n]["rank5"].append(bool(match[:5].any()))
                    sat = (lab[top][:, pick] == row[pick]).all(1)
                    acc[n]["precision_at_10"].append(float(sat.mean()))
    return {"n_attributes": ns,
            **{k: [float(np.mean(acc[n][k])) if acc[n][k] else None for n in ns]
               for k in ("rank1", "rank5", "precision_at_10")},
            "n_queries_per_point": len(acc[ns[0]]["rank1"]) if ns else 0}


def compute_methods(model: ModelFile, images: np.ndarray, baselines: bool = True,
                    progress: Progress = no_progress) -> Methods:
    from .baselines import hsv_stripe_histograms, imagenet_features, lsh_codes

    progress(0, 3, "encoding with the model")
    codes, scores, feats = model.encoder().encode(images, with_features=True)
    m = Methods(codes, feats, scores, bit_scores(codes, model.config))
    if baselines:
        progress(1, 3, "ImageNet + LSH baseline")
        m.lsh = lsh_codes(imagenet_features(images), model.config.nbits)
        progress(2, 3, "HSV histogram baseline")
        m.hsv = hsv_stripe_histograms(images)
    progress(3, 3, "done")
    return m


def evaluate(model: ModelFile, data: SampleSet, images: np.ndarray, baselines: bool = True,
             n_attrs: tuple[int, ...] = DEFAULT_N_ATTRS, progress: Progress = no_progress) -> dict:
    """The full report for one model on one evaluation set (``images`` aligned with ``data``)."""
    from .baselines import hellinger_distance

    m = compute_methods(model, images, baselines, progress)
    samples = data.samples
    report = {
        "model": {"name": model.name, "hash": model.hash, "nbits": model.config.nbits,
                  "bits_per_attr": model.config.bits_per_attr, "schema": model.schema.name},
        "n_images": len(samples), "n_identities": len({s.identity for s in samples}),
        "retrieval": {
            "binary_hamming": retrieval_report(samples, _hamming_fn(m.codes)),
            "float_cosine": retrieval_report(samples, lambda q, g: cosine_distance(m.features[q], m.features[g])),
        },
    }
    labelled = bool((data.labels >= 0).any())  # CUHK03 has identities only
    if labelled:
        report["attributes"] = attribute_report(m.bit_scores, data.labels, model.schema.names)
        report["attribute_probabilities"] = {
            **attribute_report(m.attr_scores, data.labels, model.schema.names),
            "calibrated": model.calibration is not None,
            "ece": expected_calibration_error(m.attr_scores, data.labels)}
    if baselines:
        report["retrieval"]["imagenet_lsh"] = retrieval_report(samples, _hamming_fn(m.lsh))
        report["retrieval"]["hsv_histogram"] = retrieval_report(
            samples, lambda q, g: hellinger_distance(m.hsv[q], m.hsv[g]))
    b = report["retrieval"]["binary_hamming"]["mAP"]
    f = report["retrieval"]["float_cosine"]["mAP"]
    report["targets"] = {"binary_over_float_mAP": b / f if f else None}
    if baselines:
        lsh = report["retrieval"]["imagenet_lsh"]["mAP"]
        report["targets"]["binary_over_lsh_mAP"] = b / lsh if lsh else None
    if model.decoder is not None and labelled:
        seg = AttributeColumns.from_codes(m.codes, model.config.layout)
        rec = model.decoder.reconstruction_accuracy(m.codes, data.labels)
        report["decoder_reconstruction"] = {"overall": rec["overall"], "yes": rec["yes"], "no": rec["no"]}
        report["semantic_queries"] = semantic_report(samples, data.labels, seg, model.decoder, n_attrs)
        analyst = analyst_report(model.schema, data.labels, m.codes, m.attr_scores, model.decoder)
        if analyst:
            report["analyst_queries"] = analyst
    return report
