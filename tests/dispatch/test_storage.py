"""Storage that cannot be written: a 503 and a failing /readyz, recovery when it is back.

Made unavailable for real, in ways that hold when the tests run as root (CI containers do, and
root ignores file modes, so chmod is no test):

* a data directory whose parent is a regular file: no one, root included, can create it
  (ENOTDIR). Replacing the file with a directory brings storage back.
* a full disk: the running server's RLIMIT_FSIZE is set to 0 with prlimit(2), so every write
  that would grow a file fails in the kernel (EFBIG), as on a disk without free blocks, while
  reads go on. Raising the limit again is the disk being freed. Root is bound by it too.
"""

from __future__ import annotations

import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.dispatch.api_server import AUTH, Api, api_server, signed
from tests.processes import HTTP


def _queue(api: Api, key: str) -> httpx.Response:
    body = {"idempotency_key": key, "phone": "13812345678", "template": "order_confirmed",
            "params": {"order": "1234567890"}}  # fmt: skip
    return HTTP.post(f"{api.url}/v1/messages", json=body, headers=AUTH, timeout=10)


def _wait(cond: Callable[[], bool], timeout: float = 60) -> None:  # a give-up limit
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def _unavailable(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/json"
    err: dict[str, Any] = r.json()["error"]
    assert err["code"] == "storage_unavailable"
    assert err["message"].startswith("the data directory cannot be written (")
    assert err["message"].endswith(
        "Free disk space, make XINSHI_DATA_DIR a writable directory, then retry; "
        "nothing was recorded"
    )
    return err


def test_a_data_directory_that_cannot_exist_is_503_until_it_can(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory's parent should be")
    with api_server(tmp_path, data=blocker / "data") as api:
        assert HTTP.get(f"{api.url}/readyz", timeout=10).status_code == 200  # not used yet
        err = _unavailable(_queue(api, "first"))
        assert "Not a directory" in err["message"]
        ready = HTTP.get(f"{api.url}/readyz", timeout=10)
        assert _unavailable(ready) and ready.json()["status"] == "unavailable"
        assert HTTP.get(f"{api.url}/healthz", timeout=10).status_code == 200  # alive, not ready
        blocker.unlink()
        blocker.mkdir()
        _wait(lambda: HTTP.get(f"{api.url}/readyz", timeout=10).status_code == 200)
        assert _queue(api, "first").status_code == 201


def test_a_replay_cache_that_cannot_be_written_is_503_not_a_refusal(tmp_path: Path) -> None:
    """A signed callback needs callbacks.sqlite; when it cannot be written the provider retries."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory's parent should be")
    body = b'[{"phone_number": "13812345678", "content": "TD", "sign_name": "x"}]'
    with api_server(tmp_path, data=blocker / "data") as api:
        url = f"{api.url}/v1/dispatch/inbound/aliyun"
        headers = signed(body)
        err = _unavailable(HTTP.post(url, content=body, headers=headers, timeout=10))
        assert "Not a directory" in err["message"]
        assert _unavailable(HTTP.get(f"{api.url}/readyz", timeout=10))
        blocker.unlink()
        blocker.mkdir()
        _wait(lambda: HTTP.get(f"{api.url}/readyz", timeout=10).status_code == 200)
        # nothing was claimed: the provider's retry of the same push is accepted, once
        r = HTTP.post(url, content=body, headers=headers, timeout=10)
        assert r.status_code == 200 and r.json() == {"code": 0, "msg": "接收成功"}
        again = HTTP.post(url, content=body, headers=headers, timeout=10)
        assert again.status_code == 401 and again.json()["error"]["code"] == "replayed"


@pytest.mark.skipif(not hasattr(resource, "prlimit"), reason="prlimit(2) is Linux-only")
def test_a_full_disk_is_503_loses_nothing_and_recovers(tmp_path: Path) -> None:
    with api_server(tmp_path) as api:
        before = _queue(api, "before")
        assert before.status_code == 201, before.text
        mid = before.json()["id"]
        pid = api.proc.pid
        limits = resource.prlimit(pid, resource.RLIMIT_FSIZE)
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, limits[1]))
        try:
            _unavailable(_queue(api, "during"))
            ready = HTTP.get(f"{api.url}/readyz", timeout=10)
            assert _unavailable(ready)["field"] is None
            # what is stored stays readable
            got = HTTP.get(f"{api.url}/v1/messages/{mid}", headers=AUTH, timeout=10)
            assert got.status_code == 200 and got.json()["status"] == "queued"
        finally:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, limits)
        _wait(lambda: HTTP.get(f"{api.url}/readyz", timeout=10).status_code == 200)
        after = _queue(api, "during")
        assert after.status_code == 201, after.text
        again = HTTP.get(f"{api.url}/v1/messages/{mid}", headers=AUTH, timeout=10)
        assert again.status_code == 200 and again.json()["id"] == mid
    shutil.rmtree(tmp_path / "data")
