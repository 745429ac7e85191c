-- Tables that grew with every name ever typed, or forever (issue #13,
-- item 8).
--
-- Remembered rooms are kept by name: `join-room` used to create a `rooms`
-- row for every name a logged-in user joined, and leaving never removed
-- it. A `rooms` row is now made only when a message is stored in the
-- room; those that hold no message are deleted here.

CREATE TABLE remembered_rooms (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    room    TEXT    NOT NULL,
    PRIMARY KEY (user_id, room)
);

INSERT INTO remembered_rooms (user_id, room)
    SELECT m.user_id, r.name FROM room_members m JOIN rooms r ON r.id = m.room_id;

DROP TABLE room_members;

DELETE FROM rooms
    WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.room_id = rooms.id);

-- Sessions past their expiry are deleted by the store's housekeeping.
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
