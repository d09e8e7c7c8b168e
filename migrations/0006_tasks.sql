-- Version 6: lifecycle data tasks (metaload, restore, release, archive) of each row's flow, and
-- which command each run was.
-- A row has at most one *current* task per type: its latest generation. A task is named from
-- the state file's own nonce, the row, the type and the generation, so that a task whose create
-- answer was lost is found by its name, and no task bulkflow did not start is ever taken for one.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE tasks (
    flow_id        INTEGER NOT NULL REFERENCES flows (id),
    type           TEXT    NOT NULL CHECK (type IN ('metaload', 'restore', 'release', 'archive')),
    generation     INTEGER NOT NULL,            -- 1, 2, ...: the row's tasks of this type
    name           TEXT    NOT NULL,            -- the TaskName every create of it carries
    state          TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'retrying', 'unknown', 'created', 'failed')),
    task_id        TEXT,                        -- the service's TaskId once known
    request_id     TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,  -- CreateLifecycleDataTask calls sent for it
    error_code     TEXT,
    error_message  TEXT,
    unknown_since_ms INTEGER,
    first_sent_ms  INTEGER,                     -- its first create: listings look from a day before
    status         TEXT,                        -- TaskStatus when last listed
    status_at_ms   INTEGER,
    files_total    INTEGER,
    files_done     INTEGER,
    files_failed   INTEGER,
    bytes_total    INTEGER,
    bytes_done     INTEGER,
    bytes_failed   INTEGER,
    failed_list    TEXT,                        -- where the list of failed files is, as given
    updated_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (flow_id, type, generation)
) WITHOUT ROWID;

-- Every CreateLifecycleDataTask call: written before it is sent, completed when it ends.
CREATE TABLE task_calls (
    flow_id     INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    generation  INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    sent_at_ms  INTEGER NOT NULL,
    ended_at_ms INTEGER,
    outcome     TEXT,
    error_code  TEXT,
    request_id  TEXT,
    latency_ms  INTEGER,
    PRIMARY KEY (flow_id, type, generation, attempt)
) WITHOUT ROWID;

-- Bytes and files done over time, summed over the tasks a run follows, for the report's chart.
CREATE TABLE task_samples (
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    at_ms       INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    tasks       INTEGER NOT NULL,
    bytes_total INTEGER NOT NULL,
    bytes_done  INTEGER NOT NULL,
    files_total INTEGER NOT NULL,
    files_done  INTEGER NOT NULL,
    PRIMARY KEY (run_id, type, at_ms)
) WITHOUT ROWID;

ALTER TABLE runs ADD COLUMN command TEXT;  -- 'run', 'delete', 'task'; NULL for runs before 6
