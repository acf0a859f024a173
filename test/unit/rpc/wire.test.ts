// The one wire protocol and its one client (shared/wire.ts), as the engine socket, the WebSocket
// and the Electron service host use them: calls and their answers, errors with their problems,
// subscriptions where the server wants them, and a channel that ends.
import { describe, expect, it } from 'vitest';
import { EngineError, type TopologyProblem } from '../../../src/shared/contract.js';
import {
  answerCall,
  parseWireCall,
  WireClient,
  type WireClientMessage,
} from '../../../src/shared/wire.js';

interface Cmds {
  add: { params: { a: number; b: number }; result: { sum: number } };
  fail: { params: Record<string, never>; result: Record<string, never> };
}
interface Evts {
  tick: { n: number };
  other: string;
}

function client(subscribes: boolean): { c: WireClient<Cmds, Evts>; sent: WireClientMessage[] } {
  const sent: WireClientMessage[] = [];
  const c = new WireClient<Cmds, Evts>({
    send: (m) => sent.push(m),
    subscribes,
    events: ['tick', 'other'],
  });
  return { c, sent };
}

describe('WireClient', () => {
  it('matches answers to calls by id, and rebuilds errors with code and problems', async () => {
    const { c, sent } = client(false);
    const sum = c.call('add', { a: 2, b: 3 });
    const fails = c.call('fail', {});
    expect(sent).toEqual([
      { t: 'call', id: 1, cmd: 'add', params: { a: 2, b: 3 } },
      { t: 'call', id: 2, cmd: 'fail', params: {} },
    ]);
    const problems: TopologyProblem[] = [
      { file: 'lab.yaml', line: 3, column: 5, path: ['nodes', 'h1', 'kind'], message: 'bad kind' },
    ];
    c.receive({ t: 'error', id: 2, code: 'topology', message: 'lab.yaml:3:5: bad kind', problems });
    c.receive({ t: 'result', id: 99, result: {} }); // answers nothing pending: ignored
    c.receive({ t: 'error', id: null, code: 'bad-request', message: 'not a call' });
    c.receive({ t: 'result', id: 1, result: { sum: 5 } });
    expect(await sum).toEqual({ sum: 5 });
    const err = await fails.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: 'topology', message: 'lab.yaml:3:5: bad kind', problems });
  });

  it('fails waiting and later calls once the channel ends, and works again after reopen', async () => {
    const { c } = client(false);
    const waiting = c.call('add', { a: 1, b: 1 });
    c.close(new EngineError('not-running', 'the service stopped'));
    await expect(waiting).rejects.toMatchObject({
      code: 'not-running',
      message: 'the service stopped',
    });
    await expect(c.call('add', { a: 1, b: 1 })).rejects.toThrow('the service stopped');
    expect(c.isClosed).toBe(true);
    c.reopen();
    const again = c.call('add', { a: 1, b: 2 });
    c.receive({ t: 'result', id: 2, result: { sum: 3 } });
    expect(await again).toEqual({ sum: 3 });
  });

  it('subscribes with the first listener of an event and unsubscribes with the last', () => {
    const { c, sent } = client(true);
    const seen: number[] = [];
    const a = c.on('tick', (p) => seen.push(p.n));
    const b = c.on('tick', (p) => seen.push(p.n * 10));
    expect(sent).toEqual([{ t: 'sub', event: 'tick' }]);
    c.receive({ t: 'event', event: 'tick', payload: { n: 1 } });
    c.receive({ t: 'event', event: 'unknown', payload: { n: 2 } }); // not an event of E: ignored
    void a.dispose();
    expect(sent).toHaveLength(1);
    void b.dispose();
    expect(sent).toEqual([
      { t: 'sub', event: 'tick' },
      { t: 'unsub', event: 'tick' },
    ]);
    c.receive({ t: 'event', event: 'tick', payload: { n: 3 } });
    expect(seen).toEqual([1, 10]);
  });

  it('sends no subscriptions to a server that pushes every event', () => {
    const { c, sent } = client(false);
    const seen: string[] = [];
    void c.on('other', (p) => seen.push(p));
    c.emit('other', 'made by the transport');
    expect(sent).toEqual([]);
    expect(seen).toEqual(['made by the transport']);
  });
});

describe('the server side', () => {
  it('takes calls naming a known command and answers anything else in one sentence', () => {
    const cmds = ['add', 'fail'];
    expect(parseWireCall({ t: 'call', id: 4, cmd: 'add', params: { a: 1 } }, cmds)).toEqual({
      ok: true,
      call: { t: 'call', id: 4, cmd: 'add', params: { a: 1 } },
    });
    const reply = (value: unknown): unknown => {
      const r = parseWireCall(value, cmds);
      return r.ok ? r : r.reply;
    };
    expect(reply([1])).toMatchObject({ t: 'error', id: null, code: 'bad-request' });
    expect(reply({ t: 'sub', id: 5 })).toMatchObject({
      id: 5,
      message: 'only calls are accepted: send "t": "call"',
    });
    expect(reply({ t: 'call', cmd: 'add' })).toMatchObject({ id: null });
    expect(reply({ t: 'call', id: 6, cmd: 'toString' })).toMatchObject({
      id: 6,
      message: 'unknown command "toString"',
    });
  });

  it('turns what a handler does into a result or an error reply, never a stack trace', async () => {
    expect(await answerCall(1, () => Promise.resolve({ sum: 2 }))).toEqual({
      t: 'result',
      id: 1,
      result: { sum: 2 },
    });
    expect(await answerCall(2, () => Promise.resolve(undefined))).toEqual({
      t: 'result',
      id: 2,
      result: {},
    });
    expect(
      await answerCall(3, () => Promise.reject(new EngineError('busy', 'lab "x" is starting'))),
    ).toEqual({ t: 'error', id: 3, code: 'busy', message: 'lab "x" is starting' });
    expect(await answerCall(4, () => Promise.reject(new TypeError('oops')))).toEqual({
      t: 'error',
      id: 4,
      code: 'internal',
      message: 'oops',
    });
  });
});
