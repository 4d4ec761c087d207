"""Files for other tools: iCalendar events for people's calendars (:mod:`.ics`), CCSDS Orbit
Ephemeris Messages for telescope mounts and orbit tools (:mod:`.oem`), Cesium CZML of passes,
schedules and coverage cells (:mod:`.czml`, with czml3), pandas DataFrames of the documents
(:mod:`.frames`) and Parquet of long record tables written in row groups (:mod:`.parquet`, with
pyarrow). ics and oem render text, writing it atomically is the caller's (``passplan.io``);
``write_czml`` and ``write_parquet`` write their files atomically themselves. The optional
libraries are imported on first use, with an error naming the extra that installs them."""
