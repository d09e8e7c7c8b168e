-- Version 4: key rotation as a recorded operation of its own. Key values are never stored, so
-- a rotation is known by its number: each row records the last rotation applied to its flow, and
-- an interrupted rotation resumes without resending the rows it has already rotated.
CREATE TABLE rotations (
    id             INTEGER PRIMARY KEY,
    started_at_ms  INTEGER NOT NULL,
    finished_at_ms INTEGER,                   -- NULL while rows are left to rotate
    manifest       TEXT    NOT NULL
);
ALTER TABLE flows ADD COLUMN rotation INTEGER;  -- the last rotation applied to the row's flow
