"""An item registered more than a day after its seizure is registered, with a warning: no
custody before its registration time can be recorded afterwards."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import rows

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "docs" / "samples"

PHONE = ["phone", "add", "SZ-000001", "--imei", "490154203237518", "--make", "Nokia", "--model", "105",
         "--by", "B-1001"]


def test_registered_the_same_day_draws_no_warning(seeded):
    result = seeded(*PHONE, "--at", "2020-10-06T20:00")
    assert result.exit_code == 0 and result.stderr == ""


def test_at_more_than_a_day_after_the_seizure_warns(seeded, db_url):
    result = seeded(*PHONE, "--at", "2020-10-09T10:00")
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: --at 2020-10-09 10:00 -05:00 is 3 days after seizure SZ-000001 took place "
        "(2020-10-06 05:30 -05:00); no custody before then can be recorded for the item. "
        "Check the time if it was taken in earlier.\n")
    assert rows(db_url, "SELECT count(*) FROM items") == [(1,)]


def test_defaulted_to_now_long_after_the_seizure_warns(seeded):
    result = seeded(*PHONE)
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: no --at was given, so the item is registered now (")
    assert "days after seizure SZ-000001 took place (2020-10-06 05:30 -05:00)" in result.stderr
    assert "Give --at" in result.stderr


def test_json_carries_the_warning(seeded):
    data = seeded.ok(*PHONE, "--at", "2020-10-08T05:30", json_out=True)
    assert len(data["warnings"]) == 1 and "48 hours" not in data["warnings"][0]
    assert "2 days after seizure SZ-000001" in data["warnings"][0]


def test_import_warns_once(seeded):
    result = seeded("item", "import", "SZ-000001", str(SAMPLES_DIR / "items-sample.csv"), "--by", "B-1001",
                    "--at", "2020-10-12T10:00")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("after seizure SZ-000001 took place") == 1
