import { PassThrough } from 'node:stream';

import { escapeHtml, markup } from '../../cli/html';
import { stderrProgress } from '../../cli/progress';
import { EventRecorder } from '../../cli/replayEvents';
import { defaultGrid, defaultSustainedGrid, thresholdSweep } from '../../cli/thresholdSweep';
import { incidentTimeline } from '../../cli/timeline';
import { applyEvents } from '../../shared/detection/detect';
import { DEFAULT_POLICY } from '../../shared/detection/policy';
import type { UserEvent } from '../../shared/signin/signInEvent';
import { ev, T0, USER } from '../support/events';

const HOUR = 3_600_000;
const NOW = T0 + 48 * HOUR;

function recorded(batches: UserEvent[][], options = { maxEvents: 1_000_000, chunkSpanMs: HOUR }): EventRecorder {
    const recorder = new EventRecorder(options);
    for (const events of batches) {
        const byUser = new Map<string, UserEvent[]>();
        for (const e of events) byUser.set(e.userId, [...(byUser.get(e.userId) ?? []), e]);
        recorder.add(byUser);
    }
    return recorder;
}

describe('thresholdSweep', () => {
    it('counts incidents per threshold and window over the same events', () => {
        // Six declined pushes, four minutes apart: 2 within any 5 minutes, 3 within 10, all 6 within 30.
        const events = [0, 4, 8, 12, 16, 20].map((m) => ev('push-denied', m));
        const sweep = thresholdSweep(
            recorded([events]).users(),
            DEFAULT_POLICY,
            { thresholds: [3, 6, 7], windowsMinutes: [5, 10, 30] },
            { now: NOW },
        );
        const cell = (t: number, w: number) =>
            sweep.cells.find((c) => c.threshold === t && c.windowMinutes === w)!.incidents;
        expect([cell(3, 5), cell(3, 10), cell(3, 30)]).toEqual([0, 1, 1]);
        expect([cell(6, 5), cell(6, 10), cell(6, 30)]).toEqual([0, 0, 1]);
        expect([cell(7, 5), cell(7, 10), cell(7, 30)]).toEqual([0, 0, 0]);
        expect(sweep.cells.find((c) => c.threshold === 3 && c.windowMinutes === 10)).toMatchObject({
            users: 1,
            byTrigger: { threshold: 1 },
        });
        expect(sweep.current).toEqual({ threshold: 5, windowMinutes: 10 });
    });

    it('matches detection batch by batch, with late rows and rows of one prompt split across batches', () => {
        // A prompt first seen unanswered, then declined in a later batch; a late row; a second user.
        const other = '11111111-2222-4333-8444-555555555555';
        const batches: UserEvent[][] = [
            [
                ev('push-denied', 0, { key: 'a' }),
                ev('push-timeout', 1, { key: 'b' }),
                ev('push-denied', 0.5, { userId: other }),
            ],
            [ev('push-denied', 2, { key: 'b', rid: 'b2' }), ev('push-denied', 3, { key: 'c' })],
            [ev('push-denied', 1.5, { key: 'late' }), ev('mfa-approved', 4, { key: 'ok' })],
            [ev('push-denied', 30, { userId: other }), ev('push-denied', 31, { userId: other })],
        ];
        const policy = { ...DEFAULT_POLICY, denialThreshold: 3, windowMs: 5 * 60_000 };
        // What the pipeline's fold finds, one applyEvents per user per batch.
        let expected = 0;
        for (const userId of [USER, other]) {
            let state;
            for (const batch of batches) {
                const mine = batch.filter((e) => e.userId === userId);
                if (mine.length === 0) continue;
                const r = applyEvents(state, mine, { policy, now: NOW });
                state = r.state;
                expected += r.newIncidents.length;
            }
        }
        const sweep = thresholdSweep(
            recorded(batches).users(),
            policy,
            { thresholds: [3], windowsMinutes: [5] },
            { now: NOW },
        );
        expect(expected).toBeGreaterThan(0);
        expect(sweep.cells[0]!.incidents).toBe(expected);
    });

    it('sweeps the long window: SUSTAINED_THRESHOLD × SUSTAINED_WINDOW_HOURS, the short window as in the run', () => {
        // Twelve declines twenty minutes apart (never two within 10 minutes): only the long window can see them.
        const events = Array.from({ length: 12 }, (_, i) => ev('push-denied', i * 20));
        const sweep = thresholdSweep(
            recorded([events]).users(),
            DEFAULT_POLICY,
            { thresholds: [5], windowsMinutes: [10] },
            {
                now: NOW,
                sustained: { thresholds: [6, 12, 13], windowsHours: [1, 2, 4] },
            },
        );
        const cell = (t: number, h: number) =>
            sweep.sustained!.cells.find((c) => c.threshold === t && c.windowHours === h)!.incidents;
        // Within one hour: 3 declines; two hours: 6; four hours: all 12.
        expect([cell(6, 1), cell(6, 2), cell(6, 4)]).toEqual([0, 1, 1]);
        expect([cell(12, 1), cell(12, 2), cell(12, 4)]).toEqual([0, 0, 1]);
        expect([cell(13, 1), cell(13, 2), cell(13, 4)]).toEqual([0, 0, 0]);
        expect(sweep.sustained!.cells.find((c) => c.threshold === 6 && c.windowHours === 2)!.byTrigger).toEqual({
            sustained: 1,
        });
        expect(sweep.sustained!.current).toEqual({ threshold: 15, windowHours: 4 });
        expect(sweep.cells[0]!.incidents).toBe(0);
        expect(defaultSustainedGrid(DEFAULT_POLICY)).toEqual({
            thresholds: [10, 15, 20, 25, 30],
            windowsHours: [2, 4, 8, 12],
        });
    });

    it('puts the current settings on the grid', () => {
        expect(defaultGrid(DEFAULT_POLICY)).toEqual({
            thresholds: [3, 4, 5, 6, 7, 8, 9, 10],
            windowsMinutes: [5, 10, 15, 30, 60],
        });
        const off = defaultGrid({ ...DEFAULT_POLICY, denialThreshold: 25, windowMs: 7 * 60_000 });
        expect(off.thresholds).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 25]);
        expect(off.windowsMinutes).toEqual([5, 7, 10, 15, 30, 60]);
    });
});

describe('EventRecorder', () => {
    it('keeps at most maxEvents and counts the rest', () => {
        const recorder = recorded(
            [[0, 1, 2].map((m) => ev('push-denied', m)), [3, 4].map((m) => ev('push-denied', m))],
            { maxEvents: 4, chunkSpanMs: HOUR },
        );
        expect([recorder.kept, recorder.dropped]).toEqual([4, 1]);
    });

    it('folds batches together only while they span little event time', () => {
        const recorder = recorded([[ev('push-denied', 0)], [ev('push-denied', 30)], [ev('push-denied', 120)]]);
        expect(recorder.user(USER)!.chunks.map((c) => c.length)).toEqual([2, 1]);
        expect(recorder.user(USER)!.userPrincipalName).toBe('victim@contoso.com');
        // The UPN is kept once per user, not on every event.
        expect(recorder.user(USER)!.chunks[0]![0]).not.toHaveProperty('userPrincipalName');
    });
});

describe('incidentTimeline', () => {
    it("shows the user's prompts around the incident, rows of one prompt merged, bounded", () => {
        const events = [
            ev('push-denied', -30),
            ...[0, 1, 2, 3, 4].map((m) => ev('push-denied', m, { key: `k${m}` })),
            ev('push-denied', 1, { key: 'k1', rid: 'dup' }),
            ev('mfa-approved', 6),
            ev('push-denied', 60),
        ];
        const user = recorded([events]).user(USER)!;
        const incident = applyEvents(undefined, events, { policy: DEFAULT_POLICY, now: NOW }).newIncidents[0]!;
        const t = incidentTimeline(user, incident, DEFAULT_POLICY.windowMs);
        expect(t.entries.map((e) => e.kind)).toEqual([...Array(5).fill('push-denied'), 'mfa-approved']);
        expect(t.omitted).toBe(0);
        const bounded = incidentTimeline(user, incident, DEFAULT_POLICY.windowMs, 3);
        expect([bounded.entries.length, bounded.omitted]).toEqual([3, 3]);
        expect(incidentTimeline(undefined, incident, DEFAULT_POLICY.windowMs).entries).toEqual([]);
    });

    it('spreads a bounded flood over its whole span and keeps the approval', () => {
        const flood = [...Array.from({ length: 40 }, (_, i) => ev('push-denied', i * 0.5)), ev('mfa-approved', 10)];
        const user = recorded([flood]).user(USER)!;
        const incident = applyEvents(undefined, flood, { policy: DEFAULT_POLICY, now: NOW }).newIncidents[0]!;
        const t = incidentTimeline(user, incident, DEFAULT_POLICY.windowMs, 8);
        expect(t.entries).toHaveLength(8);
        expect(t.omitted).toBe(33);
        expect(t.entries.filter((e) => e.kind === 'mfa-approved')).toHaveLength(1);
        const denied = t.entries.filter((e) => e.kind === 'push-denied').map((e) => (e.time - T0) / 60_000);
        expect(denied[0]).toBe(0);
        expect(denied.at(-1)).toBeGreaterThan(15);
    });
});

describe('markup', () => {
    it('escapes every interpolated value unless it is markup itself', () => {
        const evil = `<script>alert('x')</script>"&`;
        expect(markup`<p title="${evil}">${evil}</p>`.text).toBe(
            '<p title="&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;</p>',
        );
        expect(markup`<ul>${['<a>', markup`<li>ok</li>`]}</ul>`.text).toBe('<ul>&lt;a&gt;<li>ok</li></ul>');
        expect(markup`${null}${undefined}${false}${0}`.text).toBe('0');
        expect(escapeHtml('a\u202Eb\u200Bc\u0007')).toBe('a\uFFFDb\uFFFDc\uFFFD');
    });
});

describe('stderrProgress', () => {
    it('updates about once an interval on a terminal, and says nothing elsewhere', async () => {
        let clock = 0;
        const out: string[] = [];
        const stream = new PassThrough();
        stream.on('data', (d: Buffer) => out.push(d.toString()));
        const progress = stderrProgress(stream, { isTTY: true, now: () => clock, intervalMs: 1000 });
        await progress.records(100);
        clock = 1500;
        await progress.records(2000);
        clock = 1700;
        await progress.records(3000);
        await progress.finish('3,000 records read');
        expect(out).toEqual([
            '\r\u001b[2Kmfa-responder replay: 2,000 records read, 2 s',
            '\r\u001b[2Kmfa-responder replay: 3,000 records read, 2 s\n',
        ]);

        const piped: string[] = [];
        const pipe = new PassThrough();
        pipe.on('data', (d: Buffer) => piped.push(d.toString()));
        const silent = stderrProgress(pipe, { isTTY: false, now: () => clock });
        await silent.records(1);
        await silent.finish('done');
        expect(piped).toEqual([]);
    });
});
