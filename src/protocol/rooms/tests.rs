use super::*;
use crate::protocol::parse_payload;
use serde_json::json;

fn refusal<E: ClientEvent + std::fmt::Debug>(payload: serde_json::Value) -> String {
    match parse_payload::<E>(Some(payload)) {
        Ok(event) => event.check().expect_err("refused"),
        Err(e) => e.0,
    }
}

#[test]
fn create_room_defaults_to_a_public_room_without_topic() {
    let e = parse_payload::<CreateRoom>(Some(json!({"room": " dev "}))).unwrap();
    assert_eq!(e.room.as_str(), "dev");
    assert_eq!(e.kind(), RoomKind::Public);
    assert_eq!(e.topic.as_str(), "");
    assert!(!e.accounts_only);
    assert!(e.check().is_ok());
    let e = parse_payload::<CreateRoom>(Some(
        json!({"room": "x", "private": true, "topic": "plans", "accountsOnly": true}),
    ))
    .unwrap();
    assert_eq!(e.kind(), RoomKind::Private);
    assert_eq!(e.topic.as_str(), "plans");
}

#[test]
fn create_room_refusals_name_the_field() {
    assert_eq!(
        refusal::<CreateRoom>(json!({"room": "x", "topic": "a".repeat(251)})),
        "create-room: topic must be at most 250 characters (got 251)"
    );
    assert_eq!(
        refusal::<CreateRoom>(json!({"room": "x", "topic": "two\nlines"})),
        "create-room: topic must not contain control or invisible formatting characters"
    );
    assert_eq!(
        refusal::<CreateRoom>(json!({"room": "x", "private": "yes"})),
        "create-room: private must be true or false, got a string"
    );
    assert_eq!(
        refusal::<CreateRoom>(json!({"room": "general"})),
        "general exists on every server: pick another name"
    );
    assert_eq!(
        refusal::<CreateRoom>(json!({})),
        "create-room: missing field `room`"
    );
}

#[test]
fn a_topic_of_250_characters_is_kept() {
    let e = parse_payload::<CreateRoom>(Some(json!({"room": "x", "topic": "é".repeat(250)})));
    assert_eq!(e.unwrap().topic.as_str().chars().count(), 250);
}

#[test]
fn set_role_takes_the_three_roles() {
    let e = parse_payload::<SetRole>(Some(
        json!({"room": "x", "username": "bob", "role": "moderator"}),
    ))
    .unwrap();
    assert_eq!(e.role, Role::Moderator);
    assert_eq!(
        refusal::<SetRole>(json!({"room": "x", "username": "bob", "role": "admin"})),
        "set-role: role must be member, moderator or owner, got \"admin\""
    );
    assert!(Role::Owner > Role::Moderator && Role::Moderator > Role::Member);
}

#[test]
fn room_settings_needs_something_to_change() {
    assert_eq!(
        refusal::<RoomSettings>(json!({"room": "x"})),
        "give at least one of topic, accountsOnly, invitesBy, archived, slowSeconds, locked"
    );
    assert_eq!(
        refusal::<RoomSettings>(json!({"room": "x", "slowSeconds": 21601})),
        "slowSeconds must be at most 21600 (six hours; 0 turns slow mode off)"
    );
    assert_eq!(
        refusal::<RoomSettings>(json!({"room": "x", "slowSeconds": -1})),
        "room-settings: slowSeconds must be a whole number, 0 or more, got -1"
    );
    let e = parse_payload::<RoomSettings>(Some(json!({"room": "x", "locked": true}))).unwrap();
    assert_eq!(e.locked, Some(true));
    assert!(e.check().is_ok());
    assert_eq!(
        refusal::<RoomSettings>(json!({"room": "x", "invitesBy": "anyone"})),
        "room-settings: invitesBy must be members or moderators, got \"anyone\""
    );
    assert_eq!(
        refusal::<RoomSettings>(json!({"room": "general", "archived": true})),
        "general cannot be archived"
    );
    let e = parse_payload::<RoomSettings>(Some(json!({"room": "x", "topic": ""}))).unwrap();
    assert_eq!(e.topic, Some(Topic::empty()));
    assert!(e.check().is_ok());
}

#[test]
fn the_directory_takes_no_payload_or_a_query() {
    assert_eq!(
        RoomDirectory::from_payload(None).unwrap(),
        RoomDirectory::default()
    );
    let e = RoomDirectory::from_payload(Some(json!({"query": " de "}))).unwrap();
    assert_eq!(e.query.unwrap().as_str(), "de");
    assert_eq!(
        RoomDirectory::from_payload(Some(json!({"query": "x".repeat(65)})))
            .unwrap_err()
            .0,
        "room-directory: query must be at most 64 characters (got 65)"
    );
    assert_eq!(MyRooms::from_payload(Some(json!(5))).unwrap(), MyRooms {});
}

#[test]
fn room_info_has_the_protocol_shape() {
    let info = RoomInfo {
        room: RoomName::parse("dev").unwrap(),
        kind: RoomKind::Private,
        topic: Topic::parse("plans").unwrap(),
        creator: Some(Username::parse("ann").unwrap()),
        created_at: "2026-12-06T18:00:00.000Z".into(),
        members: 2,
        archived: false,
        accounts_only: true,
        invites_by: InvitesBy::Members,
        slow_seconds: 30,
        locked: false,
        role: Some(Role::Owner),
    };
    assert_eq!(
        serde_json::to_value(&info).unwrap(),
        json!({"room": "dev", "kind": "private", "topic": "plans", "creator": "ann",
               "createdAt": "2026-12-06T18:00:00.000Z", "members": 2, "archived": false,
               "accountsOnly": true, "invitesBy": "members", "slowSeconds": 30,
               "locked": false, "role": "owner"})
    );
    let added = RoomAdded {
        info: info.clone(),
        by: Some(Username::parse("ann").unwrap()),
    };
    let mut expected = serde_json::to_value(&info).unwrap();
    expected["by"] = json!("ann");
    assert_eq!(serde_json::to_value(&added).unwrap(), expected);
    assert_eq!(
        serde_json::from_value::<RoomAdded>(expected).unwrap(),
        added
    );
}

#[test]
fn the_refusals_read_well() {
    let room = RoomName::parse("plans").unwrap();
    assert_eq!(
        no_such_room(&room),
        "There is no room named plans that you can open"
    );
    assert_eq!(
        role_set(&Username::parse("bob").unwrap(), Role::Moderator, &room),
        "bob is now a moderator of plans"
    );
    assert_eq!(
        role_set(&Username::parse("bob").unwrap(), Role::Owner, &room),
        "bob is now the owner of plans"
    );
    assert_eq!(
        role_set(&Username::parse("bob").unwrap(), Role::Member, &room),
        "bob is now a member of plans"
    );
}
