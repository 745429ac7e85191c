-- Everyday messaging (issue #15; as migrations/sqlite/0011): edits and their earlier versions,
-- reactions, and the change feed that brings a client that was away
-- every change of a room's messages (see protocol/message_changes.rs),
-- and where each account has read each room to (protocol/read_state.rs).

-- A room numbers its changes 1, 2, 3, ...; a message keeps the number of
-- its latest change (0: never changed). The feed is the messages whose
-- change_seq is above what a client has seen.
ALTER TABLE rooms ADD COLUMN last_change BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN edited_at TEXT;

CREATE INDEX messages_by_change ON messages (room_id, change_seq) WHERE change_seq > 0;

-- The texts a message had before its edits, oldest first (version 1 is
-- the text as sent). Deleted with the message, and when it is deleted.
CREATE TABLE message_versions (
    message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    body       TEXT    NOT NULL,
    written_at TEXT    NOT NULL,
    PRIMARY KEY (message_id, version)
);

-- One account's reaction with one emoji to one message.
CREATE TABLE reactions (
    message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    emoji      TEXT    NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (message_id, emoji, user_id)
);

-- The client ids of changes applied (`edit-message`, `react`), so that a
-- retried one is applied once; kept a day (the housekeeping).
CREATE TABLE change_requests (
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id  TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

CREATE INDEX change_requests_by_age ON change_requests (created_at);

-- Where each account has read each room to (`mark-room-read`): the seq
-- of the newest message it has read.
CREATE TABLE room_reads (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    room_id BIGINT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    seq     BIGINT NOT NULL,
    PRIMARY KEY (user_id, room_id)
);
