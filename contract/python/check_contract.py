"""Drives a Sandman workflow with Temporal's Python SDK and plain JSON: no Java, only docs/contract.md.

Usage: TEMPORAL_ADDRESS=127.0.0.1:7233 E2B_URL=http://127.0.0.1:3000 python3 check_contract.py
Prints one line per check and 'N passed, N failed'; exits non-zero on any failure.
"""
import asyncio
import json
import os
import sys
import urllib.request
from datetime import datetime, timezone

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else " -> " + str(detail)[:300]))


def new_sandbox(e2b_url):
    request = urllib.request.Request(
        e2b_url + "/sandboxes", method="POST",
        data=json.dumps({"templateID": "base", "timeout": 600, "autoPause": True}).encode(),
        headers={"X-API-Key": "e2b_python_contract_check", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)["sandboxID"]


async def memo_status(handle, until, seconds=2.0):
    """The status the workflow publishes in its memo (a describe: no billed query), once `until` holds."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        status = await (await handle.describe()).memo_value("status")
        if until(status) or asyncio.get_running_loop().time() > deadline:
            return status
        await asyncio.sleep(0.05)


async def main():
    client = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "127.0.0.1:7233"))
    queue = os.environ.get("SANDMAN_TASK_QUEUE", "sandman")
    sid = new_sandbox(os.environ.get("E2B_URL", "http://127.0.0.1:3000"))
    spec = {"sandboxId": sid, "projectId": "py-proj", "userId": "py-user", "template": "base",
            "metadata": {"client": "python"}, "policy": {"idleTimeout": "PT1H"}}
    handle = await client.start_workflow(
        "SandboxWorkflow", spec, id=f"sandbox-{sid}", task_queue=queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY)
    check("start SandboxWorkflow with plain JSON input", handle.id == f"sandbox-{sid}")
    try:
        await client.start_workflow("SandboxWorkflow", spec, id=f"sandbox-{sid}", task_queue=queue)
        check("a second start is refused (already tracked)", False, "no error")
    except WorkflowAlreadyStartedError:
        check("a second start is refused (already tracked)", True)

    status = await handle.query("status")
    check("query status: RUNNING with the input's policy",
          status["state"] == "RUNNING" and status["policy"]["idleTimeout"] == "PT1H"
          and status["policy"]["pausedRetention"] == "PT720H", status)
    check("status times are RFC 3339", datetime.fromisoformat(status["pauseDeadline"].replace("Z", "+00:00")) is not None)

    await handle.signal("activity", {"at": datetime.now(timezone.utc).isoformat()})
    await handle.signal("activity", {})
    status = await handle.query("status")
    check("signal activity counted", status["counters"]["activitySignals"] == 2, status["counters"])

    published = await memo_status(handle, lambda st: st["counters"]["activitySignals"] == 2)
    check("describe: the memo has the status, free of a query", published["state"] == "RUNNING"
          and published["lastActivityAt"] == status["lastActivityAt"]
          and published["counters"]["activitySignals"] == 2, published)
    check("the status says when activity is due", published["activityDueBy"] == published["pauseDeadline"], published)

    paused = await handle.execute_update("pause", {"reason": "python contract check"})
    check("update pause answers PAUSED", paused["state"] == "PAUSED", paused)
    check("transition cause is 'request'", paused["transitions"][-1]["cause"] == "request", paused["transitions"])

    published = await memo_status(handle, lambda st: st["state"] == "PAUSED")
    check("the memo follows the transition", published["state"] == "PAUSED", published["state"])

    resumed = await handle.execute_update("resume", {})
    check("update resume answers RUNNING", resumed["state"] == "RUNNING", resumed)

    policy = await handle.execute_update("setPolicy", {"idleTimeout": "PT5M", "maxLifetime": "P1D"})
    check("update setPolicy moves the deadline", policy["policy"]["idleTimeout"] == "PT5M"
          and policy["killCause"] == "lifetime", policy)
    try:
        await handle.execute_update("setPolicy", {"idleTimeout": "PT0S"})
        check("an out-of-bounds policy is rejected", False, "accepted")
    except WorkflowUpdateFailedError as e:
        check("an out-of-bounds policy is rejected", "idleTimeout" in str(e.cause), e.cause)

    killed = await handle.execute_update("kill", {})
    check("update kill answers KILLED", killed["state"] == "KILLED", killed)
    result = await handle.result()
    check("the workflow completes with the final status", result["state"] == "KILLED", result)

    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    code = asyncio.run(main())
    # Leave without interpreter finalization: the SDK's native runtime threads can abort a
    # finalizing interpreter (PyGILState_Release, seen once in CI after all checks had passed).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
