use super::*;
use crate::protocol::history::Cursor;
use crate::server::store::test_db::{cid, name, room, text, ts};
use crate::server::store::{Appended, Author, Entered, User};

async fn setup(s: &Store) -> (User, User, RoomMeta, i64) {
    let ann = s.create_user(&name("ann"), "h").await.unwrap();
    let bob = s.create_user(&name("bob"), "h").await.unwrap();
    let Entered::Public(dev) = s.enter_public(&room("dev"), Some(ann.id)).await.unwrap() else {
        panic!("public")
    };
    let by = Author::Account(ann.id);
    let Appended::New(root) = s
        .append_message(&room("dev"), &ann.username, &by, &text("root"), None, &ts())
        .await
        .unwrap()
    else {
        panic!("new")
    };
    (ann, bob, dev, root.id)
}

fn reply<'a>(
    thread: i64,
    who: &'a User,
    by: &'a Author,
    body: &'a MessageText,
    client_id: Option<&'a ClientMessageId>,
    stamp: &'a Timestamp,
) -> NewReply<'a> {
    NewReply {
        thread,
        author: &who.username,
        by,
        body,
        in_room: false,
        client_id,
        timestamp: stamp,
    }
}

fn new(r: Replied) -> (StoredMessage, StoredMessage, Vec<i64>) {
    match r {
        Replied::New {
            reply,
            root,
            followers,
        } => (reply, *root, followers),
        other => panic!("not new: {other:?}"),
    }
}

async fn replies_number_in_the_room_and_sum_up_on_the_root(s: Store) {
    let (ann, bob, dev, root) = setup(&s).await;
    let (bob_by, ann_by) = (Author::Account(bob.id), Author::Account(ann.id));
    let (one, stamp) = (text("one"), ts());
    let (r1, root1, followers) = new(s
        .append_reply(&dev, reply(root, &bob, &bob_by, &one, None, &stamp))
        .await
        .unwrap());
    assert_eq!((r1.seq, r1.thread, r1.in_room), (2, Some(root), false));
    let summary = root1.replies.clone().unwrap();
    assert_eq!((summary.count, summary.by.clone()), (1, vec![name("bob")]));
    assert_eq!(
        root1.change, 1,
        "the root took the room's first change number"
    );
    // ann started the thread: she follows it, and is alerted of bob's reply.
    assert_eq!(followers, vec![ann.id]);
    // A reply to a reply joins the same thread; bob is alerted of ann's.
    let two = text("two");
    let (r2, root2, followers) = new(s
        .append_reply(&dev, reply(r1.id, &ann, &ann_by, &two, None, &stamp))
        .await
        .unwrap());
    assert_eq!((r2.seq, r2.thread), (3, Some(root)));
    let summary = root2.replies.unwrap();
    assert_eq!(summary.count, 2);
    assert_eq!(
        summary.by,
        vec![name("ann"), name("bob")],
        "the latest first"
    );
    assert_eq!(followers, vec![bob.id]);
    // The room's history holds root and replies, in seq order.
    let (page, _) = s.history(&room("dev"), Cursor::Latest, 10).await.unwrap();
    let seen: Vec<(i64, Option<i64>)> = page.iter().map(|m| (m.seq, m.thread)).collect();
    assert_eq!(seen, [(1, None), (2, Some(root)), (3, Some(root))]);
    assert_eq!(page[0].replies.as_ref().map(|r| r.count), Some(2));
    // The change feed has the root once, in its latest state.
    let (changed, last, _) = s.changes_after(&room("dev"), 0, 10).await.unwrap();
    assert_eq!(last, 2);
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].replies.as_ref().map(|r| r.count), Some(2));
    // The thread, paged like history.
    let page = s
        .thread_page(&dev, r2.id, Cursor::Latest, 1, Some(bob.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.root.id, root);
    assert_eq!(page.replies.iter().map(|m| m.seq).collect::<Vec<_>>(), [3]);
    assert!(page.has_more && page.following);
    let older = s
        .thread_page(&dev, root, Cursor::Before(3), 10, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(older.replies.iter().map(|m| m.seq).collect::<Vec<_>>(), [2]);
    assert!(!older.has_more && !older.following);
    assert!(s
        .thread_page(&dev, root + 100, Cursor::Latest, 10, None)
        .await
        .unwrap()
        .is_none());
}

async fn a_retried_reply_is_stored_once_and_takes_no_number(s: Store) {
    let (_, bob, dev, root) = setup(&s).await;
    let by = Author::Account(bob.id);
    let (body, id, stamp) = (text("once"), cid("r-1"), ts());
    let (first, _, _) = new(s
        .append_reply(&dev, reply(root, &bob, &by, &body, Some(&id), &stamp))
        .await
        .unwrap());
    let again = s
        .append_reply(&dev, reply(root, &bob, &by, &body, Some(&id), &stamp))
        .await
        .unwrap();
    assert_eq!(again, Replied::Duplicate(first.clone()));
    assert_eq!(s.last_change(&room("dev")).await.unwrap(), 1);
    let (page, _) = s.history(&room("dev"), Cursor::Latest, 10).await.unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0].replies.as_ref().map(|r| r.count), Some(1));
    // The next message still takes the next seq: nothing was skipped.
    let Appended::New(next) = s
        .append_message(
            &room("dev"),
            &bob.username,
            &by,
            &text("after"),
            None,
            &ts(),
        )
        .await
        .unwrap()
    else {
        panic!("new")
    };
    assert_eq!(next.seq, first.seq + 1);
}

async fn deleting_a_reply_or_its_root(s: Store) {
    let (ann, bob, dev, root) = setup(&s).await;
    let by = Author::Account(bob.id);
    let stamp = ts();
    let (a, b) = (text("a"), text("b"));
    let (r1, _, _) = new(s
        .append_reply(&dev, reply(root, &bob, &by, &a, None, &stamp))
        .await
        .unwrap());
    new(s
        .append_reply(&dev, reply(root, &bob, &by, &b, None, &stamp))
        .await
        .unwrap());
    let deleted = s.delete_message(&dev, r1.id, None).await.unwrap().unwrap();
    let root_now = deleted.root.expect("a reply's deletion changes its root");
    assert_eq!(root_now.replies.as_ref().map(|r| r.count), Some(1));
    assert!(root_now.change > deleted.state.change);
    // Deleting the root keeps its replies and its count: the thread stays.
    let gone = s.delete_message(&dev, root, None).await.unwrap().unwrap();
    assert!(gone.root.is_none() && gone.state.deleted);
    assert_eq!(gone.state.replies.as_ref().map(|r| r.count), Some(1));
    // No new reply to a deleted message.
    let c = text("c");
    let refused = s
        .append_reply(&dev, reply(root, &bob, &by, &c, None, &stamp))
        .await
        .unwrap();
    assert_eq!(refused, Replied::Gone);
    let page = s
        .thread_page(&dev, root, Cursor::Latest, 10, Some(ann.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        page.replies.len(),
        2,
        "the deleted reply stays as a tombstone"
    );
    assert!(page.replies[0].deleted);
}

async fn following_is_a_choice_a_reply_renews(s: Store) {
    let (ann, bob, dev, root) = setup(&s).await;
    let carl = s.create_user(&name("carl"), "h").await.unwrap();
    let (bob_by, carl_by) = (Author::Account(bob.id), Author::Account(carl.id));
    let stamp = ts();
    let t = text("t");
    new(s
        .append_reply(&dev, reply(root, &bob, &bob_by, &t, None, &stamp))
        .await
        .unwrap());
    // ann stops following; carl's reply alerts bob only.
    assert_eq!(
        s.follow_thread(dev.id, root, ann.id, false).await.unwrap(),
        Some(root)
    );
    let (_, _, followers) = new(s
        .append_reply(&dev, reply(root, &carl, &carl_by, &t, None, &stamp))
        .await
        .unwrap());
    assert_eq!(followers, vec![bob.id]);
    // A guest's reply alerts the account followers; guests follow nothing.
    let guest = Author::Guest("c:x".into());
    let (_, _, followers) = new(s
        .append_reply(&dev, reply(root, &carl, &guest, &t, None, &stamp))
        .await
        .unwrap());
    assert_eq!(followers, vec![bob.id, carl.id]);
    // Following again, through any message of the thread.
    assert_eq!(
        s.follow_thread(dev.id, root, ann.id, true).await.unwrap(),
        Some(root)
    );
    let (_, _, followers) = new(s
        .append_reply(&dev, reply(root, &bob, &bob_by, &t, None, &stamp))
        .await
        .unwrap());
    assert_eq!(followers, vec![ann.id, carl.id]);
    assert_eq!(
        s.follow_thread(dev.id, root + 99, ann.id, true)
            .await
            .unwrap(),
        None
    );
}

async fn hidden_replies_are_not_unread_in_the_room(s: Store) {
    let (ann, bob, dev, root) = setup(&s).await;
    let by = Author::Account(bob.id);
    let stamp = ts();
    let (quiet, loud) = (text("quiet"), text("loud"));
    new(s
        .append_reply(&dev, reply(root, &bob, &by, &quiet, None, &stamp))
        .await
        .unwrap());
    let mut also = reply(root, &bob, &by, &loud, None, &stamp);
    also.in_room = true;
    let (shown, _, _) = new(s.append_reply(&dev, also).await.unwrap());
    assert!(shown.in_room);
    let states = s.read_states(ann.id).await.unwrap();
    let dev_state = states.iter().find(|r| r.room == room("dev")).unwrap();
    // ann wrote the root; of bob's two replies only the one sent to the room counts.
    assert_eq!((dev_state.last_seq, dev_state.unread), (3, 1));
}

crate::server::store::test_db::on_both_backends!(
    replies_number_in_the_room_and_sum_up_on_the_root,
    a_retried_reply_is_stored_once_and_takes_no_number,
    deleting_a_reply_or_its_root,
    following_is_a_choice_a_reply_renews,
    hidden_replies_are_not_unread_in_the_room
);
