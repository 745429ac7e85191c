//! Direct messages, unread counts, and the alerts of /notifications.

use crate::helpers::{spawn_app, Sock, TestApp, TransportType, QUIET};
use huddle::protocol::notifications::UserId;
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

/// A DM's client id is one send to one person: the same id sent to
/// someone else is another message, stored and delivered.
#[tokio::test]
async fn a_dm_client_id_dedupes_per_conversation_only() {
    let app = spawn_app().await;
    let (ann, bob) = (person(&app, "ann").await, person(&app, "bob").await);
    let carol = person(&app, "carol").await;
    let ann1 = chat(&app, &ann, "ann").await;
    let mut carol1 = chat(&app, &carol, "carol").await;
    let to = |who: &str| json!({"to": who, "message": format!("for {who}"), "clientId": "dm-x"});
    let for_bob = ann1.request("send-dm", to("bob")).await;
    let for_carol = ann1.request("send-dm", to("carol")).await;
    assert_ok(&for_bob);
    assert_ok(&for_carol);
    assert_ne!(for_bob["id"], for_carol["id"]);
    assert_eq!(carol1.next("new-dm").await["message"], "for carol");
    let page = carol1.request("dm-history", json!({"with": "ann"})).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1, "{page}");
    let retry = ann1.request("send-dm", to("carol")).await;
    assert_eq!(retry["id"], for_carol["id"]);
    carol1.assert_no("new-dm").await;
    let _ = bob;
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

fn assert_ok(ack: &Value) {
    assert_eq!(ack["status"], "ok", "{ack}");
}

#[tokio::test]
async fn a_dm_alerts_a_recipient_who_is_not_looking() {
    let app = spawn_app().await;
    let (ann, bob) = (person(&app, "ann").await, person(&app, "bob").await);
    let ann1 = chat(&app, &ann, "ann").await;
    let bob1 = chat(&app, &bob, "bob").await;
    let mut bob_alerts = alerts(&app, &bob).await;
    let dm = |text: &str| json!({"to": "bob", "message": text});

    assert_ok(&ann1.request("send-dm", dm("are you there?")).await);
    assert_eq!(
        next_alert(&mut bob_alerts).await,
        json!({"kind": "dm", "from": "ann", "preview": "are you there?"})
    );
    // Looking at the conversation: no alert.
    assert_ok(&bob1.request("focus", json!({"with": "ann"})).await);
    assert_ok(&ann1.request("send-dm", dm("ok, seen")).await);
    // Looking elsewhere again: the next alert is for the next message, so
    // the one before it raised none.
    assert_ok(&bob1.request("focus", json!({"room": "general"})).await);
    assert_ok(&ann1.request("send-dm", dm("and now?")).await);
    assert_eq!(
        next_alert(&mut bob_alerts).await,
        json!({"kind": "dm", "from": "ann", "preview": "and now?"})
    );
}

#[tokio::test]
async fn a_mention_alerts_unless_the_room_is_open() {
    let app = spawn_app().await;
    let bob = person(&app, "bob").await;
    let bob1 = chat(&app, &bob, "bob").await;
    let mut bob_alerts = alerts(&app, &bob).await;
    let carol = app.joined("carol").await;
    let say = |room: &str, text: &str| json!({"message": text, "room": room});

    assert_ok(
        &carol
            .request("send-message", say("dev", "ping @bob, see this"))
            .await,
    );
    assert_eq!(
        next_alert(&mut bob_alerts).await,
        json!({"kind": "mention", "from": "carol", "room": "dev", "preview": "ping @bob, see this"})
    );
    assert_ok(&bob1.request("focus", json!({"room": "dev"})).await);
    assert_ok(
        &carol
            .request("send-message", say("dev", "@bob again"))
            .await,
    );
    // Mentioning someone with no account alerts no one and changes nothing.
    assert_ok(&carol.request("send-message", say("dev", "@nobody")).await);
    // A mention in a room Bob is not looking at: the next alert he gets is
    // this one, so the two before raised none.
    assert_ok(
        &carol
            .request("send-message", say("ops", "@bob over here"))
            .await,
    );
    assert_eq!(
        next_alert(&mut bob_alerts).await,
        json!({"kind": "mention", "from": "carol", "room": "ops", "preview": "@bob over here"})
    );
}

/// Anyone may subscribe to any id and gets the tutorial's ack; but
/// Huddle's own alerts (DM previews, mentions) go to the account's own
/// logged-in sockets only, through an internal room no subscription can
/// name. Account ids are sequential: a guest subscribed in advance to the
/// next ones reads none of the new accounts' alerts.
#[tokio::test]
async fn a_subscription_to_an_account_id_reads_none_of_its_alerts() {
    let app = spawn_app().await;
    let ann = person(&app, "ann").await;
    let mut spy = Sock::connect(&app, "/notifications", TransportType::Websocket).await;
    for id in ann.id + 1..=ann.id + 5 {
        let ack = spy
            .request("subscribe-to-notifications", json!({"userId": id}))
            .await;
        assert_eq!(
            ack,
            json!({"status": "ok", "message": format!("Subscribed to notifications for user {id}")})
        );
    }
    let bob = person(&app, "bob").await;
    assert!(
        bob.id > ann.id && bob.id <= ann.id + 5,
        "ids {} {}",
        ann.id,
        bob.id
    );
    let mut bob_alerts = alerts(&app, &bob).await;
    let mut ann_alerts = alerts(&app, &ann).await;
    let ann1 = chat(&app, &ann, "ann").await;
    let bob1 = chat(&app, &bob, "bob").await;
    let carol = app.joined("carol").await;

    assert_ok(
        &ann1
            .request("send-dm", json!({"to": "bob", "message": "first secret"}))
            .await,
    );
    assert_eq!(
        next_alert(&mut bob_alerts).await,
        json!({"kind": "dm", "from": "ann", "preview": "first secret"})
    );
    assert_ok(
        &carol
            .request(
                "send-message",
                json!({"message": "hey @ann", "room": "ops"}),
            )
            .await,
    );
    assert_eq!(next_alert(&mut ann_alerts).await["preview"], "hey @ann");
    assert_ok(
        &bob1
            .request("send-dm", json!({"to": "ann", "message": "reply"}))
            .await,
    );
    assert_eq!(next_alert(&mut ann_alerts).await["preview"], "reply");
    // The tutorial's notifier still reaches the subscription; the first
    // notification the spy gets is that one, so no alert reached it.
    let marker = json!({"tutorial": "push"});
    app.state
        .io
        .notify(&UserId::parse(&bob.id.to_string()).unwrap(), &marker)
        .await
        .expect("notify");
    assert_eq!(spy.next("notification").await, marker);
    // Bob's socket got each alert once: the push to `user-<id>` reaches
    // it as a subscriber, after the alert and nothing between.
    assert_eq!(bob_alerts.next("notification").await, marker);
    // An id that is an account's may be subscribed to as well, as in the
    // tutorial: it carries no alert.
    let ack = spy
        .request("subscribe-to-notifications", json!({"userId": ann.id}))
        .await;
    assert_eq!(ack["status"], "ok", "{ack}");
    assert_ok(
        &bob1
            .request("send-dm", json!({"to": "ann", "message": "again"}))
            .await,
    );
    assert_eq!(next_alert(&mut ann_alerts).await["preview"], "again");
    let marker = json!({"tutorial": "second"});
    app.state
        .io
        .notify(&UserId::parse(&ann.id.to_string()).unwrap(), &marker)
        .await
        .expect("notify");
    assert_eq!(spy.next("notification").await, marker);
}

#[tokio::test]
async fn internal_rooms_cannot_be_joined() {
    let app = spawn_app().await;
    let bob = person(&app, "bob").await;
    let ann = person(&app, "ann").await;
    let ann1 = chat(&app, &ann, "ann").await;
    let mut bob1 = chat(&app, &bob, "bob").await;
    let mut spy = app.joined("spy").await;
    for room in [
        format!("user-{}", bob.id),
        format!("user:{}", bob.id),
        format!("\u{1}user:{}", bob.id),
    ] {
        let ack = spy.request("join-room", json!({ "room": room })).await;
        eprintln!("join-room {room:?}: {ack}");
    }
    assert_ok(
        &ann1
            .request("send-dm", json!({"to": "bob", "message": "secret"}))
            .await,
    );
    assert_eq!(bob1.next("new-dm").await["message"], "secret");
    // A room message after the DM reaches the spy; the DM did not.
    assert_ok(
        &ann1
            .request("send-message", json!({"message": "public"}))
            .await,
    );
    let (message, before) = spy.until("new-message").await;
    assert_eq!(message["message"], "public");
    assert!(before.iter().all(|(e, _)| e != "new-dm"), "{before:?}");
}

/// A message with many `@names` notifies at most the first
/// `MAX_MENTIONS_NOTIFIED` distinct names (in any case, the author's own
/// not counted), looked up at once (#13 item 8).
#[tokio::test]
async fn a_message_notifies_at_most_the_first_mentions() {
    use huddle::protocol::limits::MAX_MENTIONS_NOTIFIED;
    let app = spawn_app().await;
    let author = person(&app, "author").await;
    let author1 = chat(&app, &author, "author").await;
    let mut people = Vec::new();
    for i in 0..MAX_MENTIONS_NOTIFIED + 5 {
        let name = format!("m{i:02}");
        let p = person(&app, &name).await;
        let sock = alerts(&app, &p).await;
        people.push((name, sock));
    }
    // The author, and the first name again in capitals, count for nothing.
    let mut text = String::from("@author @M00");
    for (name, _) in &people {
        text.push_str(&format!(" @{name} @{}", name.to_uppercase()));
    }
    assert_ok(
        &author1
            .request("send-message", json!({"message": text, "room": "dev"}))
            .await,
    );
    for (name, sock) in people.iter_mut().take(MAX_MENTIONS_NOTIFIED) {
        let alert = next_alert(sock).await;
        assert_eq!(alert["kind"], "mention", "{name}: {alert}");
    }
    // Nothing more for anyone: one alert each for the first ones, none for
    // the others.
    tokio::time::sleep(QUIET).await;
    for (name, sock) in people.iter_mut() {
        let more: Vec<_> = sock
            .drain()
            .into_iter()
            .filter(|(event, _)| event == "notification")
            .collect();
        assert!(more.is_empty(), "{name} got {more:?}");
    }
}
