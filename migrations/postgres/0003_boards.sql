-- The whiteboard of each chat room (as migrations/sqlite/0003).

CREATE TABLE boards (
    room TEXT   PRIMARY KEY,
    seq  BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE board_shapes (
    room        TEXT   NOT NULL REFERENCES boards(room),
    id          TEXT   NOT NULL,
    z           BIGINT NOT NULL,
    updated_seq BIGINT NOT NULL,
    erased_seq  BIGINT,
    points      BIGINT NOT NULL,
    author      TEXT   NOT NULL,
    data        TEXT   NOT NULL,
    PRIMARY KEY (room, id)
);

CREATE INDEX board_shapes_by_update ON board_shapes (room, updated_seq);
CREATE INDEX board_shapes_shown ON board_shapes (room, erased_seq, z);
