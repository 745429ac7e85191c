//! Invite links to rooms, on `/chat` (issue #14, item 3):
//! `create-invite-link`, `invite-links`, `revoke-invite-link`,
//! `accept-invite`. Who may send each is its guard's business; the one
//! guard of their own, [`LinkKeeper`], is here.
//!
//! `accept-invite` is in the room-changes budget, the strictest in
//! sustained rate (5 a second per socket, 10 per account): guessing a
//! code (192 random bits) is hopeless anyway, and every guess is refused
//! with the same text whatever stands behind it.

use super::access;
use super::guards::{Inviter, Signed};
use super::membership::{info_of, keeps_too_many, welcome};
use super::pipeline::{Ctx, Guard, Routes};
use crate::protocol::ack::{texts, OkMessage};
use crate::protocol::invites::{
    self, invite_path, AcceptInvite, CreateInviteLink, InviteLinkList, InviteLinkMade, InviteLinks,
    RevokeInviteLink, INVALID_INVITE,
};
use crate::protocol::rooms::{no_such_room, Role, RoomInfo, RoomKind};
use crate::protocol::RoomName;
use crate::server::auth::identity::Identity;
use crate::server::error::{Error, Internal};
use crate::server::limits::{Reads, Rooms};
use crate::server::origin::PublicOrigin;
use crate::server::store::{Accepted, LinkMade, NewInviteLink, Revoked, RoomMeta};
use serde_json::Value;
use socketioxide::adapter::Adapter;

/// Registers the invite-link events in `/chat`'s routes.
pub fn routes<A: Adapter>(r: &mut Routes<A>) {
    r.on(Rooms, create_invite_link::<A>);
    r.on(Reads, invite_links::<A>);
    r.on(Rooms, revoke_invite_link::<A>);
    r.on(Rooms, accept_invite::<A>);
}

/// `revoke-invite-link`: a room the socket may see, and a link of it the
/// account may revoke: any of them for a moderator (the owner, a server
/// admin), its own for anyone else. A private room it does not belong to
/// is [`no_such_room`], as for every room event.
pub struct LinkKeeper(pub RoomMeta);

impl<A: Adapter> Guard<A, RevokeInviteLink> for LinkKeeper {
    type Before = ();

    fn before(_: &Ctx<A>, _: Option<&Value>) -> Result<(), Error> {
        Ok(())
    }

    async fn admit(_: (), cx: &Ctx<A>, event: &RevokeInviteLink) -> Result<Self, Error> {
        let room = &event.room;
        let Some(meta) = access::meta(cx, room, texts::TRY_AGAIN).await? else {
            return Err(Error::refused(no_such_room(room)));
        };
        let role = access::view(cx, &meta).await?.rank;
        if role.is_none() && meta.kind == RoomKind::Private {
            return Err(Error::refused(no_such_room(room)));
        }
        if role.is_some_and(|r| r >= Role::Moderator) {
            return Ok(LinkKeeper(meta));
        }
        let creator = cx
            .state
            .store
            .invite_link_creator(meta.id, event.id)
            .await
            .internal("cannot look an invite link up")?;
        let me = Identity::of(&cx.socket).user_id();
        match creator {
            None => Err(Error::refused(invites::no_such_link(event.id, room))),
            Some(Some(creator)) if Some(creator) == me => Ok(LinkKeeper(meta)),
            Some(_) => Err(Error::refused(invites::not_your_link(room))),
        }
    }
}

/// `create-invite-link`: a new link; its code is in the ack and nowhere
/// else (the store keeps its hash).
async fn create_invite_link<A: Adapter>(
    cx: Ctx<A>,
    (Signed(me), Inviter(meta)): (Signed, Inviter),
    create: CreateInviteLink,
) -> Result<InviteLinkMade, Error> {
    let expires = chrono::Utc::now() + chrono::Duration::minutes(i64::from(create.minutes()));
    let made = cx
        .state
        .store
        .create_invite_link(NewInviteLink {
            room: meta.id,
            creator: me.id,
            expires_at: Some(expires),
            max_uses: create.max_uses,
        })
        .await
        .internal("cannot make an invite link")?;
    let link = match made {
        LinkMade::Yes(link) => link,
        LinkMade::TooMany => return Err(Error::refused(invites::too_many_links(&meta.name))),
    };
    tracing::info!(sid = %cx.socket.id, link = link.id, "made an invite link");
    Ok(InviteLinkMade {
        id: link.id,
        url: invite_url(&cx, &link.code),
        code: link.code,
        expires_at: link.expires_at.unwrap_or_default(),
        max_uses: create.max_uses,
        uses: 0,
    })
}

/// `invite-links`: the room's live links, without their codes.
async fn invite_links<A: Adapter>(
    cx: Ctx<A>,
    (_, Inviter(meta)): (Signed, Inviter),
    _: InviteLinks,
) -> Result<InviteLinkList, Error> {
    let links = cx
        .state
        .store
        .live_invite_links(meta.id)
        .await
        .internal("cannot list invite links")?;
    Ok(InviteLinkList { links })
}

/// `revoke-invite-link`: the link lets nobody in from now on.
async fn revoke_invite_link<A: Adapter>(
    cx: Ctx<A>,
    (_, LinkKeeper(meta)): (Signed, LinkKeeper),
    RevokeInviteLink { room, id }: RevokeInviteLink,
) -> Result<OkMessage, Error> {
    let revoked = cx
        .state
        .store
        .revoke_invite_link(meta.id, id)
        .await
        .internal("cannot revoke an invite link")?;
    match revoked {
        Revoked::Yes => {
            tracing::info!(sid = %cx.socket.id, link = id, "revoked an invite link");
            Ok(OkMessage::new(invites::revoked(id, &room)))
        }
        Revoked::NoSuchLink => Err(Error::refused(invites::no_such_link(id, &room))),
    }
}

/// `accept-invite`: the account becomes a member of the link's room, and
/// its sockets are told as for `invite`; a member already is answered the
/// same, without using the link up. Every code that lets nobody in gets
/// [`INVALID_INVITE`].
async fn accept_invite<A: Adapter>(
    cx: Ctx<A>,
    Signed(me): Signed,
    AcceptInvite { code }: AcceptInvite,
) -> Result<RoomInfo, Error> {
    let accepted = cx
        .state
        .store
        .accept_invite(&code, me.id)
        .await
        .internal("cannot accept an invite")?;
    match accepted {
        Accepted::Joined(room) => {
            let meta = link_room(&cx, &room).await?;
            tracing::info!(sid = %cx.socket.id, "joined a room by an invite link");
            welcome(&cx, &meta, me.id, None).await
        }
        Accepted::Already(room) => info_of(&cx, &link_room(&cx, &room).await?, Some(me.id)).await,
        Accepted::Invalid => Err(Error::refused(INVALID_INVITE)),
        Accepted::Full => Err(Error::refused(keeps_too_many())),
        Accepted::Banned(room, until) => Err(Error::refused(crate::protocol::moderation::banned(
            &room,
            until.time().as_deref(),
        ))),
    }
}

/// The room an accepted link leads to (gone only if it was deleted this
/// very moment: then the link is gone too).
async fn link_room<A: Adapter>(cx: &Ctx<A>, room: &RoomName) -> Result<RoomMeta, Error> {
    access::meta(cx, room, texts::TRY_AGAIN)
        .await?
        .ok_or_else(|| Error::refused(INVALID_INVITE))
}

/// The link to hand out for `code`: `<origin>/invite/<code>`, where the
/// origin is `HUDDLE_PUBLIC_URL`, else the one the socket's page came
/// from (its handshake's `Origin`, which the origin guard let through),
/// else `http://` and the `Host` it asked for; with none of them, the
/// path alone.
fn invite_url<A: Adapter>(cx: &Ctx<A>, code: &str) -> String {
    let path = invite_path(code);
    match origin_of(cx) {
        Some(origin) => format!("{origin}{path}"),
        None => path,
    }
}

fn origin_of<A: Adapter>(cx: &Ctx<A>) -> Option<PublicOrigin> {
    if let Some(public) = &cx.state.public_url {
        return Some(public.clone());
    }
    let headers = &cx.socket.req_parts().headers;
    let header = |name: http::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    header(http::header::ORIGIN)
        .and_then(|origin| origin.parse().ok())
        .or_else(|| {
            header(http::header::HOST).and_then(|host| format!("http://{host}").parse().ok())
        })
}
