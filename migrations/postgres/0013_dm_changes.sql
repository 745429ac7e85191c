-- Edits, deletions and reactions for direct messages (issue #15; as
-- migrations/sqlite/0013): each conversation numbers its changes, and the
-- change feed is the conversation's messages changed after a number (see
-- protocol/direct_changes.rs). Retried changes are known by
-- `change_requests` (0011), shared with rooms.

ALTER TABLE dm_pairs ADD COLUMN last_change BIGINT NOT NULL DEFAULT 0;
ALTER TABLE direct_messages ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE direct_messages ADD COLUMN edited_at TEXT;
ALTER TABLE direct_messages ADD COLUMN deleted_at TEXT;

CREATE INDEX direct_messages_by_change ON direct_messages (user_lo, user_hi, change_seq)
    WHERE change_seq > 0;

CREATE TABLE dm_versions (
    dm_id      BIGINT NOT NULL REFERENCES direct_messages(id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    body       TEXT   NOT NULL,
    written_at TEXT   NOT NULL,
    PRIMARY KEY (dm_id, version)
);

CREATE TABLE dm_reactions (
    dm_id      BIGINT NOT NULL REFERENCES direct_messages(id) ON DELETE CASCADE,
    emoji      TEXT   NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT   NOT NULL,
    PRIMARY KEY (dm_id, emoji, user_id)
);
