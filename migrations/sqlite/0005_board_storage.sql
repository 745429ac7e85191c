-- What each board stores, counted, and what each client wrote to boards
-- per day (issue #13, item 8).
--
-- A shape's `bytes` is the length of its `data`. A board's `bytes` is the
-- sum over all its rows, shown and erased; `erased_bytes` the part that is
-- erased (kept so that undo can restore it). Past the board's budget of
-- erased bytes the shapes erased longest ago are deleted, whole changes at
-- a time; `compacted_seq` is the newest change whose erased shapes went
-- that way (0: none): a client that has the board only up to an earlier
-- change catches up with the whole board. All three are kept up to date by
-- every change, in its transaction.

ALTER TABLE board_shapes ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
UPDATE board_shapes SET bytes = LENGTH(CAST(data AS BLOB));

ALTER TABLE boards ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE boards ADD COLUMN erased_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE boards ADD COLUMN compacted_seq INTEGER NOT NULL DEFAULT 0;
UPDATE boards SET
    bytes = (SELECT COALESCE(SUM(s.bytes), 0) FROM board_shapes s WHERE s.room = boards.room),
    erased_bytes = (SELECT COALESCE(SUM(s.bytes), 0) FROM board_shapes s
                    WHERE s.room = boards.room AND s.erased_seq IS NOT NULL);

-- Bytes of shapes each client added to boards on each day (days since
-- 1970-01-01, UTC). `client` is `account:<id>`, or for a guest
-- `address:<ip>` (an IPv6 address by its /64). Rows of past days are
-- deleted by the store's housekeeping.
CREATE TABLE board_writes (
    client TEXT    NOT NULL,
    day    INTEGER NOT NULL,
    bytes  INTEGER NOT NULL,
    PRIMARY KEY (client, day)
);

CREATE INDEX board_writes_by_day ON board_writes (day);
