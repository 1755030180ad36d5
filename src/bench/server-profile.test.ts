import { describe, expect, test } from 'vitest';
import { createMetrics } from '../observability/metrics.js';
import { formatServerProfile, offerNotes, startServerProbe } from './server-profile.js';

describe('offerNotes', () => {
  test('at a rate, note i is offered about i / rate seconds after the first, without waiting for earlier ones', async () => {
    const offered: number[] = [];
    const started = performance.now();
    // Each post takes 200 ms: lanes would serialise them; an open load does not.
    await offerNotes(5, async (i) => {
      offered[i] = performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }, { concurrency: 1, rate: 50 });
    const elapsed = performance.now() - started;
    expect(offered[4]).toBeGreaterThanOrEqual(79);
    expect(offered[4]).toBeLessThan(190);
    expect(elapsed).toBeLessThan(5 * 200);
  });

  test('without a rate, lanes post one note after another', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    await offerNotes(7, async (i) => {
      most = Math.max(most, ++inFlight);
      seen.push(i);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
    }, { concurrency: 3 });
    expect(most).toBe(3);
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});

describe('the server profile', () => {
  test('reads stage, request and validation totals from the registry, per note', async () => {
    const metrics = createMetrics();
    const probe = startServerProbe({ worker: undefined, metrics });
    metrics.observeStage('read', 10);
    metrics.observeStage('read', 30);
    metrics.observeStage('plan', 2);
    metrics.fhirInteraction.observe({ interaction: 'search' }, 0.004);
    metrics.fhirInteraction.observe({ interaction: 'search' }, 0.006);
    metrics.storeRequest.observe({ interaction: 'transaction' }, 0.05);
    metrics.storeValidation.observe(0.002);
    metrics.storeValidation.observe(0.004);
    probe.created(7);
    const profile = await probe.finish();
    // No job completed (no worker here): the figures are per 1 note.
    expect(profile.notes).toBe(0);
    expect(profile.stages.read).toEqual({ count: 2, ms: 40 });
    expect(profile.stages.plan).toEqual({ count: 1, ms: 2 });
    expect(profile.fhirRequests.search).toEqual({ count: 2, ms: 10 });
    expect(profile.storeRequests.transaction).toEqual({ count: 1, ms: 50 });
    expect(profile.storeValidation).toEqual({ count: 2, ms: 6 });
    expect(profile.create).toEqual({ count: 1, ms: 7 });
    expect(profile.cpuMsPerNote).toBeGreaterThan(0);
    const text = formatServerProfile(profile);
    expect(text).toContain('stage plan (in write)');
    expect(text).toMatch(/validation\s+6\.00 ms\s+\(2\.00 resources, 3\.00 ms each\)/);
  });
});
