-- Moderation (issue #14, phase 2): slow mode and the lock, bans and
-- mutes, server bans, deleted messages, the audit log, and the feed of
-- room changes that keeps every node's caches right.

-- Slow mode: a member may post once per `slow_seconds` (0: off).
-- Locked: only moderators may post.
ALTER TABLE rooms ADD COLUMN slow_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;

-- A server ban: the account cannot log in. NULL: not banned.
ALTER TABLE users ADD COLUMN banned_at TEXT;
ALTER TABLE users ADD COLUMN ban_reason TEXT;

-- A deleted message keeps its place (id, seq, author, time) as a
-- tombstone; its body is emptied in the same statement.
ALTER TABLE messages ADD COLUMN deleted_at TEXT;

-- Bans ('ban') and mutes ('mute') in a room, until `until_ms` (unix
-- milliseconds; NULL: no end). An expired one counts for nothing and is
-- deleted by the housekeeping.
CREATE TABLE room_sanctions (
    room_id    INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    until_ms   INTEGER,
    reason     TEXT,
    by_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (room_id, user_id, kind)
);

CREATE INDEX room_sanctions_by_user ON room_sanctions (user_id);

-- Who did what to whom, when and why. `room_name` keeps a deleted room's
-- entries readable by the admins.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT    NOT NULL,
    actor_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    action     TEXT    NOT NULL,
    room_id    INTEGER REFERENCES rooms(id) ON DELETE SET NULL,
    room_name  TEXT,
    target_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    reason     TEXT,
    detail     TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_by_room ON audit_log (room_id, id);

-- Every change of a room's settings (`room_name` given) or of one
-- account's standing in it (`user_id` given: membership, role, ban,
-- mute), for the other nodes of a cluster
-- to drop what they cached (see server/gateway/changes.rs). No foreign
-- key: a deleted room's change must still be read.
CREATE TABLE room_changes (
    id        INTEGER PRIMARY KEY,
    room_id   INTEGER NOT NULL,
    room_name TEXT,
    user_id   INTEGER,
    at        TEXT    NOT NULL
);
