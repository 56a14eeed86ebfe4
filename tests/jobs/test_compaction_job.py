"""The compact_streams job over a real Appliance: merges what is due, full on request, and its
arguments are checked before anything is queued."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from appliance.errors import ValidationError
from appliance.jobs.periodic import PERIODIC_TASKS
from storage.streams import DataBatch, StreamSelector
from tests.conftest import make_appliance

T0 = np.datetime64("2026-01-01T00:00:00", "us")


def readings(device: int, first: int, count: int) -> DataBatch:
    seq = np.arange(first, first + count)
    return DataBatch.for_stream(1, device, 0x5001, timestamp=T0 + seq.astype("timedelta64[s]"),
                                streamer_local_id=seq, int_value=seq)


async def test_compaction_job_merges_due_levels_then_everything_on_request(tmp_path: Path) -> None:
    appliance = make_appliance(tmp_path / "data", serve_http=False, **{"streams.compact_rows": 1000,
                                                                      "streams.compact_fanout": 4})
    await appliance.start()
    try:
        for r in range(3):
            for device in (1, 2, 3, 4):
                appliance.streams.append_data(readings(device, 1 + r * 100, 100)).result(30)
        job = await appliance.jobs.schedule("compact_streams", {})
        done = await appliance.jobs.wait(job.pid, timeout=60)
        assert done.status == "done", done.error
        assert done.result is not None
        assert done.result["readings"] == 1200 and done.result["levels"] == {"1": 1200}

        appliance.streams.append_data(readings(5, 1, 10)).result(30)
        full = await appliance.jobs.wait((await appliance.jobs.schedule("compact_streams", {"full": True})).pid,
                                         timeout=60)
        assert full.status == "done", full.error
        assert full.result is not None and full.result["levels"] == {"4": 1210}
        assert appliance.streams.count_data(StreamSelector(device=3)) == 300
    finally:
        await appliance.stop()


@pytest.mark.parametrize("args", [{"full": "yes"}, {"full": 1}, {"fast": True}])
async def test_bad_compaction_arguments_are_refused(tmp_path: Path, args: dict[str, object]) -> None:
    appliance = make_appliance(tmp_path / "data", serve_http=False)
    await appliance.start()
    try:
        with pytest.raises(ValidationError):
            await appliance.jobs.schedule("compact_streams", args)
    finally:
        await appliance.stop()


def test_compaction_is_a_periodic_task() -> None:
    assert "compact_streams" in {task.job_kind for task in PERIODIC_TASKS}
