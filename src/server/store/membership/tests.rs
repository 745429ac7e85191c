use super::*;
use crate::protocol::moderation::AuditAction;
use crate::protocol::rooms::{DirectoryQuery, InvitesBy, RoomSettings};
use crate::server::store::test_db::{name, room, text, ts, x};
use crate::server::store::Audit;

/// An audit entry for a settings change of `meta` by `actor`.
fn audit_of(meta: &RoomMeta, actor: i64) -> Audit<'_> {
    Audit {
        actor,
        action: AuditAction::Settings,
        room: Some((meta.id, &meta.name)),
        target: None,
        reason: None,
        detail: String::new(),
    }
}

fn new_room<'a>(name: &'a RoomName, kind: RoomKind, topic: &'a Topic, by: i64) -> NewRoom<'a> {
    NewRoom {
        name,
        kind,
        topic,
        accounts_only: false,
        creator: by,
    }
}

async fn the_first_account_is_an_admin_and_admins_are_granted(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    assert!(s.is_admin(ann.id).await.unwrap());
    assert!(!s.is_admin(bob.id).await.unwrap());
    let granted = s.grant_admin(&name("BOB")).await.unwrap().unwrap();
    assert_eq!(granted, bob);
    assert!(s.is_admin(bob.id).await.unwrap());
    assert_eq!(s.grant_admin(&name("nobody")).await.unwrap(), None);
}

async fn a_room_is_made_once_whatever_its_kind(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    let topic = Topic::parse("plans").unwrap();
    let plans = room("plans");
    let Created::Yes(meta) = s
        .create_room(new_room(&plans, RoomKind::Private, &topic, ann.id))
        .await
        .unwrap()
    else {
        panic!("not made")
    };
    assert_eq!(meta.kind, RoomKind::Private);
    assert!(meta.accounts_only, "a private room is for accounts only");
    assert_eq!(s.role_of(meta.id, ann.id).await.unwrap(), Some(Role::Owner));
    // Taken, whatever the kind asked for; a public room of the name is
    // never made by entering it either.
    for kind in [RoomKind::Public, RoomKind::Private] {
        let again = s.create_room(new_room(&plans, kind, &topic, bob.id));
        assert_eq!(again.await.unwrap(), Created::Taken);
    }
    assert_eq!(
        s.enter_public(&plans, Some(bob.id)).await.unwrap(),
        Entered::Private(meta.clone())
    );
    assert_eq!(s.role_of(meta.id, bob.id).await.unwrap(), None);
    // A public room that exists (by a message) is taken too.
    s.append_message(&room("dev"), &name("g"), &x(), &text("hi"), None, &ts())
        .await
        .unwrap();
    let dev = room("dev");
    let made = s.create_room(new_room(&dev, RoomKind::Private, &topic, ann.id));
    assert_eq!(made.await.unwrap(), Created::Taken);

    let info = s.room_info(meta.id).await.unwrap().unwrap();
    assert_eq!(info.room, plans);
    assert_eq!(info.topic, topic);
    assert_eq!(info.creator, Some(name("ann")));
    assert_eq!(info.members, 1);
    assert!(!info.created_at.is_empty());
}

async fn entering_a_public_room_makes_a_member_and_its_maker_the_owner(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    let dev = room("dev");
    let Entered::Public(meta) = s.enter_public(&dev, Some(ann.id)).await.unwrap() else {
        panic!("not public")
    };
    s.enter_public(&dev, Some(bob.id)).await.unwrap();
    s.enter_public(&dev, Some(bob.id)).await.unwrap();
    // A guest makes no member.
    s.enter_public(&dev, None).await.unwrap();
    assert_eq!(s.role_of(meta.id, ann.id).await.unwrap(), Some(Role::Owner));
    assert_eq!(
        s.role_of(meta.id, bob.id).await.unwrap(),
        Some(Role::Member)
    );
    assert_eq!(s.room_info(meta.id).await.unwrap().unwrap().members, 2);
    assert_eq!(
        s.rooms_of(bob.id).await.unwrap(),
        std::slice::from_ref(&dev)
    );
    // Leaving ends a membership; the owner's while others are members
    // stays.
    s.leave_public(&dev, ann.id).await.unwrap();
    assert_eq!(
        s.rooms_of(ann.id).await.unwrap(),
        std::slice::from_ref(&dev)
    );
    s.leave_public(&dev, bob.id).await.unwrap();
    assert_eq!(s.rooms_of(bob.id).await.unwrap(), []);
    s.enter_public(&dev, Some(bob.id)).await.unwrap();
    // A room a guest made, holding nothing, goes when left.
    s.enter_public(&room("passing"), None).await.unwrap();
    assert!(s.room_meta(&room("passing")).await.unwrap().is_some());
    assert!(s.drop_if_empty(&room("passing")).await.unwrap());
    assert_eq!(s.room_meta(&room("passing")).await.unwrap(), None);
    assert!(!s.drop_if_empty(&dev).await.unwrap(), "it has members");
    assert!(!s.drop_if_empty(&room("general")).await.unwrap());
    // The last member leaves, the owner too; the room then goes.
    s.leave_public(&dev, bob.id).await.unwrap();
    s.leave_public(&dev, ann.id).await.unwrap();
    assert_eq!(s.rooms_of(ann.id).await.unwrap(), []);
    assert!(s.drop_if_empty(&dev).await.unwrap());
}

async fn an_account_belongs_to_a_bounded_number_of_rooms(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    for i in 0..MAX_JOINED_ROOMS {
        let entered = s.enter_public(&room(&format!("r{i}")), Some(ann.id)).await;
        assert!(matches!(entered.unwrap(), Entered::Public(_)));
    }
    let more = s.enter_public(&room("one-more"), Some(ann.id)).await;
    assert_eq!(more.unwrap(), Entered::Full);
    assert_eq!(s.room_meta(&room("one-more")).await.unwrap(), None);
    // One it belongs to already is still entered.
    let again = s.enter_public(&room("r0"), Some(ann.id)).await.unwrap();
    assert!(matches!(again, Entered::Public(_)));
    let topic = Topic::empty();
    let x = room("x");
    let made = s.create_room(new_room(&x, RoomKind::Private, &topic, ann.id));
    assert_eq!(made.await.unwrap(), Created::Full);
    assert_eq!(s.room_meta(&room("x")).await.unwrap(), None);
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    let Created::Yes(bobs) = s
        .create_room(new_room(&room("bobs"), RoomKind::Private, &topic, bob.id))
        .await
        .unwrap()
    else {
        panic!("not made")
    };
    assert_eq!(s.add_member(bobs.id, ann.id).await.unwrap(), Added::Full);
}

async fn members_are_added_once_and_roles_keep_one_owner(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    let cat = s.create_user(&name("cat"), "h").await.unwrap();
    let topic = Topic::empty();
    let Created::Yes(meta) = s
        .create_room(new_room(&room("plans"), RoomKind::Private, &topic, ann.id))
        .await
        .unwrap()
    else {
        panic!("not made")
    };
    let id = meta.id;
    assert_eq!(s.add_member(id, bob.id).await.unwrap(), Added::Yes);
    assert_eq!(s.add_member(id, bob.id).await.unwrap(), Added::Already);
    assert_eq!(s.add_member(id, ann.id).await.unwrap(), Added::Already);
    assert_eq!(s.role_of(id, ann.id).await.unwrap(), Some(Role::Owner));
    assert_eq!(
        s.set_role(id, cat.id, Role::Moderator, None).await.unwrap(),
        RoleSet::NotMember
    );
    assert_eq!(
        s.set_role(id, bob.id, Role::Moderator, None).await.unwrap(),
        RoleSet::Yes
    );
    assert_eq!(s.role_of(id, bob.id).await.unwrap(), Some(Role::Moderator));
    // The owner stays until it hands over.
    assert_eq!(
        s.set_role(id, ann.id, Role::Member, None).await.unwrap(),
        RoleSet::KeepsOwner
    );
    assert_eq!(
        s.set_role(id, bob.id, Role::Owner, None).await.unwrap(),
        RoleSet::Yes
    );
    assert_eq!(s.role_of(id, bob.id).await.unwrap(), Some(Role::Owner));
    assert_eq!(s.role_of(id, ann.id).await.unwrap(), Some(Role::Moderator));
    let owners: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE room_id = $1 AND role = 'owner'",
    )
    .bind(id)
    .fetch_one(&s.reader)
    .await
    .unwrap();
    assert_eq!(owners, 1);
    let mine = s.memberships_of(ann.id).await.unwrap();
    assert_eq!(
        mine,
        [MyRoom {
            room: room("plans"),
            kind: RoomKind::Private,
            role: Role::Moderator,
            archived: false
        }]
    );
}

async fn settings_change_and_the_cache_follows(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let Entered::Public(meta) = s.enter_public(&room("dev"), Some(ann.id)).await.unwrap() else {
        panic!("not public")
    };
    assert!(!meta.archived);
    let settings = RoomSettings {
        room: room("dev"),
        topic: Some(Topic::parse("the dev room").unwrap()),
        archived: Some(true),
        invites_by: Some(InvitesBy::Moderators),
        ..RoomSettings::of(room("dev"))
    };
    s.change_settings(&meta, &settings, audit_of(&meta, ann.id))
        .await
        .unwrap();
    let now = s.room_meta(&room("dev")).await.unwrap().unwrap();
    assert!(now.archived);
    assert!(!now.accounts_only, "what was not given stays");
    assert_eq!(now.invites_by, InvitesBy::Moderators);
    let info = s.room_info(meta.id).await.unwrap().unwrap();
    assert_eq!(info.topic.as_str(), "the dev room");
    let only = RoomSettings {
        room: room("dev"),
        accounts_only: Some(true),
        archived: Some(false),
        ..RoomSettings::of(room("dev"))
    };
    s.change_settings(&now, &only, audit_of(&now, ann.id))
        .await
        .unwrap();
    let now = s.room_meta(&room("dev")).await.unwrap().unwrap();
    assert!(now.accounts_only && !now.archived);
}

async fn the_directory_lists_public_rooms_by_members_and_searches(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    for r in ["alpha", "beta", "100%_sure"] {
        s.enter_public(&room(r), Some(ann.id)).await.unwrap();
    }
    s.enter_public(&room("beta"), Some(bob.id)).await.unwrap();
    let topic = Topic::parse("Alpha plans").unwrap();
    s.create_room(new_room(&room("secret"), RoomKind::Private, &topic, ann.id))
        .await
        .unwrap();
    let Entered::Public(old) = s.enter_public(&room("old"), Some(ann.id)).await.unwrap() else {
        panic!("not public")
    };
    let archive = RoomSettings {
        room: room("old"),
        archived: Some(true),
        ..RoomSettings::of(room("dev"))
    };
    s.change_settings(&old, &archive, audit_of(&old, ann.id))
        .await
        .unwrap();
    let all = s.directory(None, 50).await.unwrap();
    let listed: Vec<(&str, u64)> = all.iter().map(|e| (e.room.as_str(), e.members)).collect();
    assert_eq!(
        listed,
        [("beta", 2), ("100%_sure", 1), ("alpha", 1), ("general", 0)]
    );
    let q = |t: &str| DirectoryQuery::parse(t).unwrap();
    let found = s.directory(Some(&q("ALP")), 50).await.unwrap();
    assert_eq!(found.len(), 1, "the private room's topic is not searched");
    assert_eq!(found[0].room, room("alpha"));
    // LIKE's wildcards are searched as text.
    let found = s.directory(Some(&q("%_")), 50).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].room, room("100%_sure"));
    assert_eq!(s.directory(None, 2).await.unwrap().len(), 2);
}

/// A database of the version before rooms had kinds (migration 0007)
/// with remembered rooms, upgraded: they are memberships of public
/// rooms, the first account is an admin, `general` exists.
async fn upgrade_from_0007(url: &str, before: &str, migrator: sqlx::migrate::Migrator) {
    sqlx::any::install_default_drivers();
    let old = sqlx::AnyPool::connect(before).await.unwrap();
    migrator.run_to(7, &old).await.unwrap();
    for sql in [
        "INSERT INTO users (username, password_hash, created_at, name_key) \
         VALUES ('ann', 'h', 't', 'ann')",
        "INSERT INTO users (username, password_hash, created_at, name_key) \
         VALUES ('bob', 'h', 't', 'bob')",
        "INSERT INTO rooms (name, last_seq) VALUES ('ops', 3)",
        "INSERT INTO remembered_rooms (user_id, room) SELECT id, 'dev' FROM users",
        "INSERT INTO remembered_rooms (user_id, room) \
         SELECT id, 'ops' FROM users WHERE username = 'bob'",
    ] {
        sqlx::query(sql).execute(&old).await.unwrap();
    }
    old.close().await;
    let s = Store::connect(url).await.unwrap();
    let ann = s.user_by_name(&name("ann")).await.unwrap().unwrap();
    let bob = s.user_by_name(&name("bob")).await.unwrap().unwrap();
    assert!(s.is_admin(ann.id).await.unwrap());
    assert!(!s.is_admin(bob.id).await.unwrap());
    assert_eq!(s.rooms_of(ann.id).await.unwrap(), [room("dev")]);
    assert_eq!(
        s.rooms_of(bob.id).await.unwrap(),
        [room("dev"), room("ops")]
    );
    for r in ["dev", "ops", "general"] {
        let meta = s.room_meta(&room(r)).await.unwrap().unwrap();
        assert_eq!(meta.kind, RoomKind::Public, "{r}");
        assert!(!meta.archived && !meta.accounts_only);
    }
    let ops = s.room_meta(&room("ops")).await.unwrap().unwrap();
    assert_eq!(s.role_of(ops.id, bob.id).await.unwrap(), Some(Role::Member));
    let info = s.room_info(ops.id).await.unwrap().unwrap();
    assert_eq!((info.creator, info.members), (None, 1));
    // The room keeps its numbering.
    let stored = s
        .append_message(&room("ops"), &name("g"), &x(), &text("hi"), None, &ts())
        .await
        .unwrap();
    let crate::server::store::Appended::New(stored) = stored else {
        panic!("not stored")
    };
    assert_eq!(stored.seq, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_databases_of_0007_are_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let before = format!("{url}?mode=rwc");
    upgrade_from_0007(&url, &before, sqlx::migrate!("./migrations/sqlite")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_databases_of_0007_are_upgraded() {
    let db = crate::server::store::test_db::empty_postgres().await;
    let url = db.url();
    upgrade_from_0007(&url, &url, sqlx::migrate!("./migrations/postgres")).await;
}

async fn the_housekeeping_deletes_empty_public_rooms_a_day_old(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    for r in ["old-empty", "new-empty", "old-kept"] {
        s.enter_public(&room(r), None).await.unwrap();
    }
    s.enter_public(&room("old-kept"), Some(ann.id))
        .await
        .unwrap();
    let old = crate::server::store::time_text(chrono::Utc::now() - chrono::Duration::days(2));
    sqlx::query("UPDATE rooms SET created_at = $1 WHERE name LIKE 'old-%'")
        .bind(&old)
        .execute(&s.writer)
        .await
        .unwrap();
    // Cached, as the guards would have it.
    assert!(s.room_meta(&room("old-empty")).await.unwrap().is_some());
    assert_eq!(s.housekeep().await.unwrap(), 1);
    assert_eq!(s.room_meta(&room("old-empty")).await.unwrap(), None);
    assert!(s.room_meta(&room("new-empty")).await.unwrap().is_some());
    assert!(s.room_meta(&room("old-kept")).await.unwrap().is_some());
    assert!(s.room_meta(&room("general")).await.unwrap().is_some());
}

crate::server::store::test_db::on_both_backends!(
    the_housekeeping_deletes_empty_public_rooms_a_day_old,
    the_first_account_is_an_admin_and_admins_are_granted,
    a_room_is_made_once_whatever_its_kind,
    entering_a_public_room_makes_a_member_and_its_maker_the_owner,
    an_account_belongs_to_a_bounded_number_of_rooms,
    members_are_added_once_and_roles_keep_one_owner,
    settings_change_and_the_cache_follows,
    the_directory_lists_public_rooms_by_members_and_searches
);
