//! Invite links to rooms (issue #14, item 3): made by whoever may invite,
//! accepted by another account (which then is a member on every socket),
//! listed without their codes, revoked; every code that lets nobody in
//! refused with one text, and every refusal changing nothing.

use crate::helpers::{joined_with, spawn_app, spawn_app_with, Sock, TestApp, TransportType};
use huddle::server::store::{LinkMade, NewInviteLink};
use serde_json::{json, Value};

const LOG_IN: &str = "Log in to do that: guests cannot create, own or manage rooms";
const INVALID: &str =
    "This invite link is not valid: it may have expired or been revoked; ask for a new one";

fn no_room(room: &str) -> String {
    format!("There is no room named {room} that you can open")
}

/// A logged-in `/chat` socket of a new account `name`, joined, and its
/// token.
async fn account(app: &TestApp, name: &str) -> (Sock, String) {
    let session = app.register(name).await;
    let token = session["token"].as_str().expect("a token").to_owned();
    (joined_with(&app.url(), name, Some(&token)).await, token)
}

fn ok(ack: &Value) -> &Value {
    assert_eq!(ack["status"], "ok", "{ack}");
    ack
}

fn refusal(ack: &Value) -> &str {
    assert_eq!(ack["status"], "error", "{ack}");
    ack["message"].as_str().unwrap_or("")
}

/// ann, the owner of the private room `plans` (the server's first
/// account: also its admin), which holds one message.
async fn plans(app: &TestApp) -> Sock {
    let (ann, _) = account(app, "ann").await;
    ok(&ann
        .request("create-room", json!({"room": "plans", "private": true}))
        .await);
    ok(&ann
        .request(
            "send-message",
            json!({"room": "plans", "message": "before you came"}),
        )
        .await);
    ann
}

async fn make_link(by: &Sock, payload: Value) -> Value {
    ok(&by.request("create-invite-link", payload).await).clone()
}

fn code(link: &Value) -> &str {
    link["code"].as_str().expect("a code")
}

/// What a refusal must leave as it was, as the owner sees it: the room
/// (its members) and its links (their uses).
async fn snapshot(owner: &Sock) -> Value {
    let info = owner.request("room-info", json!({"room": "plans"})).await;
    let links = owner
        .request("invite-links", json!({"room": "plans"}))
        .await;
    json!({"info": info, "links": links})
}

#[tokio::test]
async fn a_link_lets_another_account_in_on_every_socket() {
    let app = spawn_app().await;
    let ann = plans(&app).await;
    let link = make_link(&ann, json!({"room": "plans", "maxUses": 5})).await;
    let code = code(&link).to_owned();
    assert_eq!(code.len(), 32);
    assert_eq!(link["url"], format!("{}/invite/{code}", app.url()));
    assert_eq!((&link["maxUses"], &link["uses"]), (&json!(5), &json!(0)));
    let expires = chrono::DateTime::parse_from_rfc3339(link["expiresAt"].as_str().unwrap())
        .expect("an ISO 8601 time");
    let week = chrono::Utc::now() + chrono::Duration::days(7);
    assert!(
        (week - expires.to_utc()).num_seconds().abs() < 60,
        "{expires}"
    );

    let session = app.register("bob").await;
    let token = session["token"].as_str().unwrap();
    let mut tabs = Vec::new();
    for _ in 0..2 {
        tabs.push(joined_with(&app.url(), "bob", Some(token)).await);
    }
    let info = ok(&tabs[0]
        .request("accept-invite", json!({ "code": code }))
        .await)
    .clone();
    assert_eq!(info["room"], "plans");
    assert_eq!(info["kind"], "private");
    assert_eq!(info["role"], "member");
    assert_eq!(info["members"], 2);
    for tab in &mut tabs {
        let added = tab.next("room-added").await;
        assert_eq!(added["room"], "plans");
        assert_eq!(added["role"], "member");
    }
    // A member now: reads the history, hears what is said next.
    let history = ok(&tabs[1].request("history", json!({"room": "plans"})).await).clone();
    assert_eq!(history["messages"][0]["message"], "before you came");
    ok(&ann
        .request(
            "send-message",
            json!({"room": "plans", "message": "welcome"}),
        )
        .await);
    for tab in &mut tabs {
        assert_eq!(tab.next("new-message").await["message"], "welcome");
    }
    // Listed with its use, never with its code.
    let links = ok(&ann.request("invite-links", json!({"room": "plans"})).await).clone();
    assert_eq!(links["links"].as_array().unwrap().len(), 1);
    let listed = &links["links"][0];
    assert_eq!(listed["id"], link["id"]);
    assert_eq!(listed["prefix"], code[..4]);
    assert_eq!(listed["creator"], "ann");
    assert_eq!(
        (&listed["uses"], &listed["maxUses"]),
        (&json!(1), &json!(5))
    );
    assert_eq!(listed["expiresAt"], link["expiresAt"]);
    assert!(!links.to_string().contains(&code), "{links}");
}

#[tokio::test]
async fn a_retried_accept_counts_one_use() {
    let app = spawn_app().await;
    let ann = plans(&app).await;
    let link = make_link(&ann, json!({"room": "plans", "maxUses": 2})).await;
    let (bob, _) = account(&app, "bob").await;
    let first = ok(&bob
        .request("accept-invite", json!({"code": code(&link)}))
        .await)
    .clone();
    let again = ok(&bob
        .request("accept-invite", json!({"code": code(&link)}))
        .await)
    .clone();
    assert_eq!(first, again);
    // The owner is a member already too.
    ok(&ann
        .request("accept-invite", json!({"code": code(&link)}))
        .await);
    let links = ann.request("invite-links", json!({"room": "plans"})).await;
    assert_eq!(links["links"][0]["uses"], 1);
    assert_eq!(again["members"], 2);
    // So the second use is still there for cat.
    let (cat, _) = account(&app, "cat").await;
    ok(&cat
        .request("accept-invite", json!({"code": code(&link)}))
        .await);
}

#[tokio::test]
async fn every_code_that_lets_nobody_in_gets_one_refusal() {
    let app = spawn_app().await;
    let ann = plans(&app).await;
    let (bob, _) = account(&app, "bob").await;
    let (cat, _) = account(&app, "cat").await;
    // Used up by bob.
    let used = make_link(&ann, json!({"room": "plans", "maxUses": 1})).await;
    ok(&bob
        .request("accept-invite", json!({"code": code(&used)}))
        .await);
    // Revoked.
    let revoked = make_link(&ann, json!({"room": "plans"})).await;
    let done = ann
        .request(
            "revoke-invite-link",
            json!({"room": "plans", "id": revoked["id"]}),
        )
        .await;
    assert_eq!(
        ok(&done)["message"],
        format!("Invite link {} of plans was revoked", revoked["id"])
    );
    // Expired: made a minute ago with a life of less than that, through
    // the store (the protocol's shortest life is a minute).
    let store = app.state.store();
    let room = store
        .room_meta(&huddle::protocol::RoomName::parse("plans").unwrap())
        .await
        .unwrap()
        .unwrap();
    let owner = store
        .user_by_name(&huddle::protocol::Username::parse("ann").unwrap())
        .await
        .unwrap()
        .unwrap();
    let made = store.create_invite_link(NewInviteLink {
        room: room.id,
        creator: owner.id,
        expires_at: Some(chrono::Utc::now() - chrono::Duration::seconds(1)),
        max_uses: None,
    });
    let LinkMade::Yes(expired) = made.await.unwrap() else {
        panic!("not made")
    };
    let codes = [
        code(&used).to_owned(),
        code(&revoked).to_owned(),
        expired.code,
        // Unknown, of the right shape and of none.
        "A".repeat(32),
        "x".into(),
        String::new(),
    ];
    let before = snapshot(&ann).await;
    for code in &codes {
        let ack = cat.request("accept-invite", json!({ "code": code })).await;
        assert_eq!(refusal(&ack), INVALID, "{code:?}");
    }
    assert_eq!(snapshot(&ann).await, before);
    assert_eq!(
        refusal(&cat.request("room-info", json!({"room": "plans"})).await),
        no_room("plans")
    );
    assert_eq!(cat.request("my-rooms", json!({})).await["rooms"], json!([]));
    // Not a code at all: what is wrong with it.
    assert_eq!(
        refusal(&cat.request("accept-invite", json!({"code": 5})).await),
        "accept-invite: code must be a string, got 5"
    );
}

#[tokio::test]
async fn guests_and_outsiders_make_no_links_and_guests_accept_none() {
    let app = spawn_app().await;
    let ann = plans(&app).await;
    let link = make_link(&ann, json!({"room": "plans"})).await;
    let (out, _) = account(&app, "out").await;
    let guest = joined_with(&app.url(), "gus", None).await;
    let before = snapshot(&ann).await;
    for (event, extra) in [
        ("create-invite-link", json!({})),
        ("invite-links", json!({})),
        ("revoke-invite-link", json!({"id": link["id"]})),
    ] {
        let mut payload = extra.clone();
        payload["room"] = json!("plans");
        assert_eq!(
            refusal(&guest.request(event, payload.clone()).await),
            LOG_IN,
            "{event}"
        );
        assert_eq!(
            refusal(&out.request(event, payload.clone()).await),
            no_room("plans"),
            "{event}"
        );
        // A room that does not exist: the same words.
        payload["room"] = json!("nowhere");
        assert_eq!(
            refusal(&out.request(event, payload).await),
            no_room("nowhere"),
            "{event}"
        );
    }
    assert_eq!(
        refusal(
            &guest
                .request("accept-invite", json!({"code": code(&link)}))
                .await
        ),
        LOG_IN
    );
    assert_eq!(snapshot(&ann).await, before);
    // Bounds, named.
    for (payload, message) in [
        (
            json!({"room": "plans", "expiresInMinutes": 0}),
            "create-invite-link: expiresInMinutes must be between 1 and 43200 (30 days), got 0",
        ),
        (
            json!({"room": "plans", "maxUses": 1001}),
            "create-invite-link: maxUses must be between 1 and 1000, or left out for no limit, got 1001",
        ),
        (
            json!({"room": "general"}),
            "create-invite-link: every account is in general already: no invite link is needed",
        ),
    ] {
        let ack = ann.request("create-invite-link", payload).await;
        assert_eq!(refusal(&ack), message);
    }
    assert_eq!(snapshot(&ann).await, before);
}

#[tokio::test]
async fn members_revoke_their_own_links_and_moderators_any() {
    let app = spawn_app().await;
    let ann = plans(&app).await;
    let (bob, _) = account(&app, "bob").await;
    let (cat, _) = account(&app, "cat").await;
    for name in ["bob", "cat"] {
        ok(&ann
            .request("invite", json!({"room": "plans", "username": name}))
            .await);
    }
    ok(&ann
        .request(
            "set-role",
            json!({"room": "plans", "username": "cat", "role": "moderator"}),
        )
        .await);
    // A member may make links (the room's invitesBy is members).
    let bobs = make_link(&bob, json!({"room": "plans", "expiresInMinutes": 60})).await;
    let anns = make_link(&ann, json!({"room": "plans"})).await;
    let listed = ok(&bob.request("invite-links", json!({"room": "plans"})).await).clone();
    assert_eq!(listed["links"][0]["creator"], "ann");
    assert_eq!(listed["links"][1]["creator"], "bob");
    let before = snapshot(&ann).await;
    let revoke = |id: &Value| json!({"room": "plans", "id": id});
    assert_eq!(
        refusal(&bob.request("revoke-invite-link", revoke(&anns["id"])).await),
        "Only the moderators of plans and the link's creator may revoke it"
    );
    assert_eq!(
        refusal(&bob.request("revoke-invite-link", revoke(&json!(999))).await),
        "plans has no invite link 999"
    );
    assert_eq!(
        refusal(&cat.request("revoke-invite-link", revoke(&json!(999))).await),
        "plans has no invite link 999"
    );
    assert_eq!(snapshot(&ann).await, before);
    ok(&bob.request("revoke-invite-link", revoke(&bobs["id"])).await);
    // Again: the same answer, nothing more.
    ok(&bob.request("revoke-invite-link", revoke(&bobs["id"])).await);
    ok(&cat.request("revoke-invite-link", revoke(&anns["id"])).await);
    let listed = ann.request("invite-links", json!({"room": "plans"})).await;
    assert_eq!(listed["links"], json!([]));
    // Invites by moderators only: members make no more links.
    ok(&ann
        .request(
            "room-settings",
            json!({"room": "plans", "invitesBy": "moderators"}),
        )
        .await);
    assert_eq!(
        refusal(
            &bob.request("create-invite-link", json!({"room": "plans"}))
                .await
        ),
        "Only the moderators of plans may do that"
    );
    make_link(&cat, json!({"room": "plans"})).await;
}

#[tokio::test]
async fn links_are_made_at_the_public_url_or_the_pages_origin() {
    let app = spawn_app_with(|c| {
        c.public_url = Some("https://Chat.Example.org/".parse().unwrap());
    })
    .await;
    let ann = plans(&app).await;
    let link = make_link(&ann, json!({"room": "plans"})).await;
    assert_eq!(
        link["url"],
        format!("https://chat.example.org/invite/{}", code(&link))
    );

    let app = spawn_app().await;
    let session = app.register("ann").await;
    let origin = format!("http://localhost:{}", app.addr.port());
    let ann = Sock::connect_with(
        &app,
        "/chat",
        TransportType::Websocket,
        Some(&origin),
        session["token"].as_str(),
    )
    .await
    .expect("connects");
    ok(&ann
        .request("create-room", json!({"room": "plans", "private": true}))
        .await);
    let link = make_link(&ann, json!({"room": "plans"})).await;
    assert_eq!(link["url"], format!("{origin}/invite/{}", code(&link)));
}
