-- Rows held back from silver.support_tickets: they refer to a customer not in silver while a
-- landing file of it is rejected (macros/held.sql). Released, or quarantined as an unknown
-- reference, by the run that loads the re-sent file.
{{ held_rows('support_tickets') }}
