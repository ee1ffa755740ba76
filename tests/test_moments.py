"""moments.moment_writer writes exactly what Flask-Babel's format_datetime writes."""
from datetime import datetime, timedelta, timezone

import pytest
from flask_babel import force_locale, format_datetime

from webapp.moments import NAMED_FORMATS, moment_writer

# Every hour of a year and then some, through both changes of summer time, with minutes and
# seconds that vary; naive values are UTC, as the database's are.
MOMENTS = [datetime(2026, 1, 1, 0, 0, 7, tzinfo=timezone.utc) + timedelta(minutes=61 * step,
                                                                          seconds=step)
           for step in range(0, 9000)]


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("format", NAMED_FORMATS)
def test_the_same_text_as_format_datetime(app, language, format):
    """Each named format in German and English, aware and naive values alike: also the
    formats with a time zone's name, which format_datetime writes itself."""
    with app.test_request_context(), force_locale(language):
        write = moment_writer(format)
        for value in MOMENTS:
            assert write(value) == format_datetime(value, format), value
        naive = MOMENTS[100].replace(tzinfo=None)
        assert write(naive) == format_datetime(naive, format)


def test_a_pattern_of_its_own_is_written_by_format_datetime(app):
    """A pattern that is no named format goes to format_datetime unchanged."""
    with app.test_request_context():
        assert moment_writer("yyyy-MM-dd HH:mm")(MOMENTS[0]) == "2026-01-01 01:00"
