-- Accounts, login sessions, rooms with their message history, and the rooms
-- each account has joined.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    -- Unique without regard to case: "Ann" and "ann" are the same person.
    username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT    NOT NULL,
    created_at    TEXT    NOT NULL
);

CREATE TABLE sessions (
    id         TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at TEXT
);

-- A room's `last_seq` hands out its gapless per-room sequence numbers.
CREATE TABLE rooms (
    id       INTEGER PRIMARY KEY,
    name     TEXT    NOT NULL UNIQUE,
    last_seq INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE messages (
    id         INTEGER PRIMARY KEY,
    room_id    INTEGER NOT NULL REFERENCES rooms(id),
    seq        INTEGER NOT NULL,
    username   TEXT    NOT NULL,
    user_id    INTEGER REFERENCES users(id),
    body       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    -- The sender's id for this send: a retried send is stored once.
    client_id  TEXT,
    UNIQUE (room_id, seq)
);

CREATE UNIQUE INDEX messages_client_id ON messages (username, client_id)
    WHERE client_id IS NOT NULL;

CREATE TABLE room_members (
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    room_id       INTEGER NOT NULL REFERENCES rooms(id),
    last_read_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, room_id)
);
