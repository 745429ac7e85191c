-- What each board stores, counted, and what each client wrote to boards
-- per day (as migrations/sqlite/0005).

ALTER TABLE board_shapes ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
UPDATE board_shapes SET bytes = OCTET_LENGTH(data);

ALTER TABLE boards ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE boards ADD COLUMN erased_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE boards ADD COLUMN compacted_seq BIGINT NOT NULL DEFAULT 0;
UPDATE boards SET
    bytes = (SELECT COALESCE(SUM(s.bytes), 0) FROM board_shapes s WHERE s.room = boards.room),
    erased_bytes = (SELECT COALESCE(SUM(s.bytes), 0) FROM board_shapes s
                    WHERE s.room = boards.room AND s.erased_seq IS NOT NULL);

CREATE TABLE board_writes (
    client TEXT   NOT NULL,
    day    BIGINT NOT NULL,
    bytes  BIGINT NOT NULL,
    PRIMARY KEY (client, day)
);

CREATE INDEX board_writes_by_day ON board_writes (day);
