-- One-to-one conversations between registered users (a user with themself:
-- notes to self). A pair is stored with
-- the lower user id first; its `last_seq` hands out the conversation's
-- gapless sequence numbers.

CREATE TABLE dm_pairs (
    user_lo  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_hi  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    last_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_lo, user_hi),
    CHECK (user_lo <= user_hi)
);

CREATE TABLE direct_messages (
    id         INTEGER PRIMARY KEY,
    user_lo    INTEGER NOT NULL,
    user_hi    INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    sender_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    body       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    client_id  TEXT,
    UNIQUE (user_lo, user_hi, seq),
    FOREIGN KEY (user_lo, user_hi) REFERENCES dm_pairs(user_lo, user_hi)
);

CREATE UNIQUE INDEX direct_messages_client_id ON direct_messages (sender_id, client_id)
    WHERE client_id IS NOT NULL;

-- How far each user has read each conversation.
CREATE TABLE dm_reads (
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    other_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    last_read_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, other_id)
);
