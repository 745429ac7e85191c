-- Private rooms, memberships and roles (issue #14, phase 1).
--
-- A room is public (listed, readable by anyone allowed on the server) or
-- private (invite only). Every room existing before this migration stays
-- public. `creator_id` is the account that created it: NULL for rooms made
-- by guests, or before this migration. Flags are integers (0 or 1).
-- `invites_by` says who may invite to the room: 'members' or 'moderators'.

ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'public';
ALTER TABLE rooms ADD COLUMN topic TEXT NOT NULL DEFAULT '';
ALTER TABLE rooms ADD COLUMN creator_id INTEGER REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE rooms ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
ALTER TABLE rooms ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN accounts_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN invites_by TEXT NOT NULL DEFAULT 'members';

-- A server admin sees every room and has an owner's powers in each. The
-- first account ever created is one (set in the sign-up's insert).
ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
UPDATE users SET admin = 1 WHERE id = (SELECT MIN(id) FROM users);

-- Who belongs to a room, with their role: 'owner', 'moderator' or
-- 'member'. A room has at most one owner (none when a guest made it).
CREATE TABLE memberships (
    room_id   INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role      TEXT    NOT NULL DEFAULT 'member',
    joined_at TEXT    NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

CREATE INDEX memberships_by_user ON memberships (user_id);
CREATE UNIQUE INDEX memberships_one_owner ON memberships (room_id) WHERE role = 'owner';

-- The rooms accounts remembered (by name) become memberships of public
-- rooms; `general` always exists.
INSERT INTO rooms (name) VALUES ('general') ON CONFLICT DO NOTHING;
INSERT INTO rooms (name) SELECT DISTINCT room FROM remembered_rooms WHERE true
    ON CONFLICT DO NOTHING;
INSERT INTO memberships (room_id, user_id, role, joined_at)
    SELECT r.id, m.user_id, 'member', '' FROM remembered_rooms m JOIN rooms r ON r.name = m.room;
DROP TABLE remembered_rooms;

CREATE INDEX rooms_by_kind ON rooms (kind, archived);
