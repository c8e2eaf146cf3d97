"""One way of writing dates on staff pages and everywhere else the portal prints a date without its own format
(FORMAT_MODULE_PATH): "4 Jan 2027" in English, "4 января 2027" in Russian, which has no month abbreviation
Django can print with its dot. Letters keep their long dates in words ("4 January 2027")."""
