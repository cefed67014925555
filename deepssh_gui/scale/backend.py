"""Where per-shard tasks run: in this process, or on a Dask cluster.

Both backends take the same list of tasks (a module-level function and its arguments, one task
per shard) and return every result or raise :class:`ShardTaskError` naming the shards that
failed: a search never returns a silently partial result. On a cluster each task is first sent
to the worker that holds its shard (``shard i -> worker i mod W``) so workers load their shards
once; if that worker dies, Dask runs the task elsewhere and the shard is loaded there.
"""

from __future__ import annotations

from typing import Any, Callable

from ..common.errors import DeepSSHError

DEFAULT_RETRIES = 1  # a task that raised is run once more (elsewhere when its worker died)


class ShardTaskError(DeepSSHError):
    """One or more shard tasks failed; ``failures`` maps shard name to the reason."""

    def __init__(self, what: str, failures: dict[str, str]) -> None:
        self.failures = failures
        listed = "; ".join(f"{k}: {v}" for k, v in sorted(failures.items()))
        super().__init__(f"{what} failed on {len(failures)} shard(s) ({listed}); nothing from them is included")


class InlineBackend:
    """Runs the tasks one after another in this process (no cluster)."""

    n_workers = 1
    description = "this process"

    def run(self, fn: Callable, tasks: list[tuple], names: list[str], what: str = "the search",
            on_done: Callable[[str, Any], None] | None = None, retries: int = 0) -> dict[str, Any]:
        out, failures = {}, {}
        for name, args in zip(names, tasks):
            try:
                out[name] = fn(*args)
            except DeepSSHError as exc:
                failures[name] = str(exc)
                continue
            if on_done:
                on_done(name, out[name])
        if failures:
            raise ShardTaskError(what, failures)
        return out

    def close(self) -> None:
        pass


class DaskBackend:
    """Runs the tasks on a Dask distributed cluster through ``client``."""

    def __init__(self, client, cluster=None, timeout_s: float | None = None) -> None:
        self.client, self.cluster, self.timeout_s = client, cluster, timeout_s
        self.address = client.scheduler.address  # kept: reports name the cluster after it is closed

    @property
    def workers(self) -> list[str]:
        return sorted(self.client.scheduler_info()["workers"])

    @property
    def n_workers(self) -> int:
        return len(self.workers)

    @property
    def description(self) -> str:
        running = self.client.status == "running"
        return f"Dask cluster at {self.address}" + (f" ({self.n_workers} workers)" if running else "")

    def run(self, fn: Callable, tasks: list[tuple], names: list[str], what: str = "the search",
            on_done: Callable[[str, Any], None] | None = None, retries: int = DEFAULT_RETRIES) -> dict[str, Any]:
        from distributed import as_completed

        workers = self.workers
        if not workers:
            raise DeepSSHError(f"{self.description} has no workers; nothing was run")
        futures = {}
        for i, (name, args) in enumerate(zip(names, tasks)):
            f = self.client.submit(fn, *args, pure=False, retries=retries, workers=[workers[i % len(workers)]],
                                   allow_other_workers=True, key=f"{fn.__name__}-{name}-{_token()}")
            futures[f] = name
        out, failures = {}, {}
        try:
            for f in as_completed(list(futures), timeout=self.timeout_s):
                name = futures[f]
                try:
                    out[name] = f.result()
                except Exception as exc:  # noqa: BLE001 - any task failure is reported by shard, never dropped
                    failures[name] = _reason(exc)
                    continue
                if on_done:
                    on_done(name, out[name])
        except TimeoutError:
            for f, name in futures.items():
                if name not in out and name not in failures:
                    failures[name] = f"no answer within {self.timeout_s:g} s"
                    f.cancel()
        if failures:
            raise ShardTaskError(what, failures)
        return out

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _token() -> str:
    import uuid

    return uuid.uuid4().hex[:12]


def _reason(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return "the workers running it died (the shard could not be loaded anywhere)"
    return str(exc) or name


def parse_cluster(text: str) -> tuple[str | None, str | None]:
    """``(cluster, scheduler)`` from one address as the GUI stores it: empty (this process),
    ``local:N`` (N >= 1 worker processes) or ``tcp://HOST:PORT``; anything else is refused."""
    text = text.strip()
    if not text:
        return None, None
    if text.startswith("tcp://"):
        return None, text
    kind, _, n = text.partition(":")
    if kind != "local" or not n.isdigit() or int(n) < 1:
        raise DeepSSHError(f"not a cluster address: {text!r}: expected local:N with N >= 1 worker processes, "
                           f"or tcp://HOST:PORT")
    return text, None


def connect(cluster: str | None = None, scheduler: str | None = None, timeout_s: float | None = None):
    """A backend: ``cluster="local:N"`` starts a LocalCluster of N worker processes; ``scheduler``
    (``tcp://HOST:8786``) joins an existing cluster; neither runs in this process."""
    if cluster and scheduler:
        raise DeepSSHError("give --cluster or --scheduler, not both")
    if not cluster and not scheduler:
        return InlineBackend()
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise DeepSSHError(f"a cluster needs Dask (pip install 'deepssh-gui[cluster]'): {exc}") from None
    if cluster:
        local, _ = parse_cluster(cluster)
        if local is None:
            raise DeepSSHError(f"--cluster {cluster!r}: expected local:N with N >= 1 worker processes "
                               f"(an existing cluster is --scheduler tcp://HOST:PORT)")
        # one thread per worker process: each answers one shard task at a time, no OpenMP contention
        lc = LocalCluster(n_workers=int(local.partition(":")[2]), threads_per_worker=1, processes=True,
                          dashboard_address=None)
        return DaskBackend(Client(lc), lc, timeout_s)
    try:
        return DaskBackend(Client(scheduler, timeout=30), None, timeout_s)
    except OSError as exc:
        raise DeepSSHError(f"cannot reach the Dask scheduler {scheduler!r}: {exc}") from None
