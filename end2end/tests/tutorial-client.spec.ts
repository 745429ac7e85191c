// The tutorial's own client library (socket.io-client 4, default options:
// long-polling upgraded to WebSocket), running the tutorial page's flow
// against Huddle.
import { test, expect } from '@playwright/test';
import { io, type Socket } from 'socket.io-client';

function once<T = any>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, resolve));
}

test('the tutorial page flow works with the official client', async ({ baseURL }) => {
  const ann = io(`${baseURL}/chat`, { forceNew: true });
  const bob = io(`${baseURL}/chat`, { forceNew: true });
  try {
    await Promise.all([once(ann, 'connect'), once(bob, 'connect')]);

    const joined = once(bob, 'user-joined');
    const welcome = await ann.emitWithAck('join', { username: 'ann' });
    expect(welcome).toEqual({ status: 'ok', message: 'Welcome ann!' });
    expect(await joined).toEqual({ username: 'ann', message: 'ann has joined the chat' });
    await bob.emitWithAck('join', { username: 'bob' });

    const incoming = once<any>(bob, 'new-message');
    const sent = await ann.emitWithAck('send-message', { message: 'hello', room: 'general' });
    expect(sent).toMatchObject({ status: 'ok', message: 'Message sent' });
    const m = await incoming;
    expect(m.username).toBe('ann');
    expect(m.message).toBe('hello');
    expect(m.room).toBe('general');
    expect(m.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // Polled: the previous spec's people close their pages just before this
    // test starts, and their sockets may still be leaving (seen once: a
    // name of threads.spec.ts listed beside ann and bob).
    await expect
      .poll(() => ann.emitWithAck('get-users', {}))
      .toEqual({ status: 'ok', users: ['ann', 'bob'] });
    // The connection was upgraded from polling to WebSocket.
    expect(ann.io.engine.transport.name).toBe('websocket');

    const exception = once(ann, 'exception');
    ann.emit('protected-message', { message: 'x', token: 'valid-token' });
    expect(await exception).toMatchObject({ status: 'error', message: 'Invalid token' });

    const left = once(ann, 'user-left');
    bob.disconnect();
    expect(await left).toEqual({ username: 'bob', message: 'bob has left the chat' });
  } finally {
    ann.disconnect();
    bob.disconnect();
  }
});

test('the notifications namespace subscribes by user id', async ({ baseURL }) => {
  const s = io(`${baseURL}/notifications`, { forceNew: true, transports: ['polling'] });
  try {
    await once(s, 'connect');
    const ack = await s.emitWithAck('subscribe-to-notifications', { userId: 7 });
    expect(ack).toEqual({ status: 'ok', message: 'Subscribed to notifications for user 7' });
  } finally {
    s.disconnect();
  }
});
