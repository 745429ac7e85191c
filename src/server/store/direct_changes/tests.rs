use super::*;
use crate::protocol::history::Cursor;
use crate::server::store::test_db::{cid, name, text, ts};
use crate::server::store::Appended;

/// ann, bob and cat; ann and bob's conversation: ann's "first", bob's
/// "second", ann's "third" (their ids, in order).
async fn setup(s: &Store) -> (User, User, User, Vec<i64>) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    let cat = s.create_user(&name("cat"), "h").await.unwrap();
    let mut ids = Vec::new();
    for (from, to, body) in [
        (&ann, &bob, "first"),
        (&bob, &ann, "second"),
        (&ann, &bob, "third"),
    ] {
        let Appended::New(m) = s
            .append_dm(from, to, &text(body), None, &ts())
            .await
            .unwrap()
        else {
            panic!("new")
        };
        ids.push(m.id);
    }
    (ann, bob, cat, ids)
}

fn applied(c: DmChange) -> NewDm {
    match c {
        DmChange::Applied(m) => m,
        other => panic!("not applied: {other:?}"),
    }
}

fn tada() -> Emoji {
    Emoji::parse("🎉").unwrap()
}

async fn an_edit_is_the_authors_keeps_the_text_before_and_takes_a_number(s: Store) {
    let (ann, bob, cat, ids) = setup(&s).await;
    let e = applied(
        s.edit_dm(&ann, &bob, ids[0], &text("first, fixed"), None)
            .await
            .unwrap(),
    );
    assert_eq!(
        (
            e.message.as_str(),
            e.change,
            e.seq,
            e.from.as_str(),
            e.to.as_str()
        ),
        ("first, fixed", 1, 1, "ann", "bob")
    );
    assert!(e.edited.is_some());
    // From either side, the conversation is the same one.
    let e2 = applied(
        s.edit_dm(&ann, &bob, ids[0], &text("first, again"), None)
            .await
            .unwrap(),
    );
    assert_eq!(e2.change, 2);
    // The same text again changes nothing and takes no number.
    let same = s
        .edit_dm(&ann, &bob, ids[0], &text("first, again"), None)
        .await
        .unwrap();
    assert!(matches!(same, DmChange::Unchanged(ref m) if m.change == 2));
    // bob's message is not ann's to edit, nor ann's bob's; cat has no
    // conversation with either that holds it.
    for (me, other, id) in [
        (&ann, &bob, ids[1]),
        (&bob, &ann, ids[0]),
        (&cat, &ann, ids[0]),
    ] {
        let refused = s
            .edit_dm(me, other, id, &text("mine now"), None)
            .await
            .unwrap();
        assert_eq!(refused, DmChange::Gone, "{} editing {id}", me.username);
    }
    let versions = s.dm_versions(&bob, &ann, ids[0]).await.unwrap();
    let texts: Vec<&str> = versions.iter().map(|v| v.message.as_str()).collect();
    assert_eq!(texts, ["first", "first, fixed"]);
    assert_eq!(versions[0].timestamp, ts(), "the first version is as sent");
    assert!(s.dm_versions(&cat, &ann, ids[0]).await.unwrap().is_empty());
    assert_eq!(s.dm_last_change(&bob, &ann).await.unwrap(), 2);
    assert_eq!(s.dm_last_change(&cat, &ann).await.unwrap(), 0);
    let (page, _) = s.dm_history(&bob, &ann, Cursor::Latest, 10).await.unwrap();
    assert_eq!(page[0].message.as_str(), "first, again");
    assert_eq!((page[0].change, page[0].from.as_str()), (2, "ann"));
    assert!(page[1].edited.is_none() && page[1].change == 0);
}

async fn a_retried_change_is_applied_once(s: Store) {
    let (ann, bob, _, ids) = setup(&s).await;
    let once = Some(cid("edit-1"));
    applied(
        s.edit_dm(&ann, &bob, ids[0], &text("A"), once.as_ref())
            .await
            .unwrap(),
    );
    applied(
        s.edit_dm(&ann, &bob, ids[0], &text("B"), None)
            .await
            .unwrap(),
    );
    // A late retry of the first edit must not undo the second.
    let retry = s
        .edit_dm(&ann, &bob, ids[0], &text("A"), once.as_ref())
        .await
        .unwrap();
    assert!(matches!(retry, DmChange::Unchanged(ref m) if m.message.as_str() == "B"));
    let r = Some(cid("react-1"));
    applied(
        s.react_dm(&bob, &ann, ids[0], &tada(), true, r.as_ref())
            .await
            .unwrap(),
    );
    applied(
        s.react_dm(&bob, &ann, ids[0], &tada(), false, None)
            .await
            .unwrap(),
    );
    let retry = s
        .react_dm(&bob, &ann, ids[0], &tada(), true, r.as_ref())
        .await
        .unwrap();
    assert!(matches!(retry, DmChange::Unchanged(ref m) if m.reactions.is_empty()));
    assert_eq!(s.dm_last_change(&ann, &bob).await.unwrap(), 4);
}

async fn both_people_react_set_not_toggled_up_to_the_cap(s: Store) {
    let (ann, bob, cat, ids) = setup(&s).await;
    let up = Emoji::parse("👍").unwrap();
    applied(
        s.react_dm(&bob, &ann, ids[0], &tada(), true, None)
            .await
            .unwrap(),
    );
    applied(
        s.react_dm(&ann, &bob, ids[0], &up, true, None)
            .await
            .unwrap(),
    );
    let m = applied(
        s.react_dm(&ann, &bob, ids[0], &tada(), true, None)
            .await
            .unwrap(),
    );
    let shown: Vec<(&str, u32, Vec<&str>)> = m
        .reactions
        .iter()
        .map(|r| {
            (
                r.emoji.as_str(),
                r.count,
                r.users.iter().map(|u| u.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [("🎉", 2, vec!["bob", "ann"]), ("👍", 1, vec!["ann"])]
    );
    // Adding again, or taking back what is not there, changes nothing.
    let again = s
        .react_dm(&ann, &bob, ids[0], &tada(), true, None)
        .await
        .unwrap();
    assert!(matches!(again, DmChange::Unchanged(_)));
    let none = s
        .react_dm(&ann, &bob, ids[1], &tada(), false, None)
        .await
        .unwrap();
    assert!(matches!(none, DmChange::Unchanged(_)));
    // A third person reaches no message of theirs.
    let outsider = s
        .react_dm(&cat, &ann, ids[0], &tada(), true, None)
        .await
        .unwrap();
    assert_eq!(outsider, DmChange::Gone);
    // History carries the reactions.
    let (page, _) = s.dm_history(&ann, &bob, Cursor::Latest, 10).await.unwrap();
    assert_eq!(page[0].reactions, m.reactions);
    // The cap: a new emoji past it is refused, one already there is not.
    let many = [
        "😀", "😁", "😂", "🤣", "😃", "😄", "😅", "😆", "😉", "😊", "😋", "😎", "😍", "😘", "🥰",
        "😗", "😙", "🥲",
    ];
    for e in many {
        let e = Emoji::parse(e).unwrap();
        applied(
            s.react_dm(&bob, &ann, ids[0], &e, true, None)
                .await
                .unwrap(),
        );
    }
    let past = Emoji::parse("🙂").unwrap();
    let refused = s
        .react_dm(&bob, &ann, ids[0], &past, true, None)
        .await
        .unwrap();
    assert_eq!(refused, DmChange::TooManyReactions);
    applied(
        s.react_dm(&bob, &ann, ids[0], &up, true, None)
            .await
            .unwrap(),
    );
}

async fn a_deletion_is_a_tombstone_with_nothing_left_behind(s: Store) {
    let (ann, bob, cat, ids) = setup(&s).await;
    applied(
        s.edit_dm(&ann, &bob, ids[0], &text("secret, edited"), None)
            .await
            .unwrap(),
    );
    applied(
        s.react_dm(&bob, &ann, ids[0], &tada(), true, None)
            .await
            .unwrap(),
    );
    // Only its author deletes it.
    assert_eq!(
        s.delete_dm(&bob, &ann, ids[0]).await.unwrap(),
        DmChange::Gone
    );
    assert_eq!(
        s.delete_dm(&cat, &ann, ids[0]).await.unwrap(),
        DmChange::Gone
    );
    let gone = applied(s.delete_dm(&ann, &bob, ids[0]).await.unwrap());
    assert!(gone.deleted && gone.message.as_str().is_empty());
    assert!(gone.reactions.is_empty());
    assert_eq!(gone.change, 3);
    // In the database: the body emptied, versions and reactions gone.
    let body: String = sqlx::query_scalar("SELECT body FROM direct_messages WHERE id = $1")
        .bind(ids[0])
        .fetch_one(&s.reader)
        .await
        .unwrap();
    assert_eq!(body, "");
    for (table, column) in [("dm_versions", "dm_id"), ("dm_reactions", "dm_id")] {
        let left: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {table} WHERE {column} = $1"
        )))
        .bind(ids[0])
        .fetch_one(&s.reader)
        .await
        .unwrap();
        assert_eq!(left, 0, "{table} of a deleted message");
    }
    // Deleting again changes nothing and takes no number; nothing more
    // is done to a tombstone.
    let again = s.delete_dm(&ann, &bob, ids[0]).await.unwrap();
    assert!(matches!(again, DmChange::Unchanged(ref m) if m.deleted && m.change == 3));
    assert_eq!(
        s.edit_dm(&ann, &bob, ids[0], &text("back"), None)
            .await
            .unwrap(),
        DmChange::Gone
    );
    assert_eq!(
        s.react_dm(&bob, &ann, ids[0], &tada(), true, None)
            .await
            .unwrap(),
        DmChange::Gone
    );
    assert_eq!(s.dm_last_change(&ann, &bob).await.unwrap(), 3);
    let authorship = s.dm_author(&bob, &ann, ids[0]).await.unwrap();
    assert_eq!(
        authorship,
        Some(DmAuthorship {
            sender: ann.id,
            deleted: true
        })
    );
    assert_eq!(s.dm_author(&cat, &ann, ids[0]).await.unwrap(), None);
    // History shows the tombstone; the unread count leaves it out.
    let (page, _) = s.dm_history(&bob, &ann, Cursor::Latest, 10).await.unwrap();
    assert!(page[0].deleted && page[0].message.as_str().is_empty());
    let bobs = s.dm_list(bob.id).await.unwrap();
    assert_eq!(bobs[0].unread, 1, "ann's third; her first is deleted");
}

async fn the_feed_holds_each_changed_message_once_in_its_latest_state(s: Store) {
    let (ann, bob, cat, ids) = setup(&s).await;
    applied(
        s.edit_dm(&ann, &bob, ids[0], &text("one"), None)
            .await
            .unwrap(),
    ); // 1
    applied(
        s.react_dm(&ann, &bob, ids[1], &tada(), true, None)
            .await
            .unwrap(),
    ); // 2
    applied(
        s.edit_dm(&ann, &bob, ids[0], &text("two"), None)
            .await
            .unwrap(),
    ); // 3
    applied(s.delete_dm(&ann, &bob, ids[2]).await.unwrap()); // 4
                                                             // Another conversation numbers its own changes.
    let Appended::New(other) = s
        .append_dm(&cat, &ann, &text("hi"), None, &ts())
        .await
        .unwrap()
    else {
        panic!("new")
    };
    let theirs = applied(
        s.react_dm(&ann, &cat, other.id, &tada(), true, None)
            .await
            .unwrap(),
    );
    assert_eq!(theirs.change, 1);
    let (all, last, more) = s.dm_changes_after(&bob, &ann, 0, 10).await.unwrap();
    let seen: Vec<(i64, i64, &str, bool)> = all
        .iter()
        .map(|m| (m.seq, m.change, m.message.as_str(), m.deleted))
        .collect();
    assert_eq!(
        seen,
        [
            (2, 2, "second", false),
            (1, 3, "two", false),
            (3, 4, "", true)
        ]
    );
    assert_eq!(all[0].reactions.len(), 1);
    assert_eq!((all[0].from.as_str(), all[0].to.as_str()), ("bob", "ann"));
    assert_eq!((last, more), (4, false));
    let (after, _, _) = s.dm_changes_after(&ann, &bob, 3, 10).await.unwrap();
    assert_eq!(after.iter().map(|m| m.seq).collect::<Vec<_>>(), [3]);
    let (page, _, more) = s.dm_changes_after(&ann, &bob, 0, 2).await.unwrap();
    assert_eq!((page.len(), more), (2, true));
    let (cats, last, _) = s.dm_changes_after(&cat, &ann, 0, 10).await.unwrap();
    assert_eq!((cats.len(), last), (1, 1));
    let (none, last, _) = s.dm_changes_after(&cat, &bob, 0, 10).await.unwrap();
    assert!(none.is_empty() && last == 0, "no conversation, no changes");
}

async fn notes_to_self_change_too(s: Store) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let Appended::New(note) = s
        .append_dm(&ann, &ann, &text("milk"), None, &ts())
        .await
        .unwrap()
    else {
        panic!("new")
    };
    let e = applied(
        s.edit_dm(&ann, &ann, note.id, &text("milk, eggs"), None)
            .await
            .unwrap(),
    );
    assert_eq!(
        (e.from.as_str(), e.to.as_str(), e.change),
        ("ann", "ann", 1)
    );
    let r = applied(
        s.react_dm(&ann, &ann, note.id, &tada(), true, None)
            .await
            .unwrap(),
    );
    assert_eq!(r.reactions[0].users[0].as_str(), "ann");
    let d = applied(s.delete_dm(&ann, &ann, note.id).await.unwrap());
    assert!(d.deleted && d.change == 3);
}

crate::server::store::test_db::on_both_backends!(
    an_edit_is_the_authors_keeps_the_text_before_and_takes_a_number,
    a_retried_change_is_applied_once,
    both_people_react_set_not_toggled_up_to_the_cap,
    a_deletion_is_a_tombstone_with_nothing_left_behind,
    the_feed_holds_each_changed_message_once_in_its_latest_state,
    notes_to_self_change_too
);
