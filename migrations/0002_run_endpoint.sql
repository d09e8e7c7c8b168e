-- Version 2: which kind of service each run talked to, so that a rehearsal's state (against the
-- emulator on loopback) is never taken for the real service's.
ALTER TABLE runs ADD COLUMN service TEXT;  -- 'loopback' or 'remote'; NULL for runs of version 1
