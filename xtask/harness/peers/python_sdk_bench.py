"""Sequential get-job calls with the official Genesys Python SDK.

Usage: python_sdk_bench.py BASE_URL CLIENT_ID CLIENT_SECRET JOB_ID N RUNS

Logs in with client credentials (outside the timed loops), warms up, then
times RUNS loops of N sequential get-job calls inside this process and prints
one JSON line: {"sdk": ..., "version": ..., "n": N, "rps": [...]}.
"""
import json
import sys
import time

import PureCloudPlatformClientV2 as gc
from PureCloudPlatformClientV2.rest import ApiException  # noqa: F401


def main():
    base, cid, secret, job_id, n, runs = sys.argv[1:7]
    n, runs = int(n), int(runs)
    api_client = gc.api_client.ApiClient(base).get_client_credentials_token(cid, secret)
    api = gc.InfrastructureAsCodeApi(api_client)
    for _ in range(min(50, n)):
        api.get_infrastructureascode_job(job_id)
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(n):
            job = api.get_infrastructureascode_job(job_id)
        elapsed = time.perf_counter() - start
        assert job.id == job_id
        rates.append(n / elapsed)
    version = getattr(gc, "__version__", None)
    if version is None:
        try:
            from importlib.metadata import version as v
            version = v("PureCloudPlatformClientV2")
        except Exception:  # noqa: BLE001
            version = "unknown"
    print(json.dumps({"sdk": "python", "version": version, "n": n, "rps": rates}))


if __name__ == "__main__":
    main()
