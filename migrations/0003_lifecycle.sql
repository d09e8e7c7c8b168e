-- Version 3: the flows' whole life. A row may be `deleted` (its flow deleted by `bulkflow delete`;
-- a later run creates it again); a row records its flow's live status as last listed; the
-- source a created flow was made from is kept apart from the other fields, so that a manifest
-- that changes a created row's source is reported (DataFlowDrift), never taken as the new truth.
-- SQLite cannot alter a CHECK constraint: the table is rebuilt.
CREATE TABLE flows_v3 (
    id             INTEGER PRIMARY KEY,
    file_system_id TEXT    NOT NULL,
    target_key     TEXT    NOT NULL,
    target_path    TEXT    NOT NULL,
    line           INTEGER NOT NULL,
    region         TEXT    NOT NULL,
    data_flow_name TEXT,
    fingerprint    TEXT    NOT NULL,            -- SHA-256 of the non-secret fields
    source_key     TEXT,                        -- short hash of the source (type, address, path)
    state          TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'retrying', 'unknown', 'created', 'failed', 'deleted')),
    data_flow_id   TEXT,
    request_id     TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    error_code     TEXT,
    error_message  TEXT,
    unknown_since_ms INTEGER,
    in_manifest    INTEGER NOT NULL DEFAULT 1,
    updated_at_ms  INTEGER NOT NULL,
    flow_status    TEXT,                        -- Status when last listed: pending, available, ...
    flow_status_at_ms INTEGER,
    UNIQUE (file_system_id, target_key)
);
INSERT INTO flows_v3 (id, file_system_id, target_key, target_path, line, region, data_flow_name,
                      fingerprint, state, data_flow_id, request_id, attempts, error_code,
                      error_message, unknown_since_ms, in_manifest, updated_at_ms)
SELECT id, file_system_id, target_key, target_path, line, region, data_flow_name,
       fingerprint, state, data_flow_id, request_id, attempts, error_code,
       error_message, unknown_since_ms, in_manifest, updated_at_ms
FROM flows;
DROP TABLE flows;
ALTER TABLE flows_v3 RENAME TO flows;
CREATE INDEX flows_state ON flows (state);
