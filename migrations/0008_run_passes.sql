-- Version 8: what each pass of a run did, as the engine counted it (the figures of the run's
-- summary), so that `status` and the report say what the run said. `runs.command` (since
-- version 6) is filled: 'run', 'delete', 'task' (tasks started) or 'task --stop'.
-- `runs.created` holds the rows the run's goal pass brought to its goal (flows created or
-- adopted for `run`, deleted for `delete`, tasks started or stopped for `task`), `runs.adopted`
-- those of them adopted (flows that existed with the row's source, no create sent).
ALTER TABLE runs ADD COLUMN adopted INTEGER NOT NULL DEFAULT 0;

CREATE TABLE run_passes (
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    seq        INTEGER NOT NULL,                -- 1, 2, ...: the passes in the order they ran
    pass       TEXT    NOT NULL,                -- create, update, rotate keys, wait, delete, ...
    word       TEXT    NOT NULL,                -- what its rows reached are: created, updated, ...
    elapsed_ms INTEGER NOT NULL,
    calls      INTEGER NOT NULL,                -- calls of the pass's action (listings apart)
    throttled  INTEGER NOT NULL,
    called     INTEGER NOT NULL,                -- rows brought to the goal by its calls
    adopted    INTEGER NOT NULL,                -- ... by adopting what existed, with no call
    found      INTEGER NOT NULL,                -- ... found so by a listing, with no call
    unchanged  INTEGER NOT NULL,                -- rows with nothing to do, left as they were
    failed     INTEGER NOT NULL,
    skipped    INTEGER NOT NULL,                -- rows left unsent (reported with a code)
    left_rows  INTEGER NOT NULL,                -- rows left for a later run (unknown, pending)
    earlier    INTEGER NOT NULL,                -- rows settled before the pass began
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
