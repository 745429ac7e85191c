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
fn a_ban_or_mute_lasts_minutes_or_for_good() {
    let ban = parse_payload::<Ban>(Some(
        json!({"room": "dev", "username": "bob", "minutes": 60, "reason": " spam "}),
    ))
    .unwrap();
    assert_eq!(ban.0.minutes, Some(60));
    assert_eq!(ban.0.reason.as_ref().map(Reason::as_str), Some("spam"));
    assert!(ban.check().is_ok());
    let mute = parse_payload::<Mute>(Some(json!({"room": "dev", "username": "bob"}))).unwrap();
    assert_eq!(mute.0.minutes, None);
    assert!(mute.check().is_ok());
    assert_eq!(
        refusal::<Ban>(json!({"room": "dev", "username": "bob", "minutes": 0})),
        "minutes must be at least 1 (leave it out for no end)"
    );
    assert_eq!(
        refusal::<Mute>(json!({"room": "dev", "username": "bob", "minutes": 525_601})),
        "minutes must be at most 525600 (a year; leave it out for no end)"
    );
}

#[test]
fn reasons_are_one_bounded_line() {
    assert!(refusal::<RemoveMember>(
        json!({"room": "dev", "username": "bob", "reason": "x".repeat(501)})
    )
    .contains("reason must be at most 500 characters (got 501)"));
    assert!(refusal::<RemoveMember>(
        json!({"room": "dev", "username": "bob", "reason": "a\u{202e}b"})
    )
    .contains("reason must not contain control or invisible formatting characters"));
}

#[test]
fn delete_message_needs_a_message_id_and_general_stays() {
    assert_eq!(
        refusal::<DeleteMessage>(json!({"room": "dev", "id": 0})),
        "id must be a message's id (a positive number)"
    );
    assert_eq!(
        refusal::<DeleteRoom>(json!({"room": "general"})),
        "general cannot be deleted"
    );
}

#[test]
fn the_audit_log_takes_no_payload_or_a_room() {
    assert_eq!(AuditLog::from_payload(None).unwrap(), AuditLog::default());
    let e = AuditLog::from_payload(Some(json!({"room": "dev", "before": 9}))).unwrap();
    assert_eq!(e.room.unwrap().as_str(), "dev");
    assert_eq!(e.before, Some(9));
    for action in [
        AuditAction::Remove,
        AuditAction::DeleteMessage,
        AuditAction::BanAccount,
    ] {
        assert_eq!(AuditAction::from_name(action.as_str()), Some(action));
        assert_eq!(
            serde_json::to_value(action).unwrap(),
            json!(action.as_str())
        );
    }
}

#[test]
fn server_events_have_the_protocol_shape() {
    let room = RoomName::parse("dev").unwrap();
    let removed = RoomRemoved {
        room: room.clone(),
        by: Some(Username::parse("ann").unwrap()),
        reason: None,
        banned: true,
        until: Some("2026-12-07T10:00:00.000Z".into()),
        deleted: false,
    };
    assert_eq!(
        serde_json::to_value(&removed).unwrap(),
        json!({"room": "dev", "by": "ann", "banned": true,
               "until": "2026-12-07T10:00:00.000Z"})
    );
    assert_eq!(banned(&room, None), "You are banned from dev");
    assert_eq!(
        slowed(&room, 12),
        "Slow mode is on in dev: you can send again in 12 s"
    );
    assert_eq!(
        muted(&room, Some("2026-12-07T10:00:00.000Z")),
        "You are muted in dev until 2026-12-07T10:00:00.000Z: you can read, not post"
    );
}
