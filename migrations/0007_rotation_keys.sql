-- Version 7: a rotation is to the manifest's keys as they are when it runs. Beside the rotation
-- it applied, each row records a keyed digest of the keys its flow was rotated to (never the
-- keys: HMAC-SHA256 with the state file's own random salt, kept in `meta` as `key_salt`,
-- truncated to 64 bits), so that a rotation resumed after the manifest's keys changed rotates
-- again the rows it had rotated to the older keys. NULL for rows rotated before version 7:
-- their keys are not known, and a rotation that resumes rotates them again.
ALTER TABLE flows ADD COLUMN rotation_keys TEXT;
