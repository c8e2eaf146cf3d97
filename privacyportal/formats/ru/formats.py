"""Russian dates: day, month in the genitive, year ("4 января 2027"), as the due-date sentence writes them."""

DATE_FORMAT = "j E Y"
DATETIME_FORMAT = "j E Y, H:i"
SHORT_DATE_FORMAT = "j E Y"
SHORT_DATETIME_FORMAT = "j E Y, H:i"
