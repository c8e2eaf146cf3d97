"""English dates: day, short month, year ("4 Jan 2027"): no month-first "Jan. 4, 2027", no ISO "2027-01-04"."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
