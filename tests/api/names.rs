//! Names that look alike (#13 item 7): a name is the same whatever its
//! case in any script (NFKC + case fold), a guest cannot pass for an
//! account with a look-alike name (UTS #39 skeletons), and characters that
//! draw nothing are no part of any name.

use crate::helpers::spawn_app;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn register(app: &crate::helpers::TestApp, name: &str) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/register", app.url()))
        .json(&json!({"username": name, "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn error(message: &str) -> Value {
    json!({"status": "error", "message": message})
}

#[tokio::test]
async fn names_are_one_name_whatever_their_case_in_any_script() {
    let app = spawn_app().await;
    let session = app.register("Élodie").await;
    let (status, body) = register(&app, "élodie").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body["message"],
        "The username élodie is taken: pick another, or log in"
    );
    // The same name decomposed (E + combining acute) is the same name too.
    let (status, _) = register(&app, "E\u{301}LODIE").await;
    assert_eq!(status, 409);

    let guest = app.chat().await;
    assert_eq!(
        guest.request("join", json!({"username": "ÉLODIE"})).await,
        error("ÉLODIE is a registered name: log in to use it, or pick another")
    );

    // Logging in and joining ignore the case as well.
    let r = reqwest::Client::new()
        .post(format!("{}/api/login", app.url()))
        .json(&json!({"username": "éLODIE", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let own = app.chat_as(session["token"].as_str().unwrap()).await;
    let ack = own.request("join", json!({"username": "élodie"})).await;
    assert_eq!(ack["message"], "Welcome Élodie!", "{ack}");
}

#[tokio::test]
async fn look_alike_names_cannot_pass_for_an_account() {
    let app = spawn_app().await;
    app.register("admin").await;
    // U+0430, Cyrillic small a.
    let (status, body) = register(&app, "\u{430}dmin").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body["message"],
        "The username \u{430}dmin looks like the registered name admin: pick another"
    );
    let guest = app.chat().await;
    for fake in ["\u{430}dmin", "\u{410}DMIN", "adm\u{131}n"] {
        assert_eq!(
            guest.request("join", json!({"username": fake})).await,
            error(&format!(
                "{fake} looks like the registered name admin: log in as admin, or pick another"
            )),
            "{fake}"
        );
    }
    // Full-width letters are the same name, not a look-alike.
    assert_eq!(
        guest
            .request("join", json!({"username": "ＡＤＭＩＮ"}))
            .await,
        error("ＡＤＭＩＮ is a registered name: log in to use it, or pick another")
    );
    // A name that only shares letters is fine.
    assert_eq!(
        guest.request("join", json!({"username": "admiral"})).await["status"],
        "ok"
    );
}

#[tokio::test]
async fn invisible_fillers_are_refused_in_every_name() {
    let app = spawn_app().await;
    let guest = app.chat().await;
    let fillers = [
        '\u{3164}',
        '\u{115F}',
        '\u{1160}',
        '\u{FFA0}',
        '\u{2800}',
        '\u{034F}',
        '\u{FE0F}',
        '\u{E0100}',
        '\u{E0041}',
    ];
    for filler in fillers {
        let name = format!("ad{filler}min");
        assert_eq!(
            guest.request("join", json!({"username": name})).await,
            error("join: username must not contain control or invisible formatting characters"),
            "U+{:04X}",
            filler as u32
        );
        let (status, body) = register(&app, &name).await;
        assert_eq!(status, 400, "U+{:04X}: {body}", filler as u32);
    }
    guest.request("join", json!({"username": "ann"})).await;
    for filler in fillers {
        assert_eq!(
            guest
                .request("join-room", json!({"room": format!("dev{filler}")}))
                .await,
            error("join-room: room must not contain control or invisible formatting characters"),
            "U+{:04X}",
            filler as u32
        );
    }
}
