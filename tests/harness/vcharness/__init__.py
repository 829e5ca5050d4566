"""vcharness: the parts of vcall-harness that do not run anything (Python 3 standard
library only): the profile table (profiles), parsing the daemons' stats and the
metrics and checks of a side (metrics), and the report's table and JSON (report).
vcall-harness imports them from the directory it lives in."""
