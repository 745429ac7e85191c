//! Private rooms, memberships, roles and moderation (issue #14), and the
//! message changes and read state of issue #15: the
//! authorization matrix, every per-room event x {guest, non-member
//! account, member, muted member, banned account, moderator, owner, server
//! admin} x {public room, private room}, each cell allowed or refused with
//! its exact text, and a refusal changing nothing; then the room events
//! one by one.

use crate::helpers::{joined_with, spawn_app, Sock, TestApp, QUIET};
use serde_json::{json, Value};
use std::collections::HashMap;

const LOG_IN: &str = "Log in to do that: guests cannot create, own or manage rooms";

fn no_room(room: &str) -> String {
    format!("There is no room named {room} that you can open")
}

fn private(room: &str) -> String {
    format!("{room} is a private room: a member must invite you")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Guest,
    Outsider,
    Member,
    /// A member muted in both rooms.
    Muted,
    /// An account banned from both rooms (for an hour).
    Banned,
    Moderator,
    Owner,
    Admin,
}

const EVERYONE: [Who; 8] = [
    Who::Guest,
    Who::Outsider,
    Who::Member,
    Who::Muted,
    Who::Banned,
    Who::Moderator,
    Who::Owner,
    Who::Admin,
];

impl Who {
    fn name(self) -> &'static str {
        match self {
            Who::Guest => "guest",
            Who::Outsider => "out",
            Who::Member => "mem",
            Who::Muted => "mute",
            Who::Banned => "ban",
            Who::Moderator => "mod",
            Who::Owner => "own",
            Who::Admin => "root",
        }
    }

    /// The role's rank in a room: 0 none, 1 member, 2 moderator, 3 owner
    /// (a server admin has an owner's powers everywhere).
    fn rank(self) -> u8 {
        match self {
            Who::Guest | Who::Outsider | Who::Banned => 0,
            Who::Member | Who::Muted => 1,
            Who::Moderator => 2,
            Who::Owner | Who::Admin => 3,
        }
    }
}

/// What a cell expects.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// Acked with `status: ok`.
    Ok,
    /// Not answered when allowed (a stroke, a pointer).
    Quiet,
    Refused(String),
}

/// Who may do what: the rules of the README, written out once.
fn expect(event: &str, who: Who, room: &str) -> Expect {
    let public = room == "pub";
    // Banned from a public room, which it could otherwise read; from a
    // private room it is just not a member.
    let banned = who == Who::Banned && public;
    let reads = (public && !banned) || who.rank() > 0;
    let muted = who == Who::Muted;
    let refused = |text: String| Expect::Refused(text);
    let banned_text = || refused(format!("You are banned from {room} until"));
    let muted_text = || refused(format!("You are muted in {room}: you can read, not post"));
    let needs = |least: u8, what: &str| {
        if who == Who::Guest {
            Expect::Refused(LOG_IN.into())
        } else if !public && who.rank() == 0 {
            Expect::Refused(no_room(room))
        } else if who.rank() < least {
            Expect::Refused(format!("Only the {what} of {room} may do that"))
        } else {
            Expect::Ok
        }
    };
    let read = |allowed: Expect| match (banned, reads) {
        (true, _) => banned_text(),
        (false, true) => allowed,
        (false, false) => Expect::Refused(no_room(room)),
    };
    let write = |allowed: Expect| match read(allowed) {
        allowed @ (Expect::Ok | Expect::Quiet) if muted => {
            let _ = allowed;
            muted_text()
        }
        other => other,
    };
    match event {
        "history" | "board-join" | "room-info" | "room-members" => read(Expect::Ok),
        "board-cursor" => read(Expect::Quiet),
        "board-op" => write(Expect::Ok),
        "board-draw" => write(Expect::Quiet),
        "send-message" | "join-room" => match (banned, reads) {
            (true, _) => banned_text(),
            (false, false) => Expect::Refused(private(room)),
            (false, true) if muted && event == "send-message" => muted_text(),
            (false, true) => Expect::Ok,
        },
        "delete-message" => match who {
            Who::Guest => {
                refused("Log in to delete messages: a guest's messages cannot be told apart".into())
            }
            _ => read(match who.rank() >= 2 {
                true => Expect::Ok,
                false => refused(format!(
                    "Only its author or a moderator of {room} may delete this message"
                )),
            }),
        },
        "invite" => needs(1, "members"),
        "room-settings" | "room-bans" | "audit-log" | "mute" | "unmute" | "remove-member"
        | "ban" | "unban" => needs(2, "moderators"),
        "set-role" => needs(3, "owner"),
        // Issue #15: the changes to messages and the read state. The
        // cell's message is the owner's.
        "changes" => read(Expect::Ok),
        "mark-room-read" if who == Who::Guest => refused(LOG_IN.into()),
        "mark-room-read" => read(Expect::Ok),
        "react" if who == Who::Guest => refused("Log in to react to messages".into()),
        "react" => write(Expect::Ok),
        // Replies follow the posting rules (guests included); following
        // is for accounts that may read the room.
        "send-reply" => write(Expect::Ok),
        "thread-history" => read(Expect::Ok),
        "follow-thread" if who == Who::Guest => refused("Log in to follow threads".into()),
        "follow-thread" => read(Expect::Ok),
        "edit-message" | "message-versions" if who == Who::Guest => {
            refused("Log in to edit messages: a guest's messages cannot be told apart".into())
        }
        // Whether it may post comes before whose message it is.
        "edit-message" if muted => muted_text(),
        "edit-message" => read(match who == Who::Owner {
            true => Expect::Ok,
            false => refused("Only its author may edit a message".into()),
        }),
        "message-versions" => read(match who.rank() >= 2 {
            true => Expect::Ok,
            false => refused(format!(
                "Only its author or a moderator of {room} may see a message's earlier versions"
            )),
        }),
        other => panic!("no rule for {other}"),
    }
}

/// The events of the matrix, in the order they are tried (`join-room`
/// last: it makes an account a member of a public room).
const EVENTS: [&str; 29] = [
    "history",
    "changes",
    "mark-room-read",
    "room-info",
    "room-members",
    "send-message",
    "board-join",
    "board-op",
    "board-draw",
    "board-cursor",
    "invite",
    "set-role",
    "room-settings",
    "room-bans",
    "audit-log",
    "react",
    "send-reply",
    "thread-history",
    "follow-thread",
    "edit-message",
    "message-versions",
    "delete-message",
    // On the cell's own target, a member: muted, unmuted, removed, banned
    // (for an hour), unbanned.
    "mute",
    "unmute",
    "remove-member",
    "ban",
    "unban",
    "join-room",
    // Listed twice: a second `history` once all else was tried.
    "history",
];

/// The cell of `who` in `room`: names what it sends.
fn cell(who: Who, room: &str) -> String {
    format!("{}-{room}", who.name())
}

fn payload(event: &str, who: Who, room: &str, messages: &HashMap<String, i64>) -> Value {
    let cell = cell(who, room);
    match event {
        "history" | "room-info" | "board-join" | "join-room" | "room-members" | "room-bans"
        | "audit-log" => json!({ "room": room }),
        "send-message" => json!({"room": room, "message": format!("from {cell}")}),
        "board-op" => json!({"room": room, "op": {"type": "add", "shape": {
            "id": format!("s-{cell}"), "tool": "line", "color": "#112233", "width": 2,
            "points": [[1, 1], [5, 5]]}}}),
        "board-draw" => json!({"room": room, "id": format!("d-{cell}"), "tool": "pen",
            "color": "#112233", "width": 2, "start": 0, "points": [[1, 1]]}),
        "board-cursor" => json!({"room": room, "x": 10, "y": 10}),
        // A new account each time, so that every allowed invite adds one.
        "invite" => json!({"room": room, "username": format!("t-{cell}")}),
        // What mem is already: allowed, it changes nothing.
        "set-role" => json!({"room": room, "username": "mem", "role": "member"}),
        "room-settings" => json!({"room": room, "topic": "the topic"}),
        "delete-message" | "message-versions" => json!({"room": room, "id": messages[&cell]}),
        "changes" => json!({"room": room, "after": 0}),
        "mark-room-read" => json!({"room": room, "seq": 1}),
        "react" => json!({"room": room, "id": messages[&cell], "emoji": "🎉"}),
        "send-reply" => {
            json!({"room": room, "thread": messages[&cell], "message": format!("reply from {cell}")})
        }
        "thread-history" => json!({"room": room, "id": messages[&cell]}),
        "follow-thread" => json!({"room": room, "id": messages[&cell], "on": true}),
        "edit-message" => {
            json!({"room": room, "id": messages[&cell], "message": format!("edited {cell}")})
        }
        "mute" | "unmute" | "remove-member" | "unban" => {
            json!({"room": room, "username": format!("v-{cell}"), "reason": "the matrix"})
        }
        "ban" => json!({"room": room, "username": format!("v-{cell}"), "minutes": 60}),
        other => panic!("no payload for {other}"),
    }
}

/// A logged-in `/chat` socket of a new account `name`, joined.
async fn account(app: &TestApp, name: &str) -> (Sock, String) {
    let session = app.register(name).await;
    let token = session["token"].as_str().expect("a token").to_owned();
    (joined_with(&app.url(), name, Some(&token)).await, token)
}

fn ok(ack: &Value) -> &Value {
    assert_eq!(ack["status"], "ok", "{ack}");
    ack
}

/// Everything a refusal must leave as it was, as the room's owner sees it
/// (and the member, for its role): the room, its members, its messages,
/// its board.
async fn snapshot(probe: &Sock, member: &Sock, room: &str) -> Value {
    let info = ok(&probe.request("room-info", json!({ "room": room })).await).clone();
    let history = probe.request("history", json!({ "room": room })).await;
    let board = probe.request("board-join", json!({ "room": room })).await;
    let mine = member.request("my-rooms", json!({})).await;
    let members = probe.request("room-members", json!({ "room": room })).await;
    let bans = probe.request("room-bans", json!({ "room": room })).await;
    let audit = probe.request("audit-log", json!({ "room": room })).await;
    json!({"info": info, "messages": history["messages"], "board": board["seq"],
           "shapes": board["shapes"], "mine": mine, "members": members, "bans": bans,
           "audit": audit})
}

/// A server with root (the first account: an admin), own (the owner of
/// `pub` and `priv`), mod (their moderator), mem (their member), mute (a
/// member muted in both), ban (banned from both), out (an account of
/// neither), a guest; the accounts the invites add, each cell's target
/// member, and each cell's message to delete (by own).
struct World {
    app: TestApp,
    /// The second node of a cluster, if the world is one.
    _other: Option<TestApp>,
    socks: Vec<(Who, Sock)>,
    probe: Sock,
    messages: HashMap<String, i64>,
}

impl World {
    async fn new() -> World {
        World::on(spawn_app().await, None).await
    }

    /// The world on `app`; with `other` (a second node of the same
    /// cluster), the sockets of those acted on (mem, mute, ban, out, the
    /// guest) are on `other`, those who act on `app`.
    async fn on(app: TestApp, other: Option<TestApp>) -> World {
        let theirs = other.as_ref().unwrap_or(&app);
        let (root, _) = account(&app, "root").await;
        let (own, own_token) = account(&app, "own").await;
        let (moderator, _) = account(&app, "mod").await;
        let (mem, _) = account(theirs, "mem").await;
        let (muted, _) = account(theirs, "mute").await;
        let (banned, _) = account(theirs, "ban").await;
        let (out, _) = account(theirs, "out").await;
        let guest = joined_with(&theirs.url(), "guest", None).await;
        for who in EVERYONE {
            for room in ["pub", "priv"] {
                app.register(&format!("t-{}-{room}", who.name())).await;
            }
        }
        ok(&own.request("create-room", json!({"room": "pub"})).await);
        ok(&own
            .request("create-room", json!({"room": "priv", "private": true}))
            .await);
        let mut messages = HashMap::new();
        for room in ["pub", "priv"] {
            for who in EVERYONE {
                let target = format!("v-{}", cell(who, room));
                app.register(&target).await;
                ok(&own
                    .request("invite", json!({"room": room, "username": target}))
                    .await);
                let sent = own
                    .request(
                        "send-message",
                        json!({"room": room, "message": format!("delete {}", cell(who, room))}),
                    )
                    .await;
                messages.insert(cell(who, room), ok(&sent)["id"].as_i64().expect("an id"));
            }
            for name in ["mod", "mem", "mute", "ban"] {
                ok(&own
                    .request("invite", json!({"room": room, "username": name}))
                    .await);
            }
            ok(&own
                .request("mute", json!({"room": room, "username": "mute"}))
                .await);
            ok(&own
                .request(
                    "ban",
                    json!({"room": room, "username": "ban", "minutes": 60}),
                )
                .await);
            ok(&own
                .request(
                    "set-role",
                    json!({"room": room, "username": "mod", "role": "moderator"}),
                )
                .await);
        }
        let probe = joined_with(&app.url(), "own", Some(&own_token)).await;
        World {
            app,
            _other: other,
            socks: vec![
                (Who::Guest, guest),
                (Who::Outsider, out),
                (Who::Member, mem),
                (Who::Muted, muted),
                (Who::Banned, banned),
                (Who::Moderator, moderator),
                (Who::Owner, own),
                (Who::Admin, root),
            ],
            probe,
            messages,
        }
    }

    fn sock_mut(&mut self, who: Who) -> &mut Sock {
        &mut self
            .socks
            .iter_mut()
            .find(|(w, _)| *w == who)
            .expect("everyone has a socket")
            .1
    }

    /// See [`snapshot`].
    async fn snapshot(&self, room: &str) -> Value {
        snapshot(&self.probe, self.sock(Who::Member), room).await
    }

    fn sock(&self, who: Who) -> &Sock {
        &self
            .socks
            .iter()
            .find(|(w, _)| *w == who)
            .expect("everyone has a socket")
            .1
    }
}

/// A refusal's text, a timed ban's end cut off (`… until <time>` is
/// compared up to `until`).
fn refusal(message: &Value) -> String {
    let text = message.as_str().unwrap_or("");
    match text.find(" until ") {
        Some(at) if text.starts_with("You are banned") => text[..at + " until".len()].to_owned(),
        _ => text.to_owned(),
    }
}

#[tokio::test]
async fn the_authorization_matrix() {
    matrix(World::new().await).await;
}

/// The matrix on two nodes on PostgreSQL and Redis: those acted on are on
/// the other node than those who act (see [`World::on`]), so every removal,
/// ban and mute must hold there.
#[tokio::test]
async fn the_authorization_matrix_on_a_cluster() {
    let db = crate::cluster::SharedDb::create().await;
    let cluster = crate::cluster::cluster_name();
    let a = crate::cluster::node(&cluster, &db).await;
    let b = crate::cluster::node(&cluster, &db).await;
    matrix(World::on(a, Some(b)).await).await;
}

/// Tries every cell; checks each answer and that every refusal changed
/// nothing; then what the allowed cells did.
async fn matrix(mut world: World) {
    let mut failures = Vec::new();
    let mut cells = 0;
    for event in EVENTS {
        for room in ["pub", "priv"] {
            for who in EVERYONE {
                cells += 1;
                let want = expect(event, who, room);
                let refused = matches!(want, Expect::Refused(_));
                let before = match refused {
                    true => Some(world.snapshot(room).await),
                    false => None,
                };
                let sent = payload(event, who, room, &world.messages);
                let sock = world.sock_mut(who);
                let got = if matches!(event, "board-draw" | "board-cursor") {
                    // Answered only when refused, as `exception` when sent
                    // without an ack callback. (An ack that never comes
                    // would stay in rust_socketio's table for ever.)
                    sock.drain();
                    sock.emit(event, sent).await;
                    match sock.try_next("exception", QUIET).await {
                        None => Expect::Quiet,
                        Some(e) => Expect::Refused(refusal(&e["message"])),
                    }
                } else {
                    let ack = sock.request(event, sent).await;
                    match ack["status"].as_str() {
                        Some("ok") => Expect::Ok,
                        _ => Expect::Refused(refusal(&ack["message"])),
                    }
                };
                if got != want {
                    failures.push(format!(
                        "{event} by {} in {room}: want {want:?}, got {got:?}",
                        who.name()
                    ));
                }
                if let Some(before) = before {
                    let after = world.snapshot(room).await;
                    if before != after {
                        failures.push(format!(
                            "{event} by {} in {room} was refused and changed {before} into {after}",
                            who.name()
                        ));
                    }
                }
            }
        }
    }
    assert_eq!(cells, EVENTS.len() * 16);
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // What the allowed cells did: every invite added its account, every
    // message was stored; nothing from those refused.
    let info = world
        .probe
        .request("room-info", json!({"room": "priv"}))
        .await;
    // own, mod, mem, mute; the invites of mem, mute, mod, own, root; the
    // targets of the five cells that could not remove theirs.
    assert_eq!(info["members"], 14, "{info}");
    let history = world
        .probe
        .request("history", json!({"room": "priv"}))
        .await;
    // own's eight messages to delete (those of the three cells that could
    // delete are tombstones), then the posts of those who may post, then
    // their replies in threads.
    let shown: Vec<(&str, bool, bool)> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let name = m["username"].as_str().unwrap();
            (name, m["deleted"] == true, m["thread"].is_i64())
        })
        .collect();
    let mut want = vec![("own", false, false); 8];
    for deleted in [5, 6, 7] {
        want[deleted].1 = true;
    }
    for reply in [false, true] {
        want.extend(["mem", "mod", "own", "root"].map(|who| (who, false, reply)));
    }
    assert_eq!(shown, want);
    let history = world.probe.request("history", json!({"room": "pub"})).await;
    // Eight to delete, then guest, out, mem, mod, own, root; and as many
    // replies.
    assert_eq!(history["messages"].as_array().unwrap().len(), 20);
}

#[tokio::test]
async fn a_private_room_is_invisible_and_its_name_cannot_be_taken() {
    let world = World::new().await;
    let out = world.sock(Who::Outsider);
    let guest = world.sock(Who::Guest);
    // No room and a private room one does not belong to: one refusal.
    for (event, extra) in [
        ("history", json!({})),
        ("board-join", json!({})),
        ("room-info", json!({})),
        ("invite", json!({"username": "mem"})),
        ("set-role", json!({"username": "mem", "role": "moderator"})),
        ("room-settings", json!({"topic": "x"})),
    ] {
        let ask = |room: &str| {
            let mut p = extra.clone();
            p["room"] = json!(room);
            p
        };
        let hidden = out.request(event, ask("priv")).await;
        let none = out.request(event, ask("nowhere")).await;
        assert_eq!(hidden["message"], no_room("priv"), "{event}");
        assert_eq!(none["message"], no_room("nowhere"), "{event}");
    }
    // The directory lists public rooms only, and searches.
    let all = out.request("room-directory", json!({})).await;
    let names: Vec<&str> = all["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["room"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pub", "general"]);
    // own, mod, mem, mute and the eight cells' targets (ban is banned).
    assert_eq!(all["rooms"][0]["members"], 12);
    let found = guest
        .request("room-directory", json!({"query": "PRI"}))
        .await;
    assert_eq!(found["rooms"], json!([]));
    let none = guest.request_args("room-directory", vec![]).await;
    assert_eq!(none["rooms"].as_array().unwrap().len(), 2);
    // A name any room has cannot be taken, whatever the kind; entering a
    // private room's name says it is one (it cannot be hidden there).
    for room in ["priv", "pub", "general"] {
        let taken = out
            .request("create-room", json!({"room": room, "private": true}))
            .await;
        assert_eq!(taken["status"], "error");
        if room != "general" {
            assert_eq!(
                taken["message"],
                format!("The name {room} is taken: pick another")
            );
        }
    }
    assert_eq!(
        guest.request("join-room", json!({"room": "priv"})).await["message"],
        private("priv")
    );
    assert_eq!(
        guest.request("create-room", json!({"room": "g"})).await["message"],
        LOG_IN
    );
    assert_eq!(
        guest.request("my-rooms", json!({})).await["message"],
        LOG_IN
    );
    // What the members have.
    let mine = world
        .sock(Who::Member)
        .request("my-rooms", json!(null))
        .await;
    assert_eq!(
        mine["rooms"],
        json!([{"room": "priv", "kind": "private", "role": "member", "archived": false},
               {"room": "pub", "kind": "public", "role": "member", "archived": false}])
    );
    let info = world
        .sock(Who::Admin)
        .request("room-info", json!({"room": "priv"}))
        .await;
    assert_eq!(info["kind"], "private");
    assert_eq!(info["creator"], "own");
    assert_eq!(info["accountsOnly"], true);
    assert!(info.get("role").is_none(), "the admin is no member: {info}");
}

#[tokio::test]
async fn an_invited_account_gets_the_room_on_every_socket() {
    let app = spawn_app().await;
    let (ann, _) = account(&app, "ann").await;
    let session = app.register("bob").await;
    let token = session["token"].as_str().unwrap();
    let mut tabs = Vec::new();
    for _ in 0..2 {
        tabs.push(joined_with(&app.url(), "bob", Some(token)).await);
    }
    let made = ok(&ann
        .request(
            "create-room",
            json!({"room": "plans", "private": true, "topic": "Q3"}),
        )
        .await)
    .clone();
    assert_eq!(made["role"], "owner");
    assert_eq!(made["members"], 1);
    assert_eq!(
        ok(&ann
            .request("invite", json!({"room": "plans", "username": "BOB"}))
            .await)["message"],
        "bob was added to plans"
    );
    for tab in &mut tabs {
        let added = tab.next("room-added").await;
        assert_eq!(added["room"], "plans");
        assert_eq!(added["topic"], "Q3");
        assert_eq!(added["role"], "member");
        assert_eq!(added["members"], 2);
        assert_eq!(added["by"], "ann");
    }
    // In the room without a join-room.
    ok(&ann
        .request(
            "send-message",
            json!({"room": "plans", "message": "hi bob"}),
        )
        .await);
    for tab in &mut tabs {
        assert_eq!(tab.next("new-message").await["message"], "hi bob");
        ok(&tab.request("history", json!({"room": "plans"})).await);
    }
    let again = ann
        .request("invite", json!({"room": "plans", "username": "bob"}))
        .await;
    assert_eq!(again["message"], "bob is a member of plans already");
    let nobody = ann
        .request("invite", json!({"room": "plans", "username": "zed"}))
        .await;
    assert_eq!(nobody["message"], "No account is named zed");
    // A new login of bob's is in the room from its join.
    let later = joined_with(&app.url(), "bob", Some(token)).await;
    ok(&later
        .request("send-message", json!({"room": "plans", "message": "back"}))
        .await);
}

#[tokio::test]
async fn ownership_is_handed_over_and_never_lost() {
    let world = World::new().await;
    let own = world.sock(Who::Owner);
    let keeps = own
        .request(
            "set-role",
            json!({"room": "priv", "username": "own", "role": "member"}),
        )
        .await;
    assert_eq!(
        keeps["message"],
        "own owns priv: hand it over first (set-role owner to another member)"
    );
    let out = own
        .request(
            "set-role",
            json!({"room": "priv", "username": "out", "role": "moderator"}),
        )
        .await;
    assert_eq!(
        out["message"],
        "out is not a member of priv: invite them first"
    );
    assert_eq!(
        ok(&own
            .request(
                "set-role",
                json!({"room": "priv", "username": "mod", "role": "owner"})
            )
            .await)["message"],
        "mod is now the owner of priv"
    );
    let mine = own.request("my-rooms", json!({})).await;
    assert_eq!(mine["rooms"][0]["role"], "moderator");
    // The owner until now is a moderator: no more set-role.
    let refused = own
        .request(
            "set-role",
            json!({"room": "priv", "username": "mem", "role": "moderator"}),
        )
        .await;
    assert_eq!(refused["message"], "Only the owner of priv may do that");
    let moderator = world.sock(Who::Moderator);
    ok(&moderator
        .request(
            "set-role",
            json!({"room": "priv", "username": "mem", "role": "moderator"}),
        )
        .await);
    // The server admin may hand it back.
    ok(&world
        .sock(Who::Admin)
        .request(
            "set-role",
            json!({"room": "priv", "username": "own", "role": "owner"}),
        )
        .await);
    let mine = moderator.request("my-rooms", json!({})).await;
    assert_eq!(mine["rooms"][0]["role"], "moderator");
}

#[tokio::test]
async fn settings_archive_a_room_and_keep_guests_out() {
    let world = World::new().await;
    let moderator = world.sock(Who::Moderator);
    let guest = world.sock(Who::Guest);
    let info = ok(&moderator
        .request(
            "room-settings",
            json!({"room": "pub", "accountsOnly": true}),
        )
        .await)
    .clone();
    assert_eq!(info["accountsOnly"], true);
    let refused = guest
        .request("send-message", json!({"room": "pub", "message": "hi"}))
        .await;
    assert_eq!(
        refused["message"],
        "Only logged-in accounts may write in pub: log in first"
    );
    ok(&guest.request("history", json!({"room": "pub"})).await);
    let private_off = moderator
        .request(
            "room-settings",
            json!({"room": "priv", "accountsOnly": false}),
        )
        .await;
    assert_eq!(
        private_off["message"],
        "priv is a private room, which is always for accounts only"
    );
    // Archived: read, not written, not listed.
    ok(&moderator
        .request(
            "room-settings",
            json!({"room": "pub", "archived": true, "invitesBy": "moderators"}),
        )
        .await);
    let mem = world.sock(Who::Member);
    assert_eq!(
        mem.request("send-message", json!({"room": "pub", "message": "hi"}))
            .await["message"],
        "pub is archived: it can be read, not written"
    );
    ok(&mem.request("board-join", json!({"room": "pub"})).await);
    let op = json!({"room": "pub", "op": {"type": "erase", "ids": ["x"]}});
    assert_eq!(
        mem.request("board-op", op).await["message"],
        "pub is archived: it can be read, not written"
    );
    ok(&mem.request("history", json!({"room": "pub"})).await);
    let listed = mem.request("room-directory", json!({})).await;
    assert_eq!(
        listed["rooms"],
        json!([{"room": "general", "topic": "", "members": 0}])
    );
    // Invites by moderators only now.
    assert_eq!(
        mem.request("invite", json!({"room": "pub", "username": "out"}))
            .await["message"],
        "Only the moderators of pub may do that"
    );
    ok(&moderator
        .request("invite", json!({"room": "pub", "username": "out"}))
        .await);
}

#[tokio::test]
async fn a_mention_in_a_private_room_alerts_its_members_only() {
    let world = World::new().await;
    let own = world.sock(Who::Owner);
    let mut alerts = Vec::new();
    for name in ["out", "mem"] {
        let session = reqwest::Client::new()
            .post(format!("{}/api/login", world.app.url()))
            .json(&json!({"username": name, "password": "correct horse battery"}))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let token = session["token"].as_str().unwrap().to_owned();
        let sock = Sock::connect_with(
            &world.app,
            "/notifications",
            crate::helpers::TransportType::Websocket,
            None,
            Some(&token),
        )
        .await
        .expect("connects");
        alerts.push(sock);
    }
    ok(&own
        .request(
            "send-message",
            json!({"room": "priv", "message": "@out @mem secret plans"}),
        )
        .await);
    let mut mem = alerts.pop().unwrap();
    let mut out = alerts.pop().unwrap();
    let alert = mem.next("notification").await;
    assert_eq!(alert["room"], "priv");
    tokio::time::sleep(QUIET).await;
    out.assert_no("notification").await;
}

#[tokio::test]
async fn public_rooms_keep_the_tutorials_protocol() {
    let app = spawn_app().await;
    let guest = joined_with(&app.url(), "gus", None).await;
    // A message to a new name makes a public room; no membership needed.
    ok(&guest
        .request("send-message", json!({"room": "new", "message": "first"}))
        .await);
    ok(&guest.request("join-room", json!({"room": "fresh"})).await);
    let info = ok(&guest.request("room-info", json!({"room": "fresh"})).await).clone();
    assert_eq!(info["kind"], "public");
    assert_eq!(info["members"], 0, "guests are no members");
    assert!(info.get("creator").is_none());
    // An account that makes a room by joining it owns it.
    let (ann, _) = account(&app, "ann").await;
    ok(&ann.request("join-room", json!({"room": "ann-room"})).await);
    let info = ann.request("room-info", json!({"room": "ann-room"})).await;
    assert_eq!(info["creator"], "ann");
    assert_eq!(info["role"], "owner");
    ok(&ann.request("join-room", json!({"room": "fresh"})).await);
    let info = ann.request("room-info", json!({"room": "fresh"})).await;
    assert_eq!(
        (info["role"].as_str(), &info["members"]),
        (Some("member"), &json!(1))
    );
    // The first account is the server's admin.
    ok(&ann
        .request(
            "room-settings",
            json!({"room": "general", "topic": "everyone"}),
        )
        .await);
    assert_eq!(
        guest
            .request("room-settings", json!({"room": "general", "topic": "x"}))
            .await["message"],
        LOG_IN
    );
}

#[tokio::test]
async fn admin_grant_on_the_command_line() {
    let app = spawn_app().await;
    app.register("ann").await;
    let (bob, _) = account(&app, "bob").await;
    let (cat, _) = account(&app, "cat").await;
    ok(&cat
        .request("create-room", json!({"room": "cats", "private": true}))
        .await);
    assert_eq!(
        bob.request("history", json!({"room": "cats"})).await["message"],
        no_room("cats")
    );
    let run = |name: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_huddle"))
            .args(["admin", "grant", name])
            .env("HUDDLE_DATA_DIR", app.data_dir.path())
            .env_remove("HUDDLE_DATABASE_URL")
            .output()
            .expect("huddle runs")
    };
    let done = run("BOB");
    assert!(done.status.success(), "{done:?}");
    assert_eq!(
        String::from_utf8_lossy(&done.stdout),
        "huddle: bob is now a server admin\n"
    );
    // The running server sees it within its reading of the room changes.
    let granted = tokio::time::Instant::now();
    while bob.request("history", json!({"room": "cats"})).await["status"] != "ok" {
        assert!(
            granted.elapsed() < std::time::Duration::from_secs(2),
            "the grant did not reach the running server"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let unknown = run("zed");
    assert!(!unknown.status.success());
    assert_eq!(
        String::from_utf8_lossy(&unknown.stderr),
        "huddle: no account is named zed\n"
    );
}
