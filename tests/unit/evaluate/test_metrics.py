import numpy as np
import pytest

from deepssh_gui.learn.datasets.base import Sample
from deepssh_gui.evaluate.metrics import f1_scores, map_cmc, mean_accuracy, rank
from deepssh_gui.evaluate.protocol import evaluate_subsets


def test_map_perfect_and_known_value():
    q = np.array([0])
    g = np.array([0, 1, 0, 1])
    # ranking: g0 (match), g1, g2 (match), g3 -> AP = (1/1 + 2/3) / 2
    dist = np.array([[0.0, 1.0, 2.0, 3.0]])
    mAP, cmc, n = map_cmc(dist, q, g)
    assert n == 1 and mAP == pytest.approx((1 + 2 / 3) / 2)
    assert cmc[0] == 1.0


def test_junk_removed_and_no_match_skipped():
    dist = np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]])
    junk = np.array([[True, False, False], [False, False, False]])
    mAP, cmc, n = map_cmc(dist, np.array([0, 5]), np.array([0, 1, 0]), junk)
    assert n == 1  # query id 5 has no match
    assert mAP == pytest.approx(0.5) and cmc[0] == 0 and cmc[1] == 1


def test_ties_are_broken_stably_and_bounded():
    dist = np.zeros((1, 4))
    assert rank(dist).tolist() == [[0, 1, 2, 3]]
    # with all distances tied, AP depends on the tie order but lies between its extremes
    mAP, _, _ = map_cmc(dist, np.array([1]), np.array([0, 0, 1, 0]))
    worst = 1 / 4
    assert worst <= mAP <= 1.0


def test_mean_accuracy_and_f1():
    labels = np.array([[1, 0, -1], [0, 0, 1], [1, 0, 0]], dtype=np.int8)
    pred = np.array([[1, 0, 1], [1, 0, 1], [1, 1, 0]], dtype=bool)
    mA, per = mean_accuracy(pred, labels)
    assert per[0] == pytest.approx((1.0 + 0.0) / 2)
    assert np.isnan(per[1])  # attribute 1 has no positives
    assert per[2] == pytest.approx(1.0)
    assert mA == pytest.approx(0.75)
    f1 = f1_scores(pred, labels)
    assert f1[0] == pytest.approx(2 * 2 / (2 * 2 + 1))


def test_protocol_junk_and_singletons():
    s = [Sample("a", "A/1", "A", "c1"), Sample("b", "A/1", "A", "c2"), Sample("c", "A/1", "A", "c1"),
         Sample("d", "A/2", "A", "c2"), Sample("e", "B/9", "B", None)]
    seen = {}

    def dist(q, g):
        seen["q"], seen["g"] = q.tolist(), g.tolist()
        return np.abs(np.arange(len(q))[:, None] - np.arange(len(g))[None, :]).astype(float)

    res, summary = evaluate_subsets(s, dist)
    assert [r.subset for r in res] == ["A"]  # B has only a singleton: no queries
    assert seen["q"] == [0, 1, 2] and seen["g"] == [0, 1, 2, 3]
    assert summary["n_queries"] == 3 and 0 < summary["mAP"] <= 1
    # per-query figures for paired comparisons: one AP per valid query, averaging to the mAP
    assert res[0].query_ids.tolist() == ["A/1"] * 3 and len(res[0].aps) == 3
    assert res[0].aps.mean() == pytest.approx(res[0].mAP)


def test_classic_protocol_on_a_known_distance():
    from deepssh_gui.evaluate.protocol import evaluate_classic
    from deepssh_gui.learn.datasets.base import Sample

    # 6 identities x 2 cameras (+ one identity seen by one camera only, never eligible)
    samples = [Sample(f"{p}{c}.png", f"S/{p}", "S", c) for p in range(6) for c in "ab"] + [Sample("x.png", "S/x", "S", "a")]
    feat = np.array([[float(i // 2)] for i in range(12)] + [[100.0]])

    def perfect(q, g):
        return np.abs(feat[q] - feat[g].T)

    res = evaluate_classic(samples, perfect, trials=3)["S"]
    assert res["n_ids"] == 6 and res["rank1"] == 1.0

    def all_tied(q, g):
        return np.zeros((len(q), len(g)))

    res = evaluate_classic(samples, all_tied, n_ids=4, trials=2)["S"]
    # everything ties: expected rank-1 under a random order is 1/4, rank-5 (>= gallery size) is 1
    assert res["n_ids"] == 4 and abs(res["rank1"] - 0.25) < 1e-9 and res["rank5"] == 1.0


def test_classic_protocol_skips_single_camera_subsets():
    from deepssh_gui.evaluate.protocol import evaluate_classic
    from deepssh_gui.learn.datasets.base import Sample

    samples = [Sample(f"{p}_{j}.png", f"T/{p}", "T", "one") for p in range(3) for j in range(2)]
    assert evaluate_classic(samples, lambda q, g: np.zeros((len(q), len(g)))) == {}
