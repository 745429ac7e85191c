-- Invite links to rooms (issue #14, item 3).
--
-- A link is a random code (192 bits from a CSPRNG, base64url) shown once,
-- to its creator, when it is made; only the code's SHA-256 (hex) is kept,
-- as for a password-reset token, so that someone who reads the database
-- cannot use a link. `code_prefix` (its first 4 characters) lets people
-- tell their links apart in a list. Times are stored as text (RFC 3339,
-- UTC, milliseconds), like every time of this database: they sort as text.
-- `expires_at` NULL: never; `max_uses` NULL: unlimited; `revoked_at`
-- NULL: not revoked. `uses` counts accepted invitations, never past
-- `max_uses` (the accepting UPDATE checks it).

CREATE TABLE invite_links (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash   TEXT    NOT NULL UNIQUE,
    code_prefix TEXT    NOT NULL,
    room_id     INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    creator_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT,
    max_uses    INTEGER,
    uses        INTEGER NOT NULL DEFAULT 0,
    revoked_at  TEXT
);

CREATE INDEX invite_links_by_room ON invite_links (room_id);
