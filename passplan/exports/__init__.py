"""Files for other tools: iCalendar events for people's calendars (:mod:`.ics`) and CCSDS
Orbit Ephemeris Messages for telescope mounts and orbit tools (:mod:`.oem`). Each renders text;
writing it atomically is the caller's (``passplan.io``)."""
