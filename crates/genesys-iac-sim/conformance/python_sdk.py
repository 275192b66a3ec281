#!/usr/bin/env python3
"""Conformance of the simulator with the official Genesys Cloud Python SDK.

Usage: python_sdk.py BASE_URL [CLIENT_ID CLIENT_SECRET]

Uses `purecloudplatformclientv2` unmodified. Any failure here is a simulator
bug: the simulator must look like the service to the official SDKs.
"""

import sys
import time

import PureCloudPlatformClientV2 as gc
from PureCloudPlatformClientV2.rest import ApiException

CHECKS = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    if condition:
        CHECKS["passed"] += 1
        print(f"ok   {name}")
    else:
        CHECKS["failed"] += 1
        print(f"FAIL {name} {detail}")


def expect_api_exception(name, status, call):
    try:
        call()
    except ApiException as e:
        check(f"{name}: ApiException {status}", e.status == status, f"got {e.status}: {e.body}")
        headers = dict((k.lower(), v) for k, v in (e.headers or {}).items())
        check(f"{name}: correlation header", "inin-correlation-id" in headers, str(headers))
        return e
    check(f"{name}: ApiException {status}", False, "no exception raised")
    return None


def wait_terminal(api, job_id, timeout=30.0):
    terminal = {"Complete", "Failed", "Incomplete", "InternalError", "RollbackFailed", "RollbackComplete"}
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        job = api.get_infrastructureascode_job(job_id, details=True)
        if not seen or seen[-1] != job.status:
            seen.append(job.status)
        if job.status in terminal:
            return job, seen
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} did not end: {seen}")
        time.sleep(0.05)


def main():
    base_url = sys.argv[1]
    client_id = sys.argv[2] if len(sys.argv) > 2 else "sim-client"
    client_secret = sys.argv[3] if len(sys.argv) > 3 else "sim-secret"

    gc.configuration.host = base_url
    api_client = gc.api_client.ApiClient(host=base_url).get_client_credentials_token(client_id, client_secret)
    check("login with client credentials", bool(api_client.access_token))
    api = gc.InfrastructureAsCodeApi(api_client)

    # Apply, polled with details=True to completion.
    body = gc.AcceleratorInput()
    body.accelerator_id = "hello-world"
    body.dry_run = False
    param = gc.AcceleratorParameter()
    param.name = "name"
    param.value = "conformance"
    body.parameters = [param]
    job = api.post_infrastructureascode_jobs(body)
    check("submit returns a job id", bool(job.id), str(job))
    check("submit status Created", job.status == "Created", str(job.status))
    check("submit dry_run False", job.dry_run is False, str(job.dry_run))
    check("submit dateSubmitted parsed as datetime", hasattr(job.date_submitted, "year"), repr(job.date_submitted))
    check("submittedBy has an id", job.submitted_by is not None and bool(job.submitted_by.id), str(job.submitted_by))
    done, seen = wait_terminal(api, job.id)
    check("apply ends Complete", done.status == "Complete", f"{seen} {done}")
    check("apply results with details", bool(done.results) and "Apply complete!" in done.results, str(done.results))
    plain = api.get_infrastructureascode_job(job.id)
    check("no results without details", plain.results is None, str(plain.results))

    # Dry run.
    body.dry_run = True
    plan = api.post_infrastructureascode_jobs(body)
    check("dry run accepted", plan.dry_run is True, str(plan))
    plan_done, _ = wait_terminal(api, plan.id)
    check(
        "dry run plan text",
        plan_done.status == "Complete" and "Plan: 1 to add, 0 to change, 0 to destroy." in (plan_done.results or ""),
        str(plan_done),
    )

    # A failing apply: error info and rollback results through the SDK models.
    broken = gc.AcceleratorInput()
    broken.accelerator_id = "broken-apply"
    broken.dry_run = False
    broken_job = api.post_infrastructureascode_jobs(broken)
    broken_done, _ = wait_terminal(api, broken_job.id)
    check("broken apply ends RollbackComplete", broken_done.status == "RollbackComplete", str(broken_done.status))
    check("errorInfo decoded", broken_done.error_info is not None and bool(broken_done.error_info.message), str(broken_done.error_info))
    check("rollbackResults decoded", bool(broken_done.rollback_results), str(broken_done.rollback_results))

    # History: default (one job, the newest), filters, sort, include_errors.
    newest = api.get_infrastructureascode_jobs()
    check("history default is the newest job", newest.id == broken_job.id, str(newest))
    one = api.get_infrastructureascode_jobs(max_results=1, sort_by="dateSubmitted", sort_order="asc")
    check("history oldest first", one.id == job.id, str(one))
    filtered = api.get_infrastructureascode_jobs(
        max_results=1, accelerator_id="hello-world", status="Complete", include_errors=True
    )
    check("history filters", filtered.id == plan.id and filtered.accelerator_id == "hello-world", str(filtered))
    errored = api.get_infrastructureascode_jobs(accelerator_id="broken-apply", include_errors=True)
    check("history include_errors", errored.error_info is not None and errored.results is None, str(errored))
    # maxResults > 1 gives an entity listing; the SDK declares a single job,
    # so it must at least decode it without raising.
    listing = api.get_infrastructureascode_jobs(max_results=10)
    check("history listing decodes without error", listing is not None, str(listing))

    # 404 and 401 surface as ApiException with the right status.
    expect_api_exception("unknown job", 404, lambda: api.get_infrastructureascode_job("00000000-0000-0000-0000-000000000000"))
    e = expect_api_exception(
        "unknown accelerator", 400, lambda: api.post_infrastructureascode_jobs(_input("nope"))
    )
    if e is not None:
        check("unknown accelerator named", "nope" in str(e.body), str(e.body))
    bad_client = gc.api_client.ApiClient(host=base_url)
    bad_client.access_token = "not-a-valid-token"
    bad_api = gc.InfrastructureAsCodeApi(bad_client)
    e = expect_api_exception("bad token", 401, lambda: bad_api.get_infrastructureascode_jobs())
    if e is not None:
        check("bad token code", "bad.credentials" in str(e.body), str(e.body))
    expect_api_exception(
        "bad client secret", 401, lambda: gc.api_client.ApiClient(host=base_url).get_client_credentials_token(client_id, "wrong")
    )

    print(f"{CHECKS['passed']} passed, {CHECKS['failed']} failed")
    return 0 if CHECKS["failed"] == 0 else 1


def _input(accelerator_id):
    body = gc.AcceleratorInput()
    body.accelerator_id = accelerator_id
    return body


if __name__ == "__main__":
    sys.exit(main())
