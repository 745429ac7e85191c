use super::*;
use crate::protocol::rooms::{RoomKind, Topic};
use crate::server::store::test_db::{name, room};
use crate::server::store::{Created, Entered, NewRoom, RoomMeta};
use chrono::Duration;

/// ann (the owner) and `plans`, a private room of hers.
async fn plans(s: &Store) -> (i64, RoomMeta) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let (topic, name) = (Topic::empty(), room("plans"));
    let made = s.create_room(NewRoom {
        name: &name,
        kind: RoomKind::Private,
        topic: &topic,
        accounts_only: true,
        creator: ann.id,
    });
    let Created::Yes(meta) = made.await.unwrap() else {
        panic!("not made")
    };
    (ann.id, meta)
}

async fn link(s: &Store, room: i64, by: i64, days: i64, max_uses: Option<u32>) -> MadeLink {
    let made = s.create_invite_link(NewInviteLink {
        room,
        creator: by,
        expires_at: Some(chrono::Utc::now() + Duration::days(days)),
        max_uses,
    });
    match made.await.unwrap() {
        LinkMade::Yes(link) => link,
        LinkMade::TooMany => panic!("not made"),
    }
}

fn code(made: &MadeLink) -> InviteCode {
    InviteCode::parse(&made.code).unwrap()
}

async fn uses(s: &Store, link: i64) -> i64 {
    sqlx::query_scalar("SELECT uses FROM invite_links WHERE id = $1")
        .bind(link)
        .fetch_one(&s.writer)
        .await
        .unwrap()
}

async fn a_link_lets_each_account_in_once_and_counts_its_uses(s: Store) {
    let (ann, plans) = plans(&s).await;
    let made = link(&s, plans.id, ann, 7, Some(2)).await;
    assert_eq!(made.code.len(), 32, "192 bits of base64url");
    assert!(made
        .code
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    let cat = s.create_user(&name("cat"), "h").await.unwrap();
    let dan = s.create_user(&name("dan"), "h").await.unwrap();
    let joined = Accepted::Joined(room("plans"));
    assert_eq!(s.accept_invite(&code(&made), bob.id).await.unwrap(), joined);
    assert_eq!(
        s.role_of(plans.id, bob.id).await.unwrap(),
        Some(Role::Member)
    );
    // Again, and by the owner: members already, no use counted.
    for who in [bob.id, ann] {
        let again = s.accept_invite(&code(&made), who).await.unwrap();
        assert_eq!(again, Accepted::Already(room("plans")));
    }
    assert_eq!(uses(&s, made.id).await, 1);
    let listed = s.live_invite_links(plans.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, made.id);
    assert_eq!(listed[0].prefix, made.code[..4]);
    assert_eq!(listed[0].creator, Some(name("ann")));
    assert_eq!((listed[0].uses, listed[0].max_uses), (1, Some(2)));
    assert_eq!(listed[0].expires_at, made.expires_at);
    assert_eq!(s.accept_invite(&code(&made), cat.id).await.unwrap(), joined);
    // Used up: nobody else, and no longer listed.
    let refused = s.accept_invite(&code(&made), dan.id).await.unwrap();
    assert_eq!(refused, Accepted::Invalid);
    assert_eq!(s.role_of(plans.id, dan.id).await.unwrap(), None);
    assert_eq!(uses(&s, made.id).await, 2);
    assert_eq!(s.live_invite_links(plans.id).await.unwrap(), []);
}

async fn only_the_codes_hash_is_stored(s: Store) {
    let (ann, plans) = plans(&s).await;
    let made = link(&s, plans.id, ann, 7, None).await;
    let row: (String, String) =
        sqlx::query_as("SELECT code_hash, code_prefix FROM invite_links WHERE id = $1")
            .bind(made.id)
            .fetch_one(&s.writer)
            .await
            .unwrap();
    assert_eq!(row.0, code_hash(&made.code));
    assert_eq!(row.0.len(), 64);
    assert!(!row.0.contains(&made.code));
    assert_eq!(row.1, made.code[..PREFIX_CHARS]);
    // A database reader holding the hash holds no code.
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    let hash = InviteCode::parse(&row.0).unwrap();
    assert_eq!(
        s.accept_invite(&hash, bob.id).await.unwrap(),
        Accepted::Invalid
    );
    assert!(!format!("{made:?}").contains(&made.code));
}

async fn expired_revoked_and_unknown_codes_let_nobody_in(s: Store) {
    let (ann, plans) = plans(&s).await;
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    let expired = link(&s, plans.id, ann, -1, None).await;
    let revoked = link(&s, plans.id, ann, 7, None).await;
    assert_eq!(
        s.revoke_invite_link(plans.id, revoked.id).await.unwrap(),
        Revoked::Yes
    );
    // Revoking again: the same answer, nothing changes.
    assert_eq!(
        s.revoke_invite_link(plans.id, revoked.id).await.unwrap(),
        Revoked::Yes
    );
    let unknown = InviteCode::parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
    let empty = InviteCode::parse("").unwrap();
    for code in [code(&expired), code(&revoked), unknown, empty] {
        let refused = s.accept_invite(&code, bob.id).await.unwrap();
        assert_eq!(refused, Accepted::Invalid);
    }
    assert_eq!(s.role_of(plans.id, bob.id).await.unwrap(), None);
    assert_eq!(
        (uses(&s, expired.id).await, uses(&s, revoked.id).await),
        (0, 0)
    );
    assert_eq!(s.live_invite_links(plans.id).await.unwrap(), []);
    // A link of another room is not this room's to revoke.
    assert_eq!(
        s.revoke_invite_link(plans.id + 1000, revoked.id)
            .await
            .unwrap(),
        Revoked::NoSuchLink
    );
    assert_eq!(
        s.invite_link_creator(plans.id, expired.id).await.unwrap(),
        Some(Some(ann))
    );
    assert_eq!(s.invite_link_creator(plans.id, 9999).await.unwrap(), None);
}

async fn acceptances_at_once_never_exceed_max_uses(s: Store) {
    let (ann, plans) = plans(&s).await;
    let made = link(&s, plans.id, ann, 7, Some(3)).await;
    let mut accounts = Vec::new();
    for i in 0..10 {
        accounts.push(s.create_user(&name(&format!("u{i}")), "h").await.unwrap());
    }
    let tries = accounts.iter().map(|a| {
        let (s, code, id) = (s.clone(), code(&made), a.id);
        tokio::spawn(async move { s.accept_invite(&code, id).await.unwrap() })
    });
    let mut joined = 0;
    for done in futures_util::future::join_all(tries).await {
        match done.unwrap() {
            Accepted::Joined(_) => joined += 1,
            Accepted::Invalid => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(joined, 3);
    assert_eq!(uses(&s, made.id).await, 3);
    let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE room_id = $1")
        .bind(plans.id)
        .fetch_one(&s.writer)
        .await
        .unwrap();
    assert_eq!(members, 1 + 3, "ann and three");
}

async fn an_account_with_all_its_rooms_is_refused_and_no_use_counted(s: Store) {
    let (ann, plans) = plans(&s).await;
    let made = link(&s, plans.id, ann, 7, Some(1)).await;
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    for i in 0..MAX_JOINED_ROOMS {
        let entered = s.enter_public(&room(&format!("r{i}")), Some(bob.id)).await;
        assert!(matches!(entered.unwrap(), Entered::Public(_)));
    }
    let full = s.accept_invite(&code(&made), bob.id).await.unwrap();
    assert_eq!(full, Accepted::Full);
    assert_eq!(s.role_of(plans.id, bob.id).await.unwrap(), None);
    assert_eq!(uses(&s, made.id).await, 0);
    // The link's one use is still there for someone else.
    let cat = s.create_user(&name("cat"), "h").await.unwrap();
    let joined = s.accept_invite(&code(&made), cat.id).await.unwrap();
    assert_eq!(joined, Accepted::Joined(room("plans")));
}

async fn a_room_has_a_bounded_number_of_live_links(s: Store) {
    let (ann, plans) = plans(&s).await;
    let mut first = None;
    for _ in 0..MAX_LIVE_INVITE_LINKS {
        first.get_or_insert(link(&s, plans.id, ann, 7, None).await);
    }
    let more = s.create_invite_link(NewInviteLink {
        room: plans.id,
        creator: ann,
        expires_at: None,
        max_uses: None,
    });
    assert_eq!(more.await.unwrap(), LinkMade::TooMany);
    let listed = s.live_invite_links(plans.id).await.unwrap();
    assert_eq!(listed.len(), MAX_LIVE_INVITE_LINKS);
    assert!(listed.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let Some(first) = first else {
        panic!("none made")
    };
    s.revoke_invite_link(plans.id, first.id).await.unwrap();
    link(&s, plans.id, ann, 7, None).await;
}

async fn the_housekeeping_deletes_links_dead_for_a_day(s: Store) {
    let (ann, plans) = plans(&s).await;
    let long_expired = link(&s, plans.id, ann, -2, None).await;
    let just_expired = link(&s, plans.id, ann, 0, None).await;
    let live = link(&s, plans.id, ann, 7, None).await;
    let revoked = link(&s, plans.id, ann, 7, None).await;
    let old = time_text(chrono::Utc::now() - Duration::days(2));
    sqlx::query("UPDATE invite_links SET revoked_at = $1 WHERE id = $2")
        .bind(&old)
        .bind(revoked.id)
        .execute(&s.writer)
        .await
        .unwrap();
    s.housekeep().await.unwrap();
    let left: Vec<i64> = sqlx::query_scalar("SELECT id FROM invite_links ORDER BY id")
        .fetch_all(&s.writer)
        .await
        .unwrap();
    assert_eq!(left, [just_expired.id, live.id]);
    assert_ne!(long_expired.id, revoked.id);
    // And a room's links go with it.
    sqlx::query("DELETE FROM memberships WHERE room_id = $1")
        .bind(plans.id)
        .execute(&s.writer)
        .await
        .unwrap();
    sqlx::query("DELETE FROM rooms WHERE id = $1")
        .bind(plans.id)
        .execute(&s.writer)
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invite_links")
        .fetch_one(&s.writer)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

crate::server::store::test_db::on_both_backends!(
    a_link_lets_each_account_in_once_and_counts_its_uses,
    only_the_codes_hash_is_stored,
    expired_revoked_and_unknown_codes_let_nobody_in,
    acceptances_at_once_never_exceed_max_uses,
    an_account_with_all_its_rooms_is_refused_and_no_use_counted,
    a_room_has_a_bounded_number_of_live_links,
    the_housekeeping_deletes_links_dead_for_a_day
);
