-- Rows held back from silver.web_events: they refer to a customer or product not in silver while a
-- landing file of it is rejected (macros/held.sql). Released, or quarantined as an unknown
-- reference, by the run that loads the re-sent file.
{{ held_rows('web_events') }}
