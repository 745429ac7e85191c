//! Direct messages, unread counts, and the alerts of /notifications.

use crate::helpers::{spawn_app, Sock, TestApp, TransportType};
use serde_json::{json, Value};

struct Person {
    id: i64,
    token: String,
}

async fn person(app: &TestApp, name: &str) -> Person {
    let s = app.register(name).await;
    Person {
        id: s["user"]["id"].as_i64().unwrap(),
        token: s["token"].as_str().unwrap().to_owned(),
    }
}

async fn chat(app: &TestApp, p: &Person, name: &str) -> Sock {
    let s = app.chat_as(&p.token).await;
    assert_eq!(
        s.request("join", json!({"username": name})).await["status"],
        "ok"
    );
    s
}

async fn alerts(app: &TestApp, p: &Person) -> Sock {
    let s = Sock::connect_with(
        app,
        "/notifications",
        TransportType::Websocket,
        None,
        Some(&p.token),
    )
    .await
    .unwrap();
    let ack = s
        .request("subscribe-to-notifications", json!({"userId": p.id}))
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    s
}

#[tokio::test]
async fn a_dm_reaches_every_socket_of_both_people_and_no_one_else() {
    let app = spawn_app().await;
    let (ann, bob) = (person(&app, "ann").await, person(&app, "bob").await);
    let carol = person(&app, "carol").await;
    let mut ann1 = chat(&app, &ann, "ann").await;
    let mut ann2 = chat(&app, &ann, "ann").await;
    let mut bob1 = chat(&app, &bob, "bob").await;
    let mut carol1 = chat(&app, &carol, "carol").await;

    let ack = ann1
        .request(
            "send-dm",
            json!({"to": "BOB", "message": "psst", "clientId": "dm-1"}),
        )
        .await;
    assert_eq!(
        (ack["status"].as_str(), ack["seq"].as_i64()),
        (Some("ok"), Some(1))
    );
    for s in [&mut ann1, &mut ann2, &mut bob1] {
        let dm = s.next("new-dm").await;
        assert_eq!(
            (
                dm["from"].as_str(),
                dm["to"].as_str(),
                dm["message"].as_str()
            ),
            (Some("ann"), Some("bob"), Some("psst"))
        );
    }
    carol1.assert_no("new-dm").await;
    // A retry with the same client id is not delivered again.
    let again = ann1
        .request(
            "send-dm",
            json!({"to": "bob", "message": "psst", "clientId": "dm-1"}),
        )
        .await;
    assert_eq!(again["id"], ack["id"]);
    bob1.assert_no("new-dm").await;

    let page = bob1.request("dm-history", json!({"with": "ann"})).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
    assert_eq!(page["hasMore"], false);

    // Notes to self are a conversation too.
    let note = bob1
        .request("send-dm", json!({"to": "bob", "message": "remember milk"}))
        .await;
    assert_eq!(note["seq"], 1);
    assert_eq!(bob1.next("new-dm").await["to"], "bob");
    carol1.assert_no("new-dm").await;
}

#[tokio::test]
async fn unread_counts_until_read() {
    let app = spawn_app().await;
    let (ann, bob) = (person(&app, "ann").await, person(&app, "bob").await);
    let ann1 = chat(&app, &ann, "ann").await;
    let bob1 = chat(&app, &bob, "bob").await;
    for i in 1..=3 {
        ann1.request("send-dm", json!({"to": "bob", "message": format!("m{i}")}))
            .await;
    }
    let list = bob1.request("dm-list", json!({})).await;
    assert_eq!(
        list["conversations"],
        json!([{"with": "ann", "lastSeq": 3, "unread": 3}])
    );
    assert_eq!(
        bob1.request("mark-read", json!({"with": "ann", "seq": 2}))
            .await["status"],
        "ok"
    );
    let list = bob1.request("dm-list", json!({})).await;
    assert_eq!(list["conversations"][0]["unread"], 1);
    // The sender has nothing unread.
    let list = ann1.request("dm-list", json!({})).await;
    assert_eq!(list["conversations"][0]["unread"], 0);
}

#[tokio::test]
async fn dms_need_an_account_on_both_ends() {
    let app = spawn_app().await;
    let ann = person(&app, "ann").await;
    let guest = app.joined("visitor").await;
    let err = |m: &str| json!({"status": "error", "message": m});
    assert_eq!(
        guest
            .request("send-dm", json!({"to": "ann", "message": "hi"}))
            .await,
        err("Log in to use direct messages")
    );
    assert_eq!(
        guest.request("dm-list", json!({})).await,
        err("Log in to use direct messages")
    );
    let ann1 = chat(&app, &ann, "ann").await;
    assert_eq!(
        ann1.request("send-dm", json!({"to": "visitor", "message": "hi"}))
            .await,
        err("send-dm: no registered user is named visitor")
    );
    assert_eq!(
        ann1.request("send-dm", json!({"to": "bob", "message": ""}))
            .await,
        err("send-dm: message must not be empty")
    );
}

async fn next_alert(s: &mut Sock) -> Value {
    s.next("notification").await
}

#[tokio::test]
async fn a_dm_alerts_a_recipient_who_is_not_looking() {
    let app = spawn_app().await;
    let (ann, bob) = (person(&app, "ann").await, person(&app, "bob").await);
    let ann1 = chat(&app, &ann, "ann").await;
    let bob1 = chat(&app, &bob, "bob").await;
    let mut bob_alerts = alerts(&app, &bob).await;

    ann1.request("send-dm", json!({"to": "bob", "message": "are you there?"}))
        .await;
    assert_eq!(
        next_alert(&mut bob_alerts).await,
        json!({"kind": "dm", "from": "ann", "preview": "are you there?"})
    );
    // Looking at the conversation: no alert.
    bob1.request("focus", json!({"with": "ann"})).await;
    ann1.request("send-dm", json!({"to": "bob", "message": "ok, seen"}))
        .await;
    bob_alerts.assert_no("notification").await;
}

#[tokio::test]
async fn a_mention_alerts_unless_the_room_is_open() {
    let app = spawn_app().await;
    let bob = person(&app, "bob").await;
    let bob1 = chat(&app, &bob, "bob").await;
    let mut bob_alerts = alerts(&app, &bob).await;
    let carol = app.joined("carol").await;

    carol
        .request(
            "send-message",
            json!({"message": "ping @bob, see this", "room": "dev"}),
        )
        .await;
    assert_eq!(
        next_alert(&mut bob_alerts).await,
        json!({"kind": "mention", "from": "carol", "room": "dev", "preview": "ping @bob, see this"})
    );
    bob1.request("focus", json!({"room": "dev"})).await;
    carol
        .request(
            "send-message",
            json!({"message": "@bob again", "room": "dev"}),
        )
        .await;
    bob_alerts.assert_no("notification").await;
    // Mentioning someone with no account alerts no one and changes nothing.
    carol
        .request("send-message", json!({"message": "@nobody", "room": "dev"}))
        .await;
}

#[tokio::test]
async fn only_the_account_subscribes_to_its_alerts() {
    let app = spawn_app().await;
    let bob = person(&app, "bob").await;
    let guest = Sock::connect(&app, "/notifications", TransportType::Websocket).await;
    let ack = guest
        .request("subscribe-to-notifications", json!({"userId": bob.id}))
        .await;
    assert_eq!(
        ack,
        json!({"status": "error", "message": format!("Log in as user {} to subscribe to their notifications", bob.id)})
    );
    // Ids that are no account stay open, as in the tutorial.
    let ack = guest
        .request("subscribe-to-notifications", json!({"userId": 4242}))
        .await;
    assert_eq!(ack["status"], "ok");
    alerts(&app, &bob).await;
}

#[tokio::test]
async fn internal_rooms_cannot_be_joined() {
    let app = spawn_app().await;
    let bob = person(&app, "bob").await;
    let ann = person(&app, "ann").await;
    let ann1 = chat(&app, &ann, "ann").await;
    let mut spy = app.joined("spy").await;
    for room in [
        format!("user-{}", bob.id),
        format!("user:{}", bob.id),
        format!("\u{1}user:{}", bob.id),
    ] {
        let _ = spy.request("join-room", json!({ "room": room })).await;
    }
    ann1.request("send-dm", json!({"to": "bob", "message": "secret"}))
        .await;
    spy.assert_no("new-dm").await;
}
