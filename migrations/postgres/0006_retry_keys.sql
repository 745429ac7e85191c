-- A retried send is stored once per author and conversation. The key of a
-- room message is (room, author, clientId), where the author is an account
-- ('u:<id>') or a guest's connection ('c:<socket id>'), never a display
-- name that several guests may share; rows stored before this keep their
-- name ('n:<name>') and so never match a new send. A direct message's key
-- is (sender, conversation, clientId).
ALTER TABLE messages ADD COLUMN author_key TEXT NOT NULL DEFAULT '';
UPDATE messages SET author_key = CASE
    WHEN user_id IS NOT NULL THEN 'u:' || user_id::text
    ELSE 'n:' || username
END;
DROP INDEX messages_client_id;
CREATE UNIQUE INDEX messages_client_id ON messages (room_id, author_key, client_id)
    WHERE client_id IS NOT NULL;

DROP INDEX direct_messages_client_id;
CREATE UNIQUE INDEX direct_messages_client_id
    ON direct_messages (sender_id, user_lo, user_hi, client_id)
    WHERE client_id IS NOT NULL;

-- Each node looks for sessions revoked lately (a logout whose broadcast it
-- may have missed): by the time they were revoked.
CREATE INDEX sessions_revoked_at ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
