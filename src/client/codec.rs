//! Engine.IO v4 and socket.io v5 text framing, as the browser client needs
//! it: text packets only (Huddle never sends binary attachments).
//!
//! Engine.IO packet: one digit type, then data (`4` + a socket.io packet is a
//! message). Socket.io packet: `<type>[<nsp>,][<ack id>][<json>]`, where the
//! namespace is omitted for `/`. A native test checks this codec packet for
//! packet against socketioxide's own parser.

use serde::Deserialize;
use serde_json::Value;

/// An Engine.IO packet received from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineIn<'a> {
    Open(OpenInfo),
    Close,
    Ping,
    Pong,
    /// The socket.io packet text of a message packet.
    Message(&'a str),
    Noop,
}

/// The `open` packet's handshake data.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenInfo {
    pub sid: String,
    pub ping_interval: u64,
    pub ping_timeout: u64,
    #[serde(default)]
    pub max_payload: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("empty packet")]
    Empty,
    #[error("unknown packet type {0:?}")]
    UnknownType(char),
    #[error("binary packets are not supported")]
    Binary,
    #[error("bad packet: {0}")]
    Malformed(String),
}

/// Decodes one Engine.IO text frame (the WebSocket transport carries one
/// packet per frame).
pub fn decode_engine(frame: &str) -> Result<EngineIn<'_>, CodecError> {
    let mut chars = frame.chars();
    let kind = chars.next().ok_or(CodecError::Empty)?;
    let rest = chars.as_str();
    Ok(match kind {
        '0' => EngineIn::Open(
            serde_json::from_str(rest).map_err(|e| CodecError::Malformed(e.to_string()))?,
        ),
        '1' => EngineIn::Close,
        '2' => EngineIn::Ping,
        '3' => EngineIn::Pong,
        '4' => EngineIn::Message(rest),
        '6' => EngineIn::Noop,
        other => return Err(CodecError::UnknownType(other)),
    })
}

/// The Engine.IO `pong` answering the server's `ping`.
pub const ENGINE_PONG: &str = "3";

/// Wraps a socket.io packet in an Engine.IO message packet.
pub fn engine_message(packet: &Packet) -> String {
    let mut out = String::from("4");
    packet.encode_into(&mut out);
    out
}

/// A socket.io v5 packet (text only).
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// Client → server: connect to `nsp` with optional auth data.
    /// Server → client: connected, with `{sid}`.
    Connect {
        nsp: String,
        data: Option<Value>,
    },
    Disconnect {
        nsp: String,
    },
    /// `data` is the argument array: `[event, ...args]`.
    Event {
        nsp: String,
        id: Option<u64>,
        data: Value,
    },
    /// `data` is the argument array of the ack.
    Ack {
        nsp: String,
        id: u64,
        data: Value,
    },
    ConnectError {
        nsp: String,
        data: Value,
    },
}

impl Packet {
    pub fn nsp(&self) -> &str {
        match self {
            Packet::Connect { nsp, .. }
            | Packet::Disconnect { nsp }
            | Packet::Event { nsp, .. }
            | Packet::Ack { nsp, .. }
            | Packet::ConnectError { nsp, .. } => nsp,
        }
    }

    /// The socket.io text encoding of this packet.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        self.encode_into(&mut out);
        out
    }

    fn encode_into(&self, out: &mut String) {
        let (kind, id, data) = match self {
            Packet::Connect { data, .. } => ('0', None, data.as_ref()),
            Packet::Disconnect { .. } => ('1', None, None),
            Packet::Event { id, data, .. } => ('2', *id, Some(data)),
            Packet::Ack { id, data, .. } => ('3', Some(*id), Some(data)),
            Packet::ConnectError { data, .. } => ('4', None, Some(data)),
        };
        out.push(kind);
        let nsp = self.nsp();
        if nsp != "/" && !nsp.is_empty() {
            out.push_str(nsp);
            out.push(',');
        }
        if let Some(id) = id {
            out.push_str(&id.to_string());
        }
        if let Some(data) = data {
            out.push_str(&data.to_string());
        }
    }

    /// Decodes the socket.io text of one packet.
    pub fn decode(text: &str) -> Result<Packet, CodecError> {
        let mut chars = text.chars();
        let kind = chars.next().ok_or(CodecError::Empty)?;
        let mut rest = chars.as_str();
        if matches!(kind, '5' | '6') {
            return Err(CodecError::Binary);
        }
        if !matches!(kind, '0'..='4') {
            return Err(CodecError::UnknownType(kind));
        }
        let nsp = if rest.starts_with('/') {
            let end = rest.find(',').unwrap_or(rest.len());
            let nsp = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or("");
            nsp.to_owned()
        } else {
            "/".to_owned()
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let id = if digits > 0 {
            let id = rest[..digits]
                .parse::<u64>()
                .map_err(|e| CodecError::Malformed(e.to_string()))?;
            rest = &rest[digits..];
            Some(id)
        } else {
            None
        };
        let data = if rest.is_empty() {
            None
        } else {
            Some(
                serde_json::from_str::<Value>(rest)
                    .map_err(|e| CodecError::Malformed(e.to_string()))?,
            )
        };
        let need_data =
            |d: Option<Value>| d.ok_or_else(|| CodecError::Malformed("missing data".into()));
        Ok(match kind {
            '0' => Packet::Connect { nsp, data },
            '1' => Packet::Disconnect { nsp },
            '2' => {
                let data = need_data(data)?;
                if !data
                    .as_array()
                    .is_some_and(|a| a.first().is_some_and(Value::is_string))
                {
                    return Err(CodecError::Malformed(
                        "event data must be [name, ...args]".into(),
                    ));
                }
                Packet::Event { nsp, id, data }
            }
            '3' => Packet::Ack {
                nsp,
                id: id.ok_or_else(|| CodecError::Malformed("ack without id".into()))?,
                data: need_data(data)?,
            },
            _ => Packet::ConnectError {
                nsp,
                data: need_data(data)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn engine_packets() {
        let open = decode_engine(r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":65536}"#).unwrap();
        assert_eq!(
            open,
            EngineIn::Open(OpenInfo {
                sid: "abc".into(),
                ping_interval: 25000,
                ping_timeout: 20000,
                max_payload: Some(65536)
            })
        );
        assert_eq!(decode_engine("2").unwrap(), EngineIn::Ping);
        assert_eq!(
            decode_engine("40/chat,").unwrap(),
            EngineIn::Message("0/chat,")
        );
        assert_eq!(decode_engine("").unwrap_err(), CodecError::Empty);
        assert_eq!(
            decode_engine("9").unwrap_err(),
            CodecError::UnknownType('9')
        );
        assert!(matches!(decode_engine("0{"), Err(CodecError::Malformed(_))));
    }

    #[test]
    fn encodes_like_the_socket_io_spec() {
        let p = Packet::Event {
            nsp: "/chat".into(),
            id: Some(12),
            data: json!(["join", {"username": "ann"}]),
        };
        assert_eq!(p.encode(), r#"2/chat,12["join",{"username":"ann"}]"#);
        assert_eq!(
            engine_message(&p),
            r#"42/chat,12["join",{"username":"ann"}]"#
        );
        let c = Packet::Connect {
            nsp: "/chat".into(),
            data: None,
        };
        assert_eq!(c.encode(), "0/chat,");
        let root = Packet::Event {
            nsp: "/".into(),
            id: None,
            data: json!(["x"]),
        };
        assert_eq!(root.encode(), r#"2["x"]"#);
    }

    #[test]
    fn decodes_what_it_encodes() {
        for p in [
            Packet::Connect {
                nsp: "/chat".into(),
                data: Some(json!({"sid": "s"})),
            },
            Packet::Disconnect {
                nsp: "/chat".into(),
            },
            Packet::Event {
                nsp: "/chat".into(),
                id: None,
                data: json!(["new-message", {"m": 1}]),
            },
            Packet::Ack {
                nsp: "/notifications".into(),
                id: 7,
                data: json!([{"status": "ok"}]),
            },
            Packet::ConnectError {
                nsp: "/x".into(),
                data: json!({"message": "Invalid namespace"}),
            },
        ] {
            assert_eq!(Packet::decode(&p.encode()).unwrap(), p);
        }
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert_eq!(
            Packet::decode("51-/chat,[]").unwrap_err(),
            CodecError::Binary
        );
        assert!(Packet::decode("2/chat,").is_err());
        assert!(Packet::decode("2/chat,{}").is_err());
        assert!(Packet::decode("3/chat,[1]").is_err());
        assert!(Packet::decode("2/chat,1[").is_err());
        assert!(Packet::decode("x").is_err());
        assert!(Packet::decode("2/chat,99999999999999999999999[\"a\"]").is_err());
    }
}

/// The codec against socketioxide's own parser (the server's), packet for
/// packet, in both directions.
#[cfg(all(test, feature = "ssr"))]
mod conformance {
    use super::Packet;
    use serde_json::json;
    use socketioxide_core::packet::{Packet as Theirs, PacketData};
    use socketioxide_core::parser::{Parse, ParseConfig, ParserState};
    use socketioxide_core::{Str, Value as Wire};
    use socketioxide_parser_common::CommonParser;

    fn wire(json: &serde_json::Value) -> Wire {
        Wire::Str(Str::from(json.to_string()), None)
    }

    fn their_encoding(p: Theirs) -> String {
        match CommonParser.encode(p) {
            Wire::Str(s, _) => s.as_str().to_owned(),
            Wire::Bytes(_) => panic!("text packets only"),
        }
    }

    fn their_decoding(text: &str) -> Theirs {
        CommonParser
            .decode_str(
                &ParseConfig::default(),
                &ParserState::default(),
                Str::from(text.to_owned()),
            )
            .expect("socketioxide parses it")
    }

    fn pairs() -> Vec<(Packet, Theirs)> {
        let event = json!(["send-message", {"message": "hé \"quoted\" ✓", "room": "dev"}]);
        let ack = json!([{"status": "ok", "message": "Message sent"}]);
        vec![
            (
                Packet::Connect {
                    nsp: "/chat".into(),
                    data: Some(json!({"sid": "abc"})),
                },
                Theirs::connect("/chat", Some(wire(&json!({"sid": "abc"})))),
            ),
            (
                Packet::Disconnect {
                    nsp: "/notifications".into(),
                },
                Theirs::disconnect("/notifications"),
            ),
            (
                Packet::Event {
                    nsp: "/chat".into(),
                    id: None,
                    data: event.clone(),
                },
                Theirs::event("/chat", wire(&event)),
            ),
            (
                Packet::Event {
                    nsp: "/chat".into(),
                    id: Some(42),
                    data: event.clone(),
                },
                Theirs {
                    inner: PacketData::Event(wire(&event), Some(42)),
                    ns: Str::from("/chat"),
                },
            ),
            (
                Packet::Ack {
                    nsp: "/chat".into(),
                    id: 7,
                    data: ack.clone(),
                },
                Theirs::ack("/chat", wire(&ack), 7),
            ),
            (
                Packet::Event {
                    nsp: "/".into(),
                    id: None,
                    data: json!(["x", 1]),
                },
                Theirs::event("/", wire(&json!(["x", 1]))),
            ),
        ]
    }

    #[test]
    fn we_encode_what_socketioxide_encodes() {
        for (ours, theirs) in pairs() {
            assert_eq!(ours.encode(), their_encoding(theirs));
        }
    }

    #[test]
    fn socketioxide_reads_what_we_encode_and_we_read_what_it_encodes() {
        for (ours, theirs) in pairs() {
            let expected = their_encoding(theirs);
            // Theirs → ours.
            assert_eq!(Packet::decode(&expected).unwrap(), ours);
            // Ours → theirs → the same text again.
            assert_eq!(their_encoding(their_decoding(&ours.encode())), expected);
        }
    }

    #[test]
    fn connect_errors_match() {
        let theirs = their_encoding(Theirs::connect_error("/chat", "Invalid namespace"));
        let ours = Packet::decode(&theirs).unwrap();
        assert_eq!(
            ours,
            Packet::ConnectError {
                nsp: "/chat".into(),
                data: json!({"message": "Invalid namespace"})
            }
        );
        assert_eq!(ours.encode(), theirs);
    }
}
