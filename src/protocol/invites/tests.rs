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
fn a_link_lives_seven_days_without_a_use_limit_unless_told() {
    let e = parse_payload::<CreateInviteLink>(Some(json!({"room": "plans"}))).unwrap();
    assert_eq!(e.minutes(), 7 * 24 * 60);
    assert_eq!(e.max_uses, None);
    assert!(e.check().is_ok());
    let e = parse_payload::<CreateInviteLink>(Some(
        json!({"room": "plans", "expiresInMinutes": 1, "maxUses": 1000}),
    ))
    .unwrap();
    assert_eq!((e.minutes(), e.max_uses), (1, Some(1000)));
    assert!(e.check().is_ok());
    let e = parse_payload::<CreateInviteLink>(Some(
        json!({"room": "plans", "expiresInMinutes": 43200, "maxUses": null}),
    ))
    .unwrap();
    assert_eq!((e.minutes(), e.max_uses), (43200, None));
    assert!(e.check().is_ok());
}

#[test]
fn a_links_bounds_are_refused_with_what_they_are() {
    assert_eq!(
        refusal::<CreateInviteLink>(json!({"room": "plans", "expiresInMinutes": 0})),
        "expiresInMinutes must be between 1 and 43200 (30 days), got 0"
    );
    assert_eq!(
        refusal::<CreateInviteLink>(json!({"room": "plans", "expiresInMinutes": 43201})),
        "expiresInMinutes must be between 1 and 43200 (30 days), got 43201"
    );
    assert_eq!(
        refusal::<CreateInviteLink>(json!({"room": "plans", "maxUses": 0})),
        "maxUses must be between 1 and 1000, or left out for no limit, got 0"
    );
    assert_eq!(
        refusal::<CreateInviteLink>(json!({"room": "plans", "maxUses": 1001})),
        "maxUses must be between 1 and 1000, or left out for no limit, got 1001"
    );
    assert!(
        refusal::<CreateInviteLink>(json!({"room": "plans", "maxUses": -1}))
            .starts_with("create-invite-link: maxUses must be")
    );
    assert!(
        refusal::<CreateInviteLink>(json!({"room": "plans", "expiresInMinutes": "soon"}))
            .starts_with("create-invite-link: expiresInMinutes must be")
    );
    assert_eq!(
        refusal::<CreateInviteLink>(json!({"room": "general"})),
        "every account is in general already: no invite link is needed"
    );
}

#[test]
fn a_revoked_id_is_positive() {
    assert_eq!(
        refusal::<RevokeInviteLink>(json!({"room": "plans", "id": 0})),
        "id must be 1 or more, got 0"
    );
    assert_eq!(
        refusal::<RevokeInviteLink>(json!({"room": "plans"})),
        "revoke-invite-link: missing field `id`"
    );
}

#[test]
fn a_code_is_any_short_string_and_never_shown_by_debug() {
    let e = parse_payload::<AcceptInvite>(Some(json!({"code": " abc "}))).unwrap();
    assert_eq!(e.code.as_str(), "abc");
    assert!(!format!("{e:?}").contains("abc"));
    // Not checked further: an unknown code of any shape gets the one
    // refusal from the server.
    assert!(parse_payload::<AcceptInvite>(Some(json!({"code": "!?"}))).is_ok());
    assert_eq!(
        refusal::<AcceptInvite>(json!({"code": "a".repeat(65)})),
        "accept-invite: code must be at most 64 characters (got 65)"
    );
    assert_eq!(
        refusal::<AcceptInvite>(json!({"code": 5})),
        "accept-invite: code must be a string, got 5"
    );
}

#[test]
fn a_made_link_is_acked_with_a_null_max_uses_for_no_limit() {
    let made = InviteLinkMade {
        id: 3,
        code: "c".into(),
        url: "https://chat.example.org/invite/c".into(),
        expires_at: "2026-12-01T00:00:00.000Z".into(),
        max_uses: None,
        uses: 0,
    };
    assert_eq!(
        serde_json::to_value(crate::protocol::Ack::Ok(made)).unwrap(),
        json!({"status": "ok", "id": 3, "code": "c", "url": "https://chat.example.org/invite/c",
               "expiresAt": "2026-12-01T00:00:00.000Z", "maxUses": null, "uses": 0})
    );
    assert_eq!(invite_path("c"), "/invite/c");
}
