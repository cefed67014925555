"""The FAISS indexes a gallery builds: flat, and IVF with its own centroid assignment."""

import numpy as np

from deepssh_gui.model.layout import hamming
from deepssh_gui.search.gallery import IVF_NPROBE, build_binary_index, nearest_centroids


def test_nearest_centroids_is_the_brute_force_argmin():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 256, (5000, 32), dtype=np.uint8)
    cents = rng.integers(0, 256, (37, 32), dtype=np.uint8)
    cents[5] = cents[9]  # a tie: the lower index wins, like numpy's argmin
    want = hamming(cents, codes).argmin(axis=0)
    assert np.array_equal(nearest_centroids(codes, cents, block=999), want)


def test_ivf_index_answers_like_faiss_own_add():
    import faiss

    rng = np.random.default_rng(1)
    base = rng.integers(0, 256, (300, 32), dtype=np.uint8)
    codes = base[rng.integers(0, 300, 20_000)] ^ np.packbits(rng.random((20_000, 256)) < 0.05, axis=1)
    ours = build_binary_index(codes, 256, ivf=True)
    theirs = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(256), 256, ours.nlist)
    theirs.quantizer.add(faiss.rev_swig_ptr(faiss.downcast_IndexBinary(ours.quantizer).xb.data(),
                                            ours.nlist * 32).copy().reshape(ours.nlist, 32))
    theirs.is_trained = True
    theirs.add(codes)
    theirs.nprobe = ours.nprobe = IVF_NPROBE
    q = codes[:50]
    d1, i1 = ours.search(q, 20)
    d2, i2 = theirs.search(q, 20)
    assert np.array_equal(d1, d2) and np.array_equal(i1, i2)
    assert ours.ntotal == len(codes)
