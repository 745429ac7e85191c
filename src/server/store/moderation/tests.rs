use super::*;
use crate::protocol::history::Cursor;
use crate::protocol::moderation::AuditAction;
use crate::server::store::test_db::{name, room, text, ts};
use crate::server::store::{Appended, Author, Entered};

fn audit<'a>(actor: i64, action: AuditAction, room: &'a RoomMeta, target: i64) -> Audit<'a> {
    Audit {
        actor,
        action,
        room: Some((room.id, &room.name)),
        target: Some(target),
        reason: None,
        detail: String::new(),
    }
}

async fn public_room(s: &Store, name: &str, owner: i64) -> RoomMeta {
    match s.enter_public(&room(name), Some(owner)).await.unwrap() {
        Entered::Public(meta) => meta,
        other => panic!("not public: {other:?}"),
    }
}

async fn a_ban_ends_the_membership_and_holds_until_lifted(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    let dev = public_room(&s, "dev", ann.id).await;
    s.enter_public(&room("dev"), Some(bob.id)).await.unwrap();
    // Cached as a member first: the ban must reach the cache.
    let before = s.standing(dev.id, bob.id).await.unwrap();
    assert_eq!(before.role, Some(Role::Member));
    let reason = Reason::parse("spam").unwrap();
    let banned = Audit {
        reason: Some(&reason),
        ..audit(ann.id, AuditAction::Ban, &dev, bob.id)
    };
    s.sanction(
        &dev,
        bob.id,
        SanctionKind::Ban,
        Until::Forever,
        Some(&reason),
        banned,
    )
    .await
    .unwrap();
    let standing = s.standing(dev.id, bob.id).await.unwrap();
    assert_eq!(standing.role, None, "a ban ends the membership");
    assert_eq!(standing.ban(now_ms()), Some(Until::Forever));
    let bans = s.room_bans(dev.id).await.unwrap();
    assert_eq!(bans.len(), 1);
    assert_eq!(bans[0].username.as_str(), "bob");
    assert_eq!(bans[0].until, "forever");
    assert_eq!(bans[0].by.as_ref().map(Username::as_str), Some("ann"));
    assert_eq!(bans[0].reason, Some(reason));
    // The owner cannot lose the room by a ban.
    s.sanction(
        &dev,
        ann.id,
        SanctionKind::Ban,
        Until::Forever,
        None,
        audit(ann.id, AuditAction::Ban, &dev, ann.id),
    )
    .await
    .unwrap();
    let owner = s.standing(dev.id, ann.id).await.unwrap();
    assert_eq!(owner.role, Some(Role::Owner));

    let unban = || audit(ann.id, AuditAction::Unban, &dev, bob.id);
    assert!(s
        .lift(&dev, bob.id, SanctionKind::Ban, unban())
        .await
        .unwrap());
    let after = s.standing(dev.id, bob.id).await.unwrap();
    assert_eq!(after.ban(now_ms()), None);
    let again = s
        .lift(&dev, bob.id, SanctionKind::Ban, unban())
        .await
        .unwrap();
    assert!(!again, "nothing left to lift");
    let log = s.audit_log(Some(dev.id), None, 10).await.unwrap();
    let actions: Vec<AuditAction> = log.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [AuditAction::Unban, AuditAction::Ban, AuditAction::Ban],
        "newest first, one entry per action that did something"
    );
    assert_eq!(log[2].actor.as_ref().map(Username::as_str), Some("ann"));
    assert_eq!(log[2].target.as_ref().map(Username::as_str), Some("bob"));
    assert_eq!(log[2].reason.as_ref().map(Reason::as_str), Some("spam"));
    let older = s
        .audit_log(Some(dev.id), Some(log[1].id), 10)
        .await
        .unwrap();
    assert_eq!(older.len(), 1, "before pages back");
}

async fn a_timed_mute_ends_by_itself_and_members_show_it(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    let cat = s.create_user(&name("cat"), "h").await.unwrap();
    let dev = public_room(&s, "dev", ann.id).await;
    for who in [bob.id, cat.id] {
        s.enter_public(&room("dev"), Some(who)).await.unwrap();
    }
    for (who, until) in [
        (bob.id, Until::At(now_ms() + 60_000)),
        (cat.id, Until::At(now_ms() - 1)),
    ] {
        let entry = audit(ann.id, AuditAction::Mute, &dev, who);
        s.sanction(&dev, who, SanctionKind::Mute, until, None, entry)
            .await
            .unwrap();
    }
    let bobs = s.standing(dev.id, bob.id).await.unwrap();
    assert!(bobs.mute(now_ms()).is_some());
    assert_eq!(bobs.role, Some(Role::Member), "a mute keeps the membership");
    let cats = s.standing(dev.id, cat.id).await.unwrap();
    assert_eq!(
        cats.mute(now_ms()),
        None,
        "an ended mute counts for nothing"
    );
    let (members, total) = s.room_members(dev.id, 10).await.unwrap();
    assert_eq!(total, 3);
    let shown: Vec<(&str, Role, bool)> = members
        .iter()
        .map(|m| (m.username.as_str(), m.role, m.muted_until.is_some()))
        .collect();
    assert_eq!(
        shown,
        [
            ("ann", Role::Owner, false),
            ("bob", Role::Member, true),
            ("cat", Role::Member, false)
        ]
    );
    assert_eq!(s.room_members(dev.id, 1).await.unwrap().0.len(), 1);
    assert_eq!(purge_ended_sanctions(&s.writer).await.unwrap(), 1);
}

async fn removing_keeps_the_owner_and_is_audited(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    let dev = public_room(&s, "dev", ann.id).await;
    s.enter_public(&room("dev"), Some(bob.id)).await.unwrap();
    let entry = |who: i64| audit(ann.id, AuditAction::Remove, &dev, who);
    assert!(s.remove_member(&dev, bob.id, entry(bob.id)).await.unwrap());
    let twice = s.remove_member(&dev, bob.id, entry(bob.id)).await.unwrap();
    assert!(!twice, "not a member any more");
    let owner = s.remove_member(&dev, ann.id, entry(ann.id)).await.unwrap();
    assert!(!owner, "the owner stays");
    assert_eq!(s.standing(dev.id, bob.id).await.unwrap().role, None);
    assert_eq!(s.audit_log(None, None, 10).await.unwrap().len(), 1);
}

async fn a_deleted_message_leaves_a_tombstone_and_no_text(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let dev = public_room(&s, "dev", ann.id).await;
    let by = Author::Account(ann.id);
    let mut ids = Vec::new();
    for body in ["secret plan", "second"] {
        let sent = s
            .append_message(&room("dev"), &name("ann"), &by, &text(body), None, &ts())
            .await
            .unwrap();
        let Appended::New(m) = sent else {
            panic!("a duplicate")
        };
        ids.push(m.id);
    }
    let author = s.message_author(dev.id, ids[0]).await.unwrap();
    assert_eq!(author, Some(Some(ann.id)));
    let gone = s.delete_message(&dev, ids[0], None).await.unwrap();
    let gone = gone.unwrap();
    assert_eq!((gone.id, gone.seq), (ids[0], 1));
    assert!(gone.state.deleted && gone.state.change > 0);
    assert_eq!(s.delete_message(&dev, ids[0], None).await.unwrap(), None);
    assert_eq!(s.message_author(dev.id, ids[0]).await.unwrap(), None);
    let other = public_room(&s, "other", ann.id).await;
    assert_eq!(
        s.delete_message(&other, ids[1], None).await.unwrap(),
        None,
        "a message is deleted only through its own room"
    );
    let body: String = sqlx::query_scalar("SELECT body FROM messages WHERE id = $1")
        .bind(ids[0])
        .fetch_one(&s.reader)
        .await
        .unwrap();
    assert_eq!(body, "", "the text is gone from the database");
    let (page, _) = s.history(&room("dev"), Cursor::Latest, 10).await.unwrap();
    let shown: Vec<(i64, bool, &str)> = page
        .iter()
        .map(|m| (m.seq, m.deleted, m.message.as_str()))
        .collect();
    assert_eq!(shown, [(1, true, ""), (2, false, "second")]);
}

async fn a_deleted_room_takes_its_history_and_its_name_comes_free(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let dev = public_room(&s, "dev", ann.id).await;
    let by = Author::Account(ann.id);
    s.append_message(&room("dev"), &name("ann"), &by, &text("hi"), None, &ts())
        .await
        .unwrap();
    let entry = Audit {
        actor: ann.id,
        action: AuditAction::DeleteRoom,
        room: Some((dev.id, &dev.name)),
        target: None,
        reason: None,
        detail: String::new(),
    };
    s.delete_room(&dev, entry).await.unwrap();
    assert_eq!(s.room_meta(&room("dev")).await.unwrap(), None);
    let log = s.audit_log(None, None, 10).await.unwrap();
    assert_eq!(log[0].room.as_ref().map(RoomName::as_str), Some("dev"));
    // The writer's cached id of the old room is not used for the new one.
    let again = s
        .append_message(&room("dev"), &name("ann"), &by, &text("new"), None, &ts())
        .await
        .unwrap();
    let Appended::New(m) = again else {
        panic!("a duplicate")
    };
    assert_eq!(m.seq, 1, "a new room of the same name starts again");
    let changes = s.room_changes_after(0, 10).await.unwrap();
    let dev_changed = |c: &changes::RoomChange| {
        c.room.as_ref().map(RoomName::as_str) == Some("dev") && c.account.is_none()
    };
    assert!(changes.iter().any(dev_changed));
    assert!(s.last_room_change().await.unwrap() >= changes[0].id);
}

async fn a_server_ban_revokes_every_session(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    for id in ["s1", "s2"] {
        s.create_session(id, bob.id, u64::MAX / 4).await.unwrap();
    }
    let entry = Audit {
        actor: ann.id,
        action: AuditAction::BanAccount,
        room: None,
        target: Some(bob.id),
        reason: None,
        detail: String::new(),
    };
    let reason = Reason::parse("abuse").unwrap();
    let mut ended = s
        .ban_account(bob.id, Some(&reason), entry.clone())
        .await
        .unwrap();
    ended.sort();
    assert_eq!(ended, ["s1", "s2"]);
    assert!(!s.session_active("s1").await.unwrap());
    assert_eq!(s.account_ban(bob.id).await.unwrap(), Some(Some(reason)));
    assert_eq!(s.account_ban(ann.id).await.unwrap(), None);
    let lifted = Audit {
        action: AuditAction::UnbanAccount,
        ..entry
    };
    assert!(s.unban_account(bob.id, lifted.clone()).await.unwrap());
    assert!(!s.unban_account(bob.id, lifted).await.unwrap());
    assert_eq!(s.account_ban(bob.id).await.unwrap(), None);
}

async fn admins_list_every_room(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    public_room(&s, "dev", ann.id).await;
    let topic = crate::protocol::rooms::Topic::empty();
    s.create_room(crate::server::store::NewRoom {
        name: &room("secret"),
        kind: RoomKind::Private,
        topic: &topic,
        accounts_only: true,
        creator: ann.id,
    })
    .await
    .unwrap();
    let all = s.all_rooms(None, 50).await.unwrap();
    let names: Vec<(&str, RoomKind)> = all.iter().map(|r| (r.room.as_str(), r.kind)).collect();
    assert!(names.contains(&("secret", RoomKind::Private)));
    assert!(names.contains(&("dev", RoomKind::Public)));
    let q = DirectoryQuery::parse("SEC").unwrap();
    assert_eq!(s.all_rooms(Some(&q), 50).await.unwrap().len(), 1);
}

crate::server::store::test_db::on_both_backends!(
    a_ban_ends_the_membership_and_holds_until_lifted,
    a_timed_mute_ends_by_itself_and_members_show_it,
    removing_keeps_the_owner_and_is_audited,
    a_deleted_message_leaves_a_tombstone_and_no_text,
    a_deleted_room_takes_its_history_and_its_name_comes_free,
    a_server_ban_revokes_every_session,
    admins_list_every_room
);
