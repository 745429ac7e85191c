-- The whiteboard of each chat room (see src/protocol/board.rs).
--
-- `seq` of a board hands out its gapless change numbers. A shape row is
-- never deleted: an erased shape keeps its data (for undo and restore) and
-- says which change erased it. `updated_seq` is the change that last added,
-- erased or restored it, so a client that has the board up to change N
-- catches up with the rows whose `updated_seq` is above N.

CREATE TABLE boards (
    room TEXT    PRIMARY KEY,
    seq  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE board_shapes (
    room        TEXT    NOT NULL REFERENCES boards(room),
    id          TEXT    NOT NULL,
    z           INTEGER NOT NULL,
    updated_seq INTEGER NOT NULL,
    erased_seq  INTEGER,
    points      INTEGER NOT NULL,
    author      TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    PRIMARY KEY (room, id)
);

CREATE INDEX board_shapes_by_update ON board_shapes (room, updated_seq);
CREATE INDEX board_shapes_shown ON board_shapes (room, erased_seq, z);
