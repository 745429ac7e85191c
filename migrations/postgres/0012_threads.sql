-- Replies and threads (issue #15; as migrations/sqlite/0012; see
-- protocol/threads.rs). A reply is a message of its room with thread_id,
-- its thread's first message (no foreign key: the retention may prune a
-- root before its replies, which then stay readable as replies to a
-- message no longer kept). in_room: a reply also shown in the room's
-- timeline. A root keeps its summary: reply_count (replies not deleted)
-- and last_reply_at.
ALTER TABLE messages ADD COLUMN thread_id BIGINT;
ALTER TABLE messages ADD COLUMN in_room BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN reply_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN last_reply_at TEXT;

CREATE INDEX messages_by_thread ON messages (thread_id, seq) WHERE thread_id IS NOT NULL;

-- Who follows which thread (alerted of its replies): its author and its
-- repliers follow it; follow-thread turns it off (following = 0) or on.
CREATE TABLE thread_follows (
    message_id BIGINT  NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id    BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    following  BIGINT  NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
