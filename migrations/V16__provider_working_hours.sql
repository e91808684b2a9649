-- Working hours per provider (issue 15, item 2): the weekly hours the front
-- desk set for a provider ("mon-fri 09:00-17:00; sat 10:00-14:00"), kept so
-- the desk sees them; the provider's slots for the coming weeks are opened
-- from them (and their unused future slots outside them removed) when they
-- are set. A provider without them keeps the slots they have.
ALTER TABLE providers
    ADD COLUMN working_hours text
        CHECK (working_hours IS NULL OR length(working_hours) BETWEEN 1 AND 200);
