/**
 * A loop's last usage events reach the main thread's recorder before the main thread closes it: the loop ends
 * its channel with an in-band `bye`, and `ended` resolves only once every message sent before it was handled
 * (the worker's exit arrives on another channel and may be seen first: closing on it dropped events).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changeBus } from '../keys/events.js';
import type { UsageEvent } from '../usage/event.js';
import { connectLoop } from './loop-parts.js';
import { serveLoop } from './owner.js';

test("a loop's channel ends only after every usage event it sent was recorded", async () => {
  const bus = changeBus(undefined);
  const recorded: string[] = [];
  const served = serveLoop({ admission: undefined, usage: { record: (e) => recorded.push(e.requestId) }, metrics: undefined, bus });
  const loop = connectLoop(served.port, false);
  let ended = false;
  void served.ended.then(() => (ended = true));
  try {
    // The last turn of a draining loop: events queued, then the loop closes in the same turn.
    for (let i = 0; i < 500; i++) loop.parts.usage.record({ requestId: `r-${i}` } as UsageEvent);
    loop.close();
    assert.equal(ended, false, 'not ended before the owner read the messages');
    await served.ended;
    assert.equal(recorded.length, 500, 'every event was recorded when `ended` resolved');
    assert.deepEqual(recorded.slice(0, 3), ['r-0', 'r-1', 'r-2']);
  } finally {
    served.close();
    await bus.close();
  }
});
