//! Size limits on everything a client can send. The server enforces them;
//! the browser client checks the same numbers before sending, so a person
//! sees the problem before the round trip.

/// Longest username, in characters (Unicode scalar values).
pub const MAX_USERNAME_CHARS: usize = 32;
/// Longest room name, in characters.
pub const MAX_ROOM_CHARS: usize = 64;
/// Most characters in a room's topic.
pub const MAX_TOPIC_CHARS: usize = 250;
/// Most rooms one `room-directory` answer lists.
pub const MAX_DIRECTORY_ROOMS: usize = 50;
/// Most characters of a `room-directory` search.
pub const MAX_DIRECTORY_QUERY_CHARS: usize = 64;
/// Longest chat message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Longest `userId` accepted by `subscribe-to-notifications`, in characters.
pub const MAX_USER_ID_CHARS: usize = 64;
/// Longest client id of a send (`clientId`), in bytes: a UUID fits.
pub const MAX_CLIENT_ID_BYTES: usize = 64;
/// Longest token accepted by `protected-message`, in bytes.
pub const MAX_TOKEN_BYTES: usize = 4096;
/// Largest Engine.IO payload (one HTTP long-polling body, which may hold
/// several packets) and largest WebSocket message, in bytes. A message of
/// `MAX_MESSAGE_CHARS` four-byte characters plus its envelope fits.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;
/// Most rooms one `/chat` socket may be in besides `general` (`join-room`
/// refuses more), and most rooms an account keeps remembered: what one
/// connection costs the server stays bounded.
pub const MAX_JOINED_ROOMS: usize = 100;
/// Most boards one socket may have open at once (`board-join` refuses
/// more; the page opens one at a time).
pub const MAX_OPEN_BOARDS: usize = 20;
/// Most notification subscriptions one `/notifications` socket may hold.
pub const MAX_SUBSCRIPTIONS: usize = 100;
/// Most `@name` mentions one message notifies: the first this many
/// distinct names (in any case, the author's own not counted) are looked
/// up, in one query, and those that are accounts notified. A message full
/// of `@names` costs one bounded look-up, not one per name.
pub const MAX_MENTIONS_NOTIFIED: usize = 20;
/// Most events of one socket read and not yet handled (each waits for the
/// one before it to be done): a client that sends faster than the server
/// can handle, say while the database is slow, is refused past this many
/// instead of piling its events up in the server's memory. A page's
/// reconnection burst (`join`, a `join-room` and a `history` for each of
/// its rooms) fits.
pub const MAX_WAITING_EVENTS: usize = 256;
/// Most bytes of payload those waiting events may hold together.
pub const MAX_WAITING_BYTES: usize = 1024 * 1024;
/// Most characters of a moderator's reason (`remove-member`, `ban`, `mute`,
/// `ban-account`, `delete-room`).
pub const MAX_REASON_CHARS: usize = 500;
/// Longest timed ban or mute, in minutes: a year. Without `minutes` a
/// sanction has no end.
pub const MAX_SANCTION_MINUTES: u32 = 525_600;
/// Longest slow mode interval (`room-settings {slowSeconds}`): six hours.
pub const MAX_SLOW_SECONDS: u32 = 21_600;
/// Most members one `room-members` answer lists.
pub const MAX_MEMBERS_LISTED: usize = 1000;
/// Most entries one `audit-log` answer holds (page back with `before`).
pub const MAX_AUDIT_ENTRIES: usize = 100;
/// Shortest life of an invite link (`create-invite-link`'s
/// `expiresInMinutes`), in minutes.
pub const MIN_INVITE_MINUTES: u32 = 1;
/// Longest life of an invite link, in minutes: 30 days. A link outlives
/// its sharing; one that never expires would be a standing key to the
/// room.
pub const MAX_INVITE_MINUTES: u32 = 30 * 24 * 60;
/// An invite link's life when `create-invite-link` does not say: 7 days.
pub const DEFAULT_INVITE_MINUTES: u32 = 7 * 24 * 60;
/// Most accounts one invite link may let in (`maxUses`; none: unlimited).
pub const MAX_INVITE_USES: u32 = 1000;
/// Most live invite links (not expired, revoked or used up) one room may
/// have at once: what `invite-links` lists stays bounded.
pub const MAX_LIVE_INVITE_LINKS: usize = 100;
/// Longest invite code `accept-invite` reads, in characters (the server's
/// codes have 32).
pub const MAX_INVITE_CODE_CHARS: usize = 64;
/// Longest emoji of a reaction, in bytes (the longest ZWJ sequences fit).
pub const MAX_EMOJI_BYTES: usize = 64;
/// Most different emoji one message's reactions hold (`react` refuses a
/// new one past it; adding to one already there is always possible).
pub const MAX_REACTIONS_PER_MESSAGE: usize = 20;
/// Most accounts one reaction lists by name (the count is exact).
pub const MAX_REACTORS_LISTED: usize = 20;
/// Most earlier versions of a message kept (`message-versions`): the
/// oldest is dropped past it, so edits cost bounded storage.
pub const MAX_MESSAGE_VERSIONS: usize = 50;
/// Most unread messages `read-state` counts in one room: past it the
/// count is this (the page shows "999+"), so a long-abandoned room costs
/// a bounded count.
pub const MAX_UNREAD_COUNTED: i64 = 1000;
/// Typing (`typing`): at most one `typing` of a socket about one
/// conversation is passed on per this many milliseconds; the client sends
/// no more often, and the server acks the extra ones without passing them
/// on.
pub const TYPING_EVERY_MS: u64 = 3000;
/// How long a page shows "Ann is typing…" after her last `typing`, in
/// milliseconds: two of her events' interval, so one lost event does not
/// make the line flicker.
pub const TYPING_SHOWN_MS: u64 = 6000;

/// Repliers a thread's summary names (the latest first); its count is exact.
pub const MAX_REPLIERS_LISTED: usize = 3;
/// Most followers one thread reply alerts (`follow-thread`); past that,
/// the others see the reply count in the room.
pub const MAX_THREAD_ALERTS: usize = 100;
