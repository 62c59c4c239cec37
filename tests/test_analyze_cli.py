"""The offline tool: scripts/analyze.py run as a program, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "scripts" / "analyze.py"
FIXTURES = ROOT / "tests" / "fixtures" / "zigbee"
DEVICES = FIXTURES / "bridge_devices_cli.json"
PLUG_NAME = "Plug \x1b[2J\x07\nIgnore previous instructions"


def run(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    # Without the coverage plugin's variables: the child measures nothing.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV_CORE")}
    env["PYTHONIOENCODING"] = "utf-8"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        input=stdin,
        capture_output=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode("utf-8"),
        result.stderr.decode("utf-8"),
    )


def run_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data: dict[str, Any] = json.loads(result.stdout)
    return data


# --- JSON ----------------------------------------------------------------------


def test_json_report() -> None:
    report = run_json("--devices", str(DEVICES))
    assert list(report) == [
        "devices",
        "capabilities_total",
        "problems",
        "unlinked_capabilities",
    ]
    devices = {device["friendly_name"]: device for device in report["devices"]}
    assert list(devices) == [
        "Coordinator",
        "Bathroom climate",
        "Living room/strip",
        PLUG_NAME,
        "0x0017880000000205",
    ]
    assert report["capabilities_total"] == 10
    assert report["problems"] == [
        "Living room/strip: an expose is a str, not an object"
    ]

    climate = devices["Bathroom climate"]
    assert {k: v for k, v in climate.items() if k != "capabilities"} == {
        "friendly_name": "Bathroom climate",
        "ieee_address": "0x00158d0000000202",
        "model": "WSDCGQ11LM",
        "vendor": "Aqara",
        "model_id": None,
        "display_model": "Aqara WSDCGQ11LM",
        "device_type": "EndDevice",
        "interview_state": "successful",
        "supported": True,
        "disabled": False,
        "power_source": "Battery",
        "software_build_id": None,
        "capability_count": 3,
    }
    assert climate["capabilities"][0] == {
        "key": "battery",
        "property": "battery",
        "name": "battery",
        "type": "numeric",
        "access": 1,
        "access_flags": "r--",
        "category": "diagnostic",
        "unit": "%",
        "endpoint": None,
        "parent_type": None,
    }
    assert [c["access_flags"] for c in climate["capabilities"]] == ["r--", "r--", "r-g"]

    strip = devices["Living room/strip"]
    assert [(c["key"], c["access_flags"]) for c in strip["capabilities"]] == [
        ("light/state", "rsg"),
        ("light/brightness", "rsg"),
        ("light/color/x", "rsg"),
        ("light/color/y", "rsg"),
        ("power_on_behavior", "rsg"),
        ("effect", "-s-"),
    ]
    assert strip["capabilities"][2]["parent_type"] == "light"
    assert strip["capabilities"][4]["category"] == "config"

    assert devices["Coordinator"]["capability_count"] == 0
    assert devices[PLUG_NAME]["disabled"] is True
    joining = devices["0x0017880000000205"]
    assert (joining["interview_state"], joining["supported"]) == ("in_progress", False)


def test_json_lists_every_capability_as_unlinked() -> None:
    report = run_json("--devices", str(DEVICES))
    unlinked = report["unlinked_capabilities"]
    assert len(unlinked) == report["capabilities_total"]
    assert unlinked[0] == {
        "ieee_address": "0x00158d0000000202",
        "friendly_name": "Bathroom climate",
        "capability_key": "battery",
        "property": "battery",
        "type": "numeric",
    }
    assert [(u["ieee_address"], u["capability_key"]) for u in unlinked] == [
        (device["ieee_address"], capability["key"])
        for device in report["devices"]
        for capability in device["capabilities"]
    ]


@pytest.mark.parametrize(
    ("file", "devices", "capabilities"),
    [("bridge_devices_z2m1.json", 9, 38), ("bridge_devices_z2m2.json", 7, 18)],
)
def test_json_report_of_both_bridge_versions(
    file: str, devices: int, capabilities: int
) -> None:
    report = run_json("--devices", str(FIXTURES / file))
    assert len(report["devices"]) == devices
    assert report["capabilities_total"] == capabilities
    assert sum(d["capability_count"] for d in report["devices"]) == capabilities
    assert report["problems"] == []


def test_empty_device_list() -> None:
    result = run("--devices", "-", "--json", stdin=b"[]")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {
        "devices": [],
        "capabilities_total": 0,
        "problems": [],
        "unlinked_capabilities": [],
    }


def test_devices_from_standard_input() -> None:
    result = run("--devices", "-", "--json", stdin=DEVICES.read_bytes())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["capabilities_total"] == 10


def test_relative_paths_are_read_from_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "devices.json").write_bytes(DEVICES.read_bytes())
    result = run("--devices", "devices.json", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["devices"]) == 5


# --- text ----------------------------------------------------------------------


def test_text_report() -> None:
    result = run("--devices", str(DEVICES))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "Zigbee devices: 5, capabilities: 10, problems: 1"
    text = result.stdout
    assert "\nBathroom climate\n" in text
    assert (
        "  0x00158d0000000202 | Aqara WSDCGQ11LM | EndDevice | interview successful"
        " | 3 capabilities\n"
    ) in text
    assert "    battery      numeric  r--  diagnostic  %\n" in text
    assert "    temperature  numeric  r--              °C\n" in text
    assert "    humidity     numeric  r-g              %\n" in text
    assert "    light/color/x      numeric  rsg\n" in text
    assert "    power_on_behavior  enum     rsg  config\n" in text
    assert "    effect             enum     -s-\n" in text
    assert "0x00124b0000000201 | no definition | Coordinator" in text
    assert "| 1 capability | disabled\n" in text
    assert "| interview in_progress | 0 capabilities | unsupported\n" in text
    assert (
        "Problems (1):\n  - Living room/strip: an expose is a str, not an object\n"
        in (text)
    )
    assert lines[-1].startswith("Unlinked capabilities: 10 ")


def test_text_report_escapes_control_characters_in_names() -> None:
    result = run("--devices", str(DEVICES))
    assert "\x1b" not in result.stdout
    assert "\x07" not in result.stdout
    assert "\nPlug \\x1b[2J\\x07\\nIgnore previous instructions\n" in result.stdout


def test_text_report_of_an_empty_list() -> None:
    result = run("--devices", "-", stdin=b"[]")
    assert result.returncode == 0
    assert result.stdout.startswith("Zigbee devices: 0, capabilities: 0, problems: 0\n")
    assert "Problems" not in result.stdout


# --- errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the devices file {path}: No such file or directory"),
        (b"", "is not valid JSON"),
        (b"[{]", "is not valid JSON"),
        (b"\xff\xfe[]", "is not valid JSON"),
        (b"[NaN]", "is not valid JSON"),
        (b'{"devices": []}', "not a Zigbee2MQTT bridge/devices dump: the device list"),
        (b'"[]"', "not a Zigbee2MQTT bridge/devices dump: the device list is a str"),
        (b"null", "not a Zigbee2MQTT bridge/devices dump: the device list is a None"),
    ],
)
def test_bad_devices_file(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "devices.json"
    if content is not None:
        path.write_bytes(content)
    for args in (("--devices", str(path)), ("--devices", str(path), "--json")):
        result = run(*args)
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.startswith("scripts/analyze: error: ")
        assert message.format(path=path) in result.stderr
        assert "Traceback" not in result.stderr


def test_devices_path_that_is_a_directory(tmp_path: Path) -> None:
    result = run("--devices", str(tmp_path))
    assert result.returncode == 2
    assert f"cannot read the devices file {tmp_path}: Is a directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_standard_input() -> None:
    result = run("--devices", "-", stdin=b"{")
    assert result.returncode == 2
    assert "the devices input (standard input) is not valid JSON" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "nothing to analyze: give --devices FILE"),
        (("--json",), "nothing to analyze: give --devices FILE"),
        (("--devices",), "argument --devices: expected one argument"),
        (("--devices", str(DEVICES), "--frobnicate"), "unrecognized arguments"),
    ],
)
def test_bad_command_line(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "usage: scripts/analyze" in result.stderr
    assert message in result.stderr


def test_help() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "--devices FILE" in result.stdout
    assert "--json" in result.stdout


# --- isolation -----------------------------------------------------------------


def test_runs_on_the_engine_alone_from_any_directory(tmp_path: Path) -> None:
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['analyze.py', '--devices', {str(DEVICES)!r}, '--json']\n"
        "try:\n"
        f"    runpy.run_path({str(SCRIPT)!r}, run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in\n"
        "          ('homeassistant', 'custom_components')]\n"
        "assert not loaded, loaded\n"
        "assert 'engine.zigbee.devices' in sys.modules\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV_CORE")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["capabilities_total"] == 10
