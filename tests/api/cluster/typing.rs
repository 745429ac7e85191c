//! Typing across nodes: passed on through the adapter, so a member on
//! another node sees it, once, and the sender does not.

use super::{cluster_name, in_room, node, SharedDb};
use serde_json::json;

#[tokio::test]
async fn typing_on_one_node_reaches_a_member_on_the_other() {
    let db = SharedDb::create().await;
    let cluster = cluster_name();
    let a = node(&cluster, &db).await;
    let b = node(&cluster, &db).await;
    let mut ann = in_room(&a, "ann", "ops").await;
    let mut bob = in_room(&b, "bob", "ops").await;
    let mut cid = in_room(&b, "cid", "elsewhere").await;
    let ack = ann.request("typing", json!({"room": "ops"})).await;
    assert_eq!(ack["status"], "ok", "{ack}");
    assert_eq!(
        bob.next("typing").await,
        json!({"room": "ops", "username": "ann"})
    );
    bob.assert_no("typing").await;
    ann.assert_no("typing").await;
    cid.assert_no("typing").await;
}
