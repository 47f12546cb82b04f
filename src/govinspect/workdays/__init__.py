"""Working days and deadlines under the State Council holiday schedule (INDICATORS §7). Pure: no network.

``Calendar.load()`` once, then ``is_working_day``, ``working_days_between`` and ``add_working_days``; a year with
no holiday data raises :class:`UncoveredYearError` rather than guessing.
"""

from govinspect.workdays.holidayfile import CalendarError, HolidayFile, HolidayFileError, read_holiday_file
from govinspect.workdays.schedule import Calendar, DayInfo, UncoveredYearError, YearSource, format_years

__all__ = [
    "Calendar",
    "CalendarError",
    "DayInfo",
    "HolidayFile",
    "HolidayFileError",
    "UncoveredYearError",
    "YearSource",
    "format_years",
    "read_holiday_file",
]
