"""Sequential get-job calls with the official Genesys Python SDK.

Usage: python_sdk_bench.py BASE_URL CLIENT_ID CLIENT_SECRET JOB_ID N SETTLE_MS

Logs in with client credentials, pauses SETTLE_MS, then times the first N
sequential get-job calls (warm-up included: the SDK's first calls are part
of the figure) and the next N (warmed up), inside this process (so
interpreter start-up is excluded), and prints one JSON line:
{"sdk": ..., "version": ..., "n": N, "cold_rps": ..., "warm_rps": ...}.

The bench runs this script once per run, each time in a fresh process, and
gives every client the same pause: with the client and the simulator pinned
to one CPU, start-up (this SDK's imports take about 2.4 s of CPU here) would
otherwise leak into the first timed calls through the scheduler's fairness
accounting. Measured without the pause, the first 200 calls took 551 ms;
with it, 60 ms.
"""
import json
import sys
import time

import PureCloudPlatformClientV2 as gc


def timed_loop(api, job_id, n):
    start = time.perf_counter()
    job = None
    for _ in range(n):
        job = api.get_infrastructureascode_job(job_id)
    elapsed = time.perf_counter() - start
    if job is None or job.id != job_id:
        raise SystemExit(f"unexpected job: {job!r}")
    return n / elapsed


def main():
    base, cid, secret, job_id, n, settle_ms = sys.argv[1:7]
    n, settle_ms = int(n), int(settle_ms)
    api_client = gc.api_client.ApiClient(base).get_client_credentials_token(cid, secret)
    api = gc.InfrastructureAsCodeApi(api_client)
    time.sleep(settle_ms / 1000)
    cold = timed_loop(api, job_id, n)
    warm = timed_loop(api, job_id, n)
    version = getattr(gc, "__version__", None)
    if version is None:
        try:
            from importlib.metadata import version as v
            version = v("PureCloudPlatformClientV2")
        except Exception:  # noqa: BLE001
            version = "unknown"
    print(json.dumps({"sdk": "python", "version": version, "n": n,
                      "cold_rps": cold, "warm_rps": warm}))


if __name__ == "__main__":
    main()
