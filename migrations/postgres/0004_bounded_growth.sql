-- Tables that grew with every name ever typed, or forever (as
-- migrations/sqlite/0004).

CREATE TABLE remembered_rooms (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    room    TEXT   NOT NULL,
    PRIMARY KEY (user_id, room)
);

INSERT INTO remembered_rooms (user_id, room)
    SELECT m.user_id, r.name FROM room_members m JOIN rooms r ON r.id = m.room_id;

DROP TABLE room_members;

DELETE FROM rooms
    WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.room_id = rooms.id);

CREATE INDEX sessions_by_expiry ON sessions (expires_at);
