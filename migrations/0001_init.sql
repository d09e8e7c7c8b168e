-- bulkflow state, version 1. Applied in one transaction at open; PRAGMA user_version records it.
-- No secret is ever stored here: the manifest is read again on every run.

-- One row per `bulkflow run` invocation.
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    started_at_ms INTEGER NOT NULL,
    finished_at_ms INTEGER,
    manifest      TEXT    NOT NULL,
    manifest_rows INTEGER NOT NULL DEFAULT 0,
    calls         INTEGER NOT NULL DEFAULT 0,   -- CreateDataFlow calls sent
    throttled     INTEGER NOT NULL DEFAULT 0,   -- of which answered RequestLimitExceeded
    created       INTEGER NOT NULL DEFAULT 0,   -- rows that reached `created` in this run
    exit_code     INTEGER
);

-- One row per directory: identity is (file_system_id, target_key), target_key being the target
-- path without trailing slashes.
CREATE TABLE flows (
    id             INTEGER PRIMARY KEY,
    file_system_id TEXT    NOT NULL,
    target_key     TEXT    NOT NULL,
    target_path    TEXT    NOT NULL,            -- as the manifest writes it
    line           INTEGER NOT NULL,            -- its line in the latest manifest that listed it
    region         TEXT    NOT NULL,
    data_flow_name TEXT,
    fingerprint    TEXT    NOT NULL,            -- SHA-256 of the non-secret fields
    state          TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'retrying', 'unknown', 'created', 'failed')),
    data_flow_id   TEXT,
    request_id     TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,  -- CreateDataFlow calls sent for it, all runs
    error_code     TEXT,
    error_message  TEXT,
    unknown_since_ms INTEGER,                   -- when the call of unknown outcome ended
    in_manifest    INTEGER NOT NULL DEFAULT 1,  -- listed by the latest run's manifest
    updated_at_ms  INTEGER NOT NULL,
    UNIQUE (file_system_id, target_key)
);

-- Every CreateDataFlow call: written before it is sent (outcome NULL), completed when it ends.
CREATE TABLE attempts (
    id          INTEGER PRIMARY KEY,
    flow_id     INTEGER NOT NULL REFERENCES flows (id),
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    attempt     INTEGER NOT NULL,               -- 1-based, over all runs
    sent_at_ms  INTEGER NOT NULL,
    ended_at_ms INTEGER,
    outcome     TEXT,                           -- outcome class; NULL while in flight
    error_code  TEXT,
    request_id  TEXT,
    latency_ms  INTEGER,
    UNIQUE (flow_id, attempt)
);

CREATE INDEX flows_state ON flows (state);
