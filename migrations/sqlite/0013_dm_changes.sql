-- Edits, deletions and reactions for direct messages (issue #15), as
-- migrations 0011 made them for room messages: each conversation numbers
-- its changes, and the change feed is the conversation's messages changed
-- after a number (see protocol/direct_changes.rs). Retried changes are
-- known by `change_requests` (0011), shared with rooms.

-- A conversation numbers its changes 1, 2, 3, ...; a direct message keeps
-- the number of its latest change (0: never changed).
ALTER TABLE dm_pairs ADD COLUMN last_change INTEGER NOT NULL DEFAULT 0;
ALTER TABLE direct_messages ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE direct_messages ADD COLUMN edited_at TEXT;
-- Deleted by its author: a tombstone, its body emptied.
ALTER TABLE direct_messages ADD COLUMN deleted_at TEXT;

CREATE INDEX direct_messages_by_change ON direct_messages (user_lo, user_hi, change_seq)
    WHERE change_seq > 0;

-- The texts a direct message had before its edits, oldest first (version
-- 1 is the text as sent). Deleted with the message, and when it is
-- deleted.
CREATE TABLE dm_versions (
    dm_id      INTEGER NOT NULL REFERENCES direct_messages(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    body       TEXT    NOT NULL,
    written_at TEXT    NOT NULL,
    PRIMARY KEY (dm_id, version)
);

-- One account's reaction with one emoji to one direct message.
CREATE TABLE dm_reactions (
    dm_id      INTEGER NOT NULL REFERENCES direct_messages(id) ON DELETE CASCADE,
    emoji      TEXT    NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (dm_id, emoji, user_id)
);
