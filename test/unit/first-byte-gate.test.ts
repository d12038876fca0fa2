import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EventEnvelope, InProcessEventBus } from '#local/event-bus.ts';
import { FirstByteGate } from '#local/first-byte-gate.ts';

const quiet = { warn: () => {}, error: () => {} };
const settledWithin = async (promise: Promise<void>, ms: number) =>
  Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
  ]);

describe('FirstByteGate', () => {
  it('is quiet at once when no invocation waits for its first byte', async () => {
    // Prepare
    const gate = new FirstByteGate(10_000, 0);
    gate.enter()();

    // Act
    const settled = await settledWithin(gate.quiet(), 50);

    // Assess
    assert.equal(settled, true);
  });

  it('holds until every invocation before its first byte has sent it, counting each once', async () => {
    // Prepare
    const gate = new FirstByteGate(10_000, 0);
    const first = gate.enter();
    const second = gate.enter();
    const held = gate.quiet();

    // Act
    first();
    first();
    const afterFirst = await settledWithin(held, 50);
    second();
    const afterBoth = await settledWithin(held, 50);

    // Assess
    assert.deepEqual([afterFirst, afterBoth], [false, true]);
  });

  it('lets a hold end after its bound while invocations keep arriving', async () => {
    // Prepare
    const gate = new FirstByteGate(30, 0);
    gate.enter();
    const startedAt = performance.now();

    // Act
    const settled = await settledWithin(gate.quiet(), 5_000);

    // Assess
    assert.equal(settled, true);
    assert.ok(performance.now() - startedAt >= 25, 'held about its bound');
  });

  it('waits its settle time first, then holds for an invocation that arrived meanwhile', async () => {
    // Prepare
    const gate = new FirstByteGate(10_000, 30);
    const held = gate.quiet();

    // Act
    await new Promise((resolve) => setTimeout(resolve, 5));
    const sent = gate.enter();
    const beforeFirstByte = await settledWithin(held, 80);
    sent();
    const afterFirstByte = await settledWithin(held, 50);

    // Assess
    assert.deepEqual([beforeFirstByte, afterFirstByte], [false, true]);
  });

  it("holds a bus subscription's deliveries, then delivers each event once", async () => {
    // Prepare
    const gate = new FirstByteGate(10_000, 0);
    const bus = new InProcessEventBus({ logger: quiet });
    const delivered: string[] = [];
    bus.subscribe(
      {},
      async (envelope: EventEnvelope) => {
        delivered.push(String(envelope.detail.requestId));
      },
      { hold: () => gate.quiet() },
    );
    const sent = gate.enter();

    // Act
    await bus.putEvents([{ Source: 's', DetailType: 'd', Detail: JSON.stringify({ requestId: 'req_1' }) }]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const whileHeld = [...delivered];
    sent();
    await bus.drain();

    // Assess
    assert.deepEqual(whileHeld, []);
    assert.deepEqual(delivered, ['req_1']);
  });
});
