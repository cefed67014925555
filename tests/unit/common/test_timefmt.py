from deepssh_gui.common.timefmt import describe_time


def test_times_in_the_clip_are_seconds_and_absolute_times_are_utc_dates():
    assert describe_time(51.06) == "51.1 s"
    assert describe_time(None) == "—"
    assert describe_time(1795507212.25, 2) == "2026-11-24 08:00:12.25 UTC"
    assert describe_time(1795507212.0, 0) == "2026-11-24 08:00:12 UTC"
