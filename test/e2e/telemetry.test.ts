import { randomUUID } from 'node:crypto';

import { createSignInEventsHandler } from '../../functions/signInEvents';
import { createRuntime } from '../../shared/runtime';
import { EVENTS, METRICS } from '../../shared/telemetry/instruments';
import type { RejectReason } from '../../shared/signin/signInEvent';
import { FakeGraph, FakeIdentity } from '../support/fakeGraph';
import { startLocalGraph, stopLocalGraph } from '../support/localGraph';
import { eventHubContext } from '../support/host';
import { envelope, fraudReport, pushDenied, user } from '../support/signInFactory';
import { inMemoryTelemetry, total } from '../support/telemetry';

const T0 = Date.parse('2026-11-02T09:00:00Z');
const at = (m: number) => new Date(T0 + m * 60_000);
const PUSH_BLOCK_GROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const ATTACKER_IP = '185.220.101.34';

let identity: FakeIdentity;
let graph: FakeGraph;

beforeAll(async () => {
    ({ identity, graph } = await startLocalGraph({ group: PUSH_BLOCK_GROUP }));
});

afterAll(async () => {
    await stopLocalGraph({ identity, graph });
});

describe('telemetry of the Event Hub function', () => {
    it('records every metric and event with bounded dimensions after a batch with an attack, bad records and a containment', async () => {
        // Prepare: an attack on a user Graph knows (contained live), a fraud report by a never-contain user
        // (decided at plan time), and records that cannot be used.
        const victim = user(`Telemetry Victim ${randomUUID().slice(0, 6)}`);
        graph.addUser(victim.id, { userPrincipalName: victim.upn });
        const breakGlass = user(`Break Glass ${randomUUID().slice(0, 6)}`);
        const badUserId = pushDenied({ user: victim, at: at(0) }) as { properties: Record<string, unknown> };
        badUserId.properties.userId = 'not-a-guid';
        const records = [
            ...Array.from({ length: 6 }, (_, i) => pushDenied({ user: victim, at: at(i * 0.3), ip: ATTACKER_IP })),
            fraudReport({ user: breakGlass, at: at(1), ip: ATTACKER_IP }),
            badUserId,
            7,
        ];
        const sink = inMemoryTelemetry();
        const rt = createRuntime({
            env: {
                STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
                STATE_TABLE_NAME: `telemetry${process.pid}x${Date.now().toString(36)}`,
                AZURE_CLIENT_ID: identity.clientId,
                GRAPH_BASE_URL: graph.baseUrl,
                CONTAINMENT_MODE: 'live',
                PUSH_BLOCK_GROUP_ID: PUSH_BLOCK_GROUP,
                NEVER_CONTAIN: breakGlass.upn,
            },
            telemetry: sink.telemetry,
        });
        const { context } = eventHubContext(1);

        // Act
        await createSignInEventsHandler(() => rt)([envelope(records)], context);
        const points = await sink.points();
        const events = await sink.events();
        await sink.close();

        // Assess: the numbers.
        expect(total(points, METRICS.recordsRead.name)).toBe(records.length);
        expect(total(points, METRICS.recordsRejected.name, { reason: 'invalid-user-id' })).toBe(1);
        expect(total(points, METRICS.recordsRejected.name, { reason: 'not-an-object' })).toBe(1);
        expect(total(points, METRICS.recordsRejected.name)).toBe(2);
        expect(total(points, METRICS.denials.name)).toBe(7);
        expect(total(points, METRICS.incidents.name, { trigger: 'threshold', drill: 'false' })).toBe(1);
        expect(total(points, METRICS.incidents.name, { trigger: 'fraud-report', drill: 'false' })).toBe(1);
        for (const step of ['check-exclusions', 'circuit-breaker', 'revoke-sessions', 'block-push']) {
            expect({ step, n: total(points, METRICS.containmentSteps.name, { step, outcome: 'done' }) }).toEqual({
                step,
                n: 1,
            });
        }
        expect(total(points, METRICS.containments.name, { status: 'contained', mode: 'live' })).toBe(1);
        expect(total(points, METRICS.containments.name, { status: 'not-contained', mode: 'live' })).toBe(1);
        // One lag sample per event read (the two bad records never became events), by kind.
        expect(total(points, METRICS.detectionLag.name, { kind: 'push-denied' })).toBe(6);
        expect(total(points, METRICS.detectionLag.name, { kind: 'fraud-report' })).toBe(1);
        const lag = points.find((p) => p.name === METRICS.detectionLag.name && p.attributes.kind === 'push-denied')!;
        expect(lag.unit).toBe('s');
        // Event times are in 2026-11: the lag is the wall clock minus that, in seconds.
        expect(lag.value / lag.count!).toBeGreaterThan((Date.now() - T0) / 1000 - 3600);
        // Only the live containment calls Graph; its first call is measured from the batch.
        const latency = points.filter((p) => p.name === METRICS.firstGraphCallLatency.name);
        expect(latency).toEqual([expect.objectContaining({ attributes: { trigger: 'threshold' }, count: 1 })]);
        expect(latency[0]!.value).toBeGreaterThanOrEqual(0);

        // Assess: every point's dimensions are exactly the declared keys, with declared values only.
        const specs = Object.values(METRICS);
        for (const p of points) {
            const spec = specs.find((s) => s.name === p.name);
            expect({ name: p.name, declared: spec !== undefined }).toEqual({ name: p.name, declared: true });
            const dims = spec!.dimensions as Record<string, readonly string[]>;
            expect(Object.keys(p.attributes).sort()).toEqual(Object.keys(dims).sort());
            for (const [k, v] of Object.entries(p.attributes)) expect(dims[k]).toContain(v);
        }
        // No identifier an attacker or the tenant chooses is a metric dimension.
        const dimensionText = JSON.stringify(points.map((p) => p.attributes));
        for (const secret of [victim.id, victim.upn, breakGlass.upn, ATTACKER_IP]) {
            expect(dimensionText).not.toContain(secret);
        }

        // Assess: the events, with the ids a SOC pivots on.
        const opened = events.filter((e) => e.name === EVENTS.incidentOpened.name);
        expect(opened.map((e) => [e.properties.userId, e.properties.trigger]).sort()).toEqual(
            [
                [breakGlass.id, 'fraud-report'],
                [victim.id, 'threshold'],
            ].sort(),
        );
        for (const e of opened) {
            expect(Object.keys(e.properties).sort()).toEqual([...EVENTS.incidentOpened.properties].sort());
            expect(e.properties.detectionLagSeconds).toBeGreaterThan(0);
        }
        const finished = events.filter((e) => e.name === EVENTS.containmentFinished.name);
        expect(finished.map((e) => [e.properties.userId, e.properties.status]).sort()).toEqual(
            [
                [breakGlass.id, 'not-contained'],
                [victim.id, 'contained'],
            ].sort(),
        );
        const contained = finished.find((e) => e.properties.status === 'contained')!;
        expect(contained.properties.steps).toMatch(/revoke-sessions:done.*block-push:done/);
    });

    it('keeps a dimension value outside its declared set out of the series', async () => {
        const sink = inMemoryTelemetry();
        sink.telemetry.recordsRejected(3, '<script>alert(1)</script>' as RejectReason);
        sink.telemetry.containmentStep('revoke-sessions', 'failed', { status: 503, code: 'x', message: 'y' });
        sink.telemetry.containmentStep('block-push', 'failed', { status: 418, code: 'x', message: 'y' });
        sink.telemetry.recordsRead(Number.NaN);
        // A batch without denials adds no row for the minute.
        sink.telemetry.denials(0);
        const points = await sink.points();
        await sink.close();
        expect(points.map((p) => [p.name, p.attributes, p.value])).toEqual([
            [METRICS.recordsRejected.name, { reason: 'other' }, 3],
            [METRICS.containmentSteps.name, { step: 'revoke-sessions', outcome: 'failed', httpStatus: '5xx' }, 1],
            [METRICS.containmentSteps.name, { step: 'block-push', outcome: 'failed', httpStatus: '4xx' }, 1],
        ]);
    });
});
