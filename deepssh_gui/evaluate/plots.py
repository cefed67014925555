"""PNG plots for evaluation reports (matplotlib with the Agg backend; no display needed)."""

from __future__ import annotations

from pathlib import Path

LABELS = {"binary_hamming": "DeepSSH binary (Hamming)", "float_cosine": "same network, float (cosine)",
          "imagenet_lsh": "ImageNet MobileNetV2 + LSH", "hsv_histogram": "striped HSV histogram"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _finish(plt, fig, ax, xlabel: str, ylabel: str, title: str, path) -> None:
    """Label a plot, then save and close it."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _finish_log2(plt, fig, ax, xs, xlabel: str, ylabel: str, title: str, path) -> None:
    """Like ``_finish`` for a plot whose x values double (1, 2, 4 ... or 128 ... 2048)."""
    ax.set_xscale("log", base=2)
    ax.set_xticks(xs)
    ax.set_xticklabels([str(x) for x in xs])
    _finish(plt, fig, ax, xlabel, ylabel, title, path)


def plot_cmc(report: dict, path: str | Path) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, r in report["retrieval"].items():
        cmc = r["cmc"]
        ax.plot(range(1, len(cmc) + 1), [100 * c for c in cmc], marker=".",
                label=f"{LABELS.get(key, key)} (mAP {100 * r['mAP']:.1f})")
    _finish(plt, fig, ax, "rank", "matching rate (%)",
            f"CMC, {report['model']['name']} on {report.get('dataset', '')} ({report['n_images']} images)", path)


def plot_semantic(report: dict, path: str | Path) -> None:
    sem = report.get("semantic_queries")
    if not sem:
        return
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    n = sem["n_attributes"]
    for key, label in (("rank1", "rank-1"), ("rank5", "rank-5"), ("precision_at_10", "attribute precision@10")):
        ax.plot(n, [100 * (v or 0) for v in sem[key]], marker="o", label=label)
    _finish_log2(plt, fig, ax, n, "number of attributes in the query", "%",
                 "Attribute-only queries built from a person's true attributes", path)


def plot_bits(rows: list[dict], path: str | Path) -> None:
    """``rows``: ``{"nbits", "binary_mAP", "float_mAP", "lsh_mAP"}`` per code length."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    bits = [r["nbits"] for r in rows]
    for key, label in (("binary_mAP", "DeepSSH binary"), ("lsh_mAP", "ImageNet + LSH"), ("float_mAP", "float (cosine)")):
        if all(r.get(key) is not None for r in rows):
            ax.plot(bits, [100 * r[key] for r in rows], marker="o", label=label)
    _finish_log2(plt, fig, ax, bits, "code length (bits)", "mAP (%)",
                 "mAP against code length (PETA validation split)", path)
