use super::*;
use crate::protocol::history::Cursor;
use crate::server::store::test_db::{cid, name, room, text, ts};
use crate::server::store::{Appended, Author, Entered, User};

async fn setup(s: &Store) -> (User, User, RoomMeta, Vec<i64>) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    let Entered::Public(dev) = s.enter_public(&room("dev"), Some(ann.id)).await.unwrap() else {
        panic!("public")
    };
    let mut ids = Vec::new();
    for (who, body) in [(&ann, "first"), (&bob, "second"), (&ann, "third")] {
        let by = Author::Account(who.id);
        let Appended::New(m) = s
            .append_message(&room("dev"), &who.username, &by, &text(body), None, &ts())
            .await
            .unwrap()
        else {
            panic!("new")
        };
        ids.push(m.id);
    }
    (ann, bob, dev, ids)
}

fn applied(c: Changed) -> StoredMessage {
    match c {
        Changed::Applied(m) => m,
        other => panic!("not applied: {other:?}"),
    }
}

async fn an_edit_keeps_the_text_before_and_takes_a_change_number(s: Store) {
    let (ann, bob, dev, ids) = setup(&s).await;
    let e = applied(
        s.edit_message(&dev, ids[0], ann.id, &text("first, fixed"), None)
            .await
            .unwrap(),
    );
    assert_eq!(
        (e.message.as_str(), e.change, e.seq),
        ("first, fixed", 1, 1)
    );
    assert!(e.edited.is_some());
    let e2 = applied(
        s.edit_message(&dev, ids[0], ann.id, &text("first, fixed again"), None)
            .await
            .unwrap(),
    );
    assert_eq!(e2.change, 2);
    // The same text again changes nothing and takes no number.
    let same = s
        .edit_message(&dev, ids[0], ann.id, &text("first, fixed again"), None)
        .await
        .unwrap();
    assert!(matches!(same, Changed::Unchanged(ref m) if m.change == 2));
    // Someone else's message, or one of another room, is not there to edit.
    assert_eq!(
        s.edit_message(&dev, ids[1], ann.id, &text("mine now"), None)
            .await
            .unwrap(),
        Changed::Gone
    );
    assert_eq!(
        s.edit_message(&dev, ids[1] + 100, bob.id, &text("x"), None)
            .await
            .unwrap(),
        Changed::Gone
    );
    let versions = s.message_versions(dev.id, ids[0]).await.unwrap();
    let texts: Vec<&str> = versions.iter().map(|v| v.message.as_str()).collect();
    assert_eq!(texts, ["first", "first, fixed"]);
    assert_eq!(versions[0].timestamp, ts(), "the first version is as sent");
    assert_eq!(s.last_change(&room("dev")).await.unwrap(), 2);
    let (page, _) = s.history(&room("dev"), Cursor::Latest, 10).await.unwrap();
    assert_eq!(page[0].message.as_str(), "first, fixed again");
    assert_eq!(page[0].change, 2);
    assert!(page[1].edited.is_none() && page[1].change == 0);
}

async fn a_retried_change_is_applied_once(s: Store) {
    let (ann, _, dev, ids) = setup(&s).await;
    let once = Some(cid("edit-1"));
    applied(
        s.edit_message(&dev, ids[0], ann.id, &text("A"), once.as_ref())
            .await
            .unwrap(),
    );
    applied(
        s.edit_message(&dev, ids[0], ann.id, &text("B"), None)
            .await
            .unwrap(),
    );
    // A late retry of the first edit must not undo the second.
    let retry = s
        .edit_message(&dev, ids[0], ann.id, &text("A"), once.as_ref())
        .await
        .unwrap();
    assert!(matches!(retry, Changed::Unchanged(ref m) if m.message.as_str() == "B"));
    let tada = Emoji::parse("🎉").unwrap();
    let r = Some(cid("react-1"));
    applied(
        s.react(&dev, ids[1], ann.id, &tada, true, r.as_ref())
            .await
            .unwrap(),
    );
    applied(
        s.react(&dev, ids[1], ann.id, &tada, false, None)
            .await
            .unwrap(),
    );
    let retry = s
        .react(&dev, ids[1], ann.id, &tada, true, r.as_ref())
        .await
        .unwrap();
    assert!(matches!(retry, Changed::Unchanged(ref m) if m.reactions.is_empty()));
}

async fn reactions_count_list_and_cap(s: Store) {
    let (ann, bob, dev, ids) = setup(&s).await;
    let tada = Emoji::parse("🎉").unwrap();
    let up = Emoji::parse("👍").unwrap();
    applied(
        s.react(&dev, ids[0], bob.id, &tada, true, None)
            .await
            .unwrap(),
    );
    applied(
        s.react(&dev, ids[0], ann.id, &up, true, None)
            .await
            .unwrap(),
    );
    let m = applied(
        s.react(&dev, ids[0], ann.id, &tada, true, None)
            .await
            .unwrap(),
    );
    let shown: Vec<(&str, u32, Vec<&str>)> = m
        .reactions
        .iter()
        .map(|r| {
            let users = r.users.iter().map(|u| u.as_str()).collect();
            (r.emoji.as_str(), r.count, users)
        })
        .collect();
    assert_eq!(
        shown,
        [("🎉", 2, vec!["bob", "ann"]), ("👍", 1, vec!["ann"])]
    );
    // Adding again, or taking back what is not there, changes nothing.
    assert!(matches!(
        s.react(&dev, ids[0], ann.id, &tada, true, None)
            .await
            .unwrap(),
        Changed::Unchanged(_)
    ));
    assert!(matches!(
        s.react(&dev, ids[1], ann.id, &tada, false, None)
            .await
            .unwrap(),
        Changed::Unchanged(_)
    ));
    // History carries the reactions.
    let (page, _) = s.history(&room("dev"), Cursor::Latest, 10).await.unwrap();
    assert_eq!(page[0].reactions, m.reactions);
    // The cap: a new emoji past it is refused, one already there is not.
    let many: Vec<Emoji> = [
        "😀", "😁", "😂", "🤣", "😃", "😄", "😅", "😆", "😉", "😊", "😋", "😎", "😍", "😘", "🥰",
        "😗", "😙", "🥲",
    ]
    .iter()
    .map(|e| Emoji::parse(e).unwrap())
    .collect();
    for e in &many {
        applied(s.react(&dev, ids[0], bob.id, e, true, None).await.unwrap());
    }
    let last = Emoji::parse("🙂").unwrap();
    assert_eq!(
        s.react(&dev, ids[0], bob.id, &last, true, None)
            .await
            .unwrap(),
        Changed::TooManyReactions
    );
    applied(
        s.react(&dev, ids[0], bob.id, &up, true, None)
            .await
            .unwrap(),
    );
}

async fn the_feed_holds_each_changed_message_once_in_its_latest_state(s: Store) {
    let (ann, bob, dev, ids) = setup(&s).await;
    let tada = Emoji::parse("🎉").unwrap();
    applied(
        s.edit_message(&dev, ids[0], ann.id, &text("one"), None)
            .await
            .unwrap(),
    ); // 1
    applied(
        s.react(&dev, ids[1], ann.id, &tada, true, None)
            .await
            .unwrap(),
    ); // 2
    applied(
        s.edit_message(&dev, ids[0], ann.id, &text("two"), None)
            .await
            .unwrap(),
    ); // 3
    let gone = s.delete_message(&dev, ids[2], None).await.unwrap().unwrap(); // 4
    assert_eq!(gone.state.change, 4);
    let (all, last, more) = s.changes_after(&room("dev"), 0, 10).await.unwrap();
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
    assert_eq!((last, more), (4, false));
    let (after, _, _) = s.changes_after(&room("dev"), 3, 10).await.unwrap();
    assert_eq!(after.iter().map(|m| m.seq).collect::<Vec<_>>(), [3]);
    let (page, _, more) = s.changes_after(&room("dev"), 0, 2).await.unwrap();
    assert_eq!((page.len(), more), (2, true));
    let (none, last, _) = s.changes_after(&room("nowhere"), 0, 10).await.unwrap();
    assert!(none.is_empty() && last == 0);
    // A deletion takes the earlier versions and the reactions with the text.
    applied(
        s.react(&dev, ids[0], bob.id, &tada, true, None)
            .await
            .unwrap(),
    );
    s.delete_message(&dev, ids[0], None).await.unwrap().unwrap();
    for table in ["message_versions", "reactions"] {
        let left: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {table} WHERE message_id = $1"
        )))
        .bind(ids[0])
        .fetch_one(&s.reader)
        .await
        .unwrap();
        assert_eq!(left, 0, "{table} of a deleted message");
    }
    let reacted_to_deleted = s
        .react(&dev, ids[0], bob.id, &tada, true, None)
        .await
        .unwrap();
    assert_eq!(reacted_to_deleted, Changed::Gone);
}

async fn versions_and_listed_reactors_stop_at_their_limits(s: Store) {
    let (ann, _, dev, ids) = setup(&s).await;
    let edits = MAX_MESSAGE_VERSIONS + 2;
    for i in 1..=edits {
        applied(
            s.edit_message(&dev, ids[0], ann.id, &text(&format!("edit {i}")), None)
                .await
                .unwrap(),
        );
    }
    let versions = s.message_versions(dev.id, ids[0]).await.unwrap();
    assert_eq!(versions.len(), MAX_MESSAGE_VERSIONS);
    // The texts before edits 1 and 2 ("first", "edit 1") went first.
    assert_eq!(versions[0].message.as_str(), "edit 2");
    assert_eq!(
        versions[MAX_MESSAGE_VERSIONS - 1].message.as_str(),
        format!("edit {}", edits - 1)
    );
    let tada = Emoji::parse("🎉").unwrap();
    let mut last = None;
    for i in 0..=MAX_REACTORS_LISTED {
        let user = s.create_user(&name(&format!("r{i}")), "h").await.unwrap();
        last = Some(applied(
            s.react(&dev, ids[1], user.id, &tada, true, None)
                .await
                .unwrap(),
        ));
    }
    let reaction = &last.unwrap().reactions[0];
    assert_eq!(
        reaction.count as usize,
        MAX_REACTORS_LISTED + 1,
        "the count is exact"
    );
    assert_eq!(reaction.users.len(), MAX_REACTORS_LISTED, "the names stop");
    assert_eq!(reaction.users[0].as_str(), "r0", "the first by time");
}

/// A feed page holds at most the page's limit, [`MAX_CHANGES_PAGE`] at
/// most, and says there is more: the next page starts after its last.
async fn a_full_feed_page_says_there_is_more(s: Store) {
    use crate::protocol::message_changes::MAX_CHANGES_PAGE;
    let (ann, _, dev, _) = setup(&s).await;
    let by = Author::Account(ann.id);
    let (dev_name, stamp, body) = (room("dev"), ts(), text("x"));
    let count = MAX_CHANGES_PAGE as usize + 1;
    let sends =
        (0..count).map(|_| s.append_message(&dev_name, &ann.username, &by, &body, None, &stamp));
    let mut ids = Vec::new();
    for sent in futures_util::future::join_all(sends).await {
        let Appended::New(m) = sent.unwrap() else {
            panic!("new")
        };
        ids.push(m.id);
    }
    for id in &ids {
        applied(
            s.edit_message(&dev, *id, ann.id, &text("y"), None)
                .await
                .unwrap(),
        );
    }
    let (page, last, more) = s
        .changes_after(&dev_name, 0, MAX_CHANGES_PAGE)
        .await
        .unwrap();
    assert_eq!(
        (page.len(), last, more),
        (MAX_CHANGES_PAGE as usize, count as i64, true)
    );
    let after = page.last().unwrap().change;
    let (rest, _, more) = s
        .changes_after(&dev_name, after, MAX_CHANGES_PAGE)
        .await
        .unwrap();
    assert_eq!((rest.len(), more), (1, false));
    assert_eq!(rest[0].change, count as i64);
}

crate::server::store::test_db::on_both_backends!(
    a_full_feed_page_says_there_is_more,
    versions_and_listed_reactors_stop_at_their_limits,
    an_edit_keeps_the_text_before_and_takes_a_change_number,
    a_retried_change_is_applied_once,
    reactions_count_list_and_cap,
    the_feed_holds_each_changed_message_once_in_its_latest_state
);
