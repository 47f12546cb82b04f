"""Imported by the judge pool's fork server before it forks any worker: the text checks' lexicons, word index and
language model are loaded here once, so the workers share those pages instead of each loading its own copy (the
process tree's memory stays within the inspection's bound). Importing this module does that work on purpose."""

from __future__ import annotations

from datetime import date

from govinspect.text.check import check_text

check_text(
    "各单位要认真贯彻落实会议精神，坚持以习近平新时代中国特色社会主义思想为指导。", as_of=date(2020, 3, 31)
)
