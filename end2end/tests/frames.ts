// The socket.io packets a page sends and receives on its own WebSockets to
// /socket.io/, as the browser reports them (DevTools' WebSocket frame
// events: the page's real WebSocket, nothing stands in for it). The browser
// reports a frame when the page sends it, so a frame sent before the page
// changed what it shows is already here when a test sees that change.
import type { Page } from '@playwright/test';

export interface Packet {
  /// Sent by the page (else received from the server).
  sent: boolean;
  /// socket.io packet type: 0 connect, 2 event, 3 ack, ...
  type: number;
  nsp: string;
  /// The ack id, if any.
  id?: number;
  /// The JSON after the header (`undefined` if none).
  data?: any;
}

// Engine.IO `4` (message), then the socket.io packet: type, `/nsp,` unless
// it is `/`, the ack id, the JSON.
const PACKET = /^4(\d)(?:(\/[^,]*),)?(\d*)([\s\S]*)$/;

export class Frames {
  readonly packets: Packet[] = [];

  /// Records from now on: only WebSockets the page opens after this call.
  constructor(page: Page) {
    page.on('websocket', (ws) => {
      if (!new URL(ws.url()).pathname.startsWith('/socket.io/')) return;
      ws.on('framesent', (f) => this.add(true, f.payload));
      ws.on('framereceived', (f) => this.add(false, f.payload));
    });
  }

  private add(sent: boolean, payload: string | Buffer) {
    const m = PACKET.exec(String(payload));
    if (!m) return; // Engine.IO open, ping, pong
    let data: any;
    try {
      data = m[4] ? JSON.parse(m[4]) : undefined;
    } catch {
      data = m[4];
    }
    this.packets.push({
      sent,
      type: Number(m[1]),
      nsp: m[2] ?? '/',
      id: m[3] ? Number(m[3]) : undefined,
      data,
    });
  }

  /// How many packets there are so far: a mark for `since`.
  mark(): number {
    return this.packets.length;
  }

  /// The page's namespace connects (their `auth`, `undefined` if none).
  connects(nsp: string, since = 0): any[] {
    return this.packets
      .slice(since)
      .filter((p) => p.sent && p.type === 0 && p.nsp === nsp)
      .map((p) => p.data);
  }

  /// The events the page emitted on `nsp`: name, argument, ack id.
  emitted(nsp: string, since = 0): { name: string; arg: any; id?: number }[] {
    return this.packets
      .slice(since)
      .filter((p) => p.sent && p.type === 2 && p.nsp === nsp && Array.isArray(p.data))
      .map((p) => ({ name: p.data[0], arg: p.data[1], id: p.id }));
  }

  /// The ack ids the server answered on `nsp`.
  answered(nsp: string, since = 0): Set<number> {
    return new Set(
      this.packets
        .slice(since)
        .filter((p) => !p.sent && p.type === 3 && p.nsp === nsp && p.id !== undefined)
        .map((p) => p.id as number),
    );
  }
}
