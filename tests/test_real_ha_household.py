"""End to end: a person leaving and coming back, announced to an outside MQTT client.

`python -m scripts.bench_household` gives HA AI's log four weeks of a person
leaving every morning and back every evening, starts one Home Assistant process
with HA AI and a real mosquitto (as `scripts/develop` does), lets the analysis
learn the away routine, then sets the person away and home through the REST API
and waits for `away_from_home` and `back_home` at an outside paho client. This
test runs a short one as a child process (its own sockets and threads) and checks
that every event arrived, each started by the person, and that the figures come out.
"""

from __future__ import annotations

from pathlib import Path

from .real_ha import figures_by_name, real_ha_marks, run_module

CYCLES = 5
RUN_TIMEOUT = 300

pytestmark = real_ha_marks(
    "the household's live events are covered by test_household_live.py"
)


def test_leaving_and_coming_back_reach_an_outside_client(
    tmp_path: Path,
) -> None:
    out = run_module(
        "scripts.bench_household",
        "--events",
        str(CYCLES),
        "--run-dir",
        str(tmp_path / "run"),
        timeout=RUN_TIMEOUT,
    )
    figures = figures_by_name(out)
    assert figures["household_away_event_samples"]["value"] == CYCLES
    for kind in ("away", "back_home"):
        for key in ("p50", "p95", "max", "mean"):
            figure = figures[f"household_{kind}_event_latency_{key}"]
            assert figure["unit"] == "ms"
            assert figure["value"] > 0
