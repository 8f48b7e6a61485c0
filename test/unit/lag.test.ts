import {
    checkpointPrefix,
    hubLag,
    waitingAfter,
    withFirstWaiting,
    partitionLag,
    PartitionReading,
    readCheckpointBlob,
    unprocessedEvents,
} from '../../shared/eventhub/lag';
import { lagWarningLine } from '../../shared/health/lagWarning';

const T = Date.parse('2026-11-27T12:00:00Z');
const part = (o: Partial<PartitionReading> = {}): PartitionReading => ({
    partitionId: '0',
    beginningSequenceNumber: 0,
    lastEnqueuedSequenceNumber: 99,
    lastEnqueuedAt: T,
    isEmpty: false,
    ...o,
});

describe('unprocessedEvents (the scale controller’s GetUnprocessedEventCount)', () => {
    it('counts as the extension does, case by case', () => {
        expect(unprocessedEvents(part({ isEmpty: true, lastEnqueuedSequenceNumber: -1 }), undefined)).toBe(0);
        expect(unprocessedEvents(part({ lastEnqueuedSequenceNumber: 0 }), undefined)).toBe(1);
        expect(
            unprocessedEvents(part({ beginningSequenceNumber: 10, lastEnqueuedSequenceNumber: 10 }), undefined),
        ).toBe(1);
        expect(unprocessedEvents(part({ beginningSequenceNumber: 10 }), undefined)).toBe(90);
        expect(unprocessedEvents(part(), 90)).toBe(9);
        expect(unprocessedEvents(part(), 99)).toBe(0);
        expect(unprocessedEvents(part(), 150)).toBe(0);
    });
});

describe('partitionLag', () => {
    it('tells caught-up, behind (with the wait since the checkpoint), no checkpoint, ahead and empty apart', () => {
        expect(partitionLag(part(), { partitionId: '0', sequenceNumber: 99, writtenAt: T }, T)).toMatchObject({
            state: 'caught-up',
            events: 0,
        });
        expect(
            partitionLag(part(), { partitionId: '0', sequenceNumber: 97, writtenAt: T - 5 * 60_000 }, T),
        ).toMatchObject({
            state: 'behind',
            events: 2,
            lagMs: 5 * 60_000,
        });
        // A checkpoint written after the last event (clock skew): no negative lag.
        expect(partitionLag(part(), { partitionId: '0', sequenceNumber: 97, writtenAt: T + 1000 }, T).lagMs).toBe(0);
        expect(partitionLag(part(), undefined, T)).toMatchObject({ state: 'no-checkpoint', events: 100 });
        // A blob with "" as its sequence number is no checkpoint either.
        expect(partitionLag(part(), { partitionId: '0', writtenAt: T }, T)).toMatchObject({ state: 'no-checkpoint' });
        expect(partitionLag(part(), { partitionId: '0', sequenceNumber: 500 }, T)).toMatchObject({
            state: 'checkpoint-ahead',
            events: 0,
            checkpoint: 500,
            lastSequenceNumber: 99,
        });
        // A recreated hub that holds nothing yet, old checkpoint still there.
        expect(
            partitionLag(
                part({ isEmpty: true, lastEnqueuedSequenceNumber: -1 }),
                {
                    partitionId: '0',
                    sequenceNumber: 3,
                },
                T,
            ).state,
        ).toBe('checkpoint-ahead');
        expect(partitionLag(part({ isEmpty: true, lastEnqueuedSequenceNumber: -1 }), undefined, T)).toMatchObject({
            state: 'empty',
            events: 0,
        });
    });

    it('joins partitions to their checkpoints by id', () => {
        const lag = hubLag(
            [part(), part({ partitionId: '1' })],
            new Map([['1', { partitionId: '1', sequenceNumber: 99 }]]),
            T,
        );
        expect(lag.map((l) => [l.partitionId, l.state])).toEqual([
            ['0', 'no-checkpoint'],
            ['1', 'caught-up'],
        ]);
    });
});

describe('lag in time', () => {
    const MIN = 60_000;
    // Five events arrived 3 h ago, a minute after the last checkpoint; nothing was processed since, nothing newer came.
    const stuck = hubLag(
        [part({ lastEnqueuedSequenceNumber: 105, lastEnqueuedAt: T - 180 * MIN })],
        new Map([['0', { partitionId: '0', sequenceNumber: 100, writtenAt: T - 181 * MIN }]]),
        T,
    );

    it('grows with the clock while a consumer is stuck, whether or not newer events arrive', () => {
        expect(stuck[0]).toMatchObject({ state: 'behind', events: 5, lagMs: 181 * MIN });
        expect(lagWarningLine(stuck, 10 * MIN)).toMatch(
            /^Event Hub lag: partition 0 has 5 event\(s\) waiting, its checkpoint unmoved for 3 h/,
        );
        const flowing = hubLag(
            [part({ lastEnqueuedSequenceNumber: 5000, lastEnqueuedAt: T - 1000 })],
            new Map([['0', { partitionId: '0', sequenceNumber: 100, writtenAt: T - 30 * MIN }]]),
            T,
        );
        expect(flowing[0]).toMatchObject({ events: 4900, lagMs: 30 * MIN });
    });

    it('is exact when one event waits: a quiet spell ending is no lag, however old the checkpoint', () => {
        const spellEnds = hubLag(
            [part({ lastEnqueuedSequenceNumber: 101, lastEnqueuedAt: T - 20_000 })],
            new Map([['0', { partitionId: '0', sequenceNumber: 100, writtenAt: T - 24 * 60 * MIN }]]),
            T,
        );
        expect(spellEnds[0]).toMatchObject({ state: 'behind', events: 1, lagMs: 20_000, lagExact: true });
        expect(lagWarningLine(spellEnds, 10 * MIN)).toBeUndefined();
        // The same single event, never taken for 3 hours: exact too, and late.
        const stuckOne = hubLag(
            [part({ lastEnqueuedSequenceNumber: 101, lastEnqueuedAt: T - 180 * MIN })],
            new Map([['0', { partitionId: '0', sequenceNumber: 100, writtenAt: T - 24 * 60 * MIN }]]),
            T,
        );
        expect(lagWarningLine(stuckOne, 10 * MIN)).toMatch(/partition 0 has 1 event\(s\) waiting, the oldest for 3 h/);
    });

    it('is exact where the first waiting event’s enqueued time was read', () => {
        const lag = hubLag(
            [part({ lastEnqueuedSequenceNumber: 5000, lastEnqueuedAt: T - 1000 }), part({ partitionId: '1' })],
            new Map([
                ['0', { partitionId: '0', sequenceNumber: 100, writtenAt: T - 5_000 }],
                ['1', { partitionId: '1', sequenceNumber: 99, writtenAt: T }],
            ]),
            T,
        );
        expect(waitingAfter(lag)).toEqual([{ partitionId: '0', after: 100 }]);
        const exact = withFirstWaiting(lag, new Map([['0', T - 3 * 60 * MIN]]), T);
        expect(exact[0]).toMatchObject({ state: 'behind', events: 4900, lagMs: 3 * 60 * MIN, lagExact: true });
        expect(exact[1]).toEqual(lag[1]);
        expect(lagWarningLine(exact, 10 * MIN)).toMatch(/partition 0 has 4900 event\(s\) waiting, the oldest for 3 h/);
    });
});

describe('checkpoint blobs', () => {
    const prefix = checkpointPrefix('EVHNS-X.servicebus.windows.net', 'Entra-Signins', 'MFA-Responder');

    it('live under the lower-cased {fqns}/{hub}/{group}/checkpoint/ prefix', () => {
        expect(prefix).toBe('evhns-x.servicebus.windows.net/entra-signins/mfa-responder/checkpoint/');
    });

    it('read the partition from the name and the last processed event from the metadata, tolerantly', () => {
        const at = new Date(T);
        expect(readCheckpointBlob(prefix, `${prefix}3`, { sequencenumber: '41', offset: '' }, at)).toEqual({
            partitionId: '3',
            sequenceNumber: 41,
            writtenAt: T,
        });
        expect(readCheckpointBlob(prefix, `${prefix}3`, { sequencenumber: '' }, at)).toEqual({
            partitionId: '3',
            writtenAt: T,
        });
        expect(readCheckpointBlob(prefix, `${prefix}3`, { sequencenumber: 'x1' }, undefined)).toEqual({
            partitionId: '3',
        });
        expect(readCheckpointBlob(prefix, `${prefix}3`, undefined, undefined)).toEqual({ partitionId: '3' });
        expect(readCheckpointBlob(prefix, `${prefix}../3`, {}, at)).toBeUndefined();
        expect(readCheckpointBlob(prefix, 'other/3', {}, at)).toBeUndefined();
    });
});

describe('lagWarningLine', () => {
    it('names each partition past the limit or ahead of the hub, and says nothing otherwise', () => {
        const behind = partitionLag(part(), { partitionId: '0', sequenceNumber: 90, writtenAt: T - 15 * 60_000 }, T);
        const fine = partitionLag(
            part({ partitionId: '1' }),
            {
                partitionId: '1',
                sequenceNumber: 98,
                writtenAt: T - 60_000,
            },
            T,
        );
        const ahead = partitionLag(part({ partitionId: '2' }), { partitionId: '2', sequenceNumber: 500 }, T);
        expect(lagWarningLine([fine], 10 * 60_000)).toBeUndefined();
        const line = lagWarningLine([behind, fine, ahead], 10 * 60_000)!;
        expect(line).toMatch(
            /^Event Hub lag: partition 0 has 9 event\(s\) waiting, its checkpoint unmoved for 15 min; partition 2 has a checkpoint \(500\) ahead of the hub \(99\)/,
        );
        expect(line).toContain('LAG_WARNING_MINUTES=10');
        expect(line.split('\n')).toHaveLength(1);
    });
});
