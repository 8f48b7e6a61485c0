/**
 * Incident rows for Sentinel as pure data: the due-work rule for rows (shared/containment/due.ts), the row built
 * from the incident view (sentinelRow.ts) within the service's limits, and the settings that turn rows on.
 */
import { loadContainmentConfig } from '../../shared/settings/containment';
import { loadIncidentLogConfig } from '../../shared/settings/sentinelRows';
import {
    hasPendingWork,
    hasReportReady,
    isSentinelRowDue,
    isSentinelRowReady,
    isSettled,
    reportedState,
    sentinelRowAccepted,
    sentinelRowFailed,
} from '../../shared/containment/due';
import { planContainment } from '../../shared/containment/plan';
import { SENTINEL_ROW_COLUMNS, sentinelRow } from '../../shared/sentinel/sentinelRow';
import type { Containment, SentinelRowError } from '../../shared/containment/model';
import { ConfigError } from '../../shared/errors';
import {
    containedContainment,
    containmentConfig,
    hostileIncident,
    NOW,
    sampleIncident,
    USER_ID,
} from '../support/incidents';

const MIN = 60_000;
const RULE = 'dcr-0123456789abcdef0123456789abcdef';
const withRows = containmentConfig({
    LOGS_INGESTION_ENDPOINT: 'https://dcr-x.westeurope-1.ingest.monitor.azure.com',
    LOGS_INGESTION_RULE_ID: RULE,
    MAX_STEP_ATTEMPTS: '3',
});
const error: SentinelRowError = { status: 503, code: 'ServiceUnavailable', message: 'try later' };

function planned(over: Partial<Containment> = {}, config = withRows): Containment {
    return { ...planContainment({ incident: sampleIncident(), earlier: [], config, now: NOW }), ...over };
}

describe('the due-work rule for incident rows', () => {
    it('plans rows only when LOGS_INGESTION_* are set', () => {
        expect(planned().logRows).toEqual({ sequence: 0 });
        expect(planned({}, containmentConfig()).logRows).toBeUndefined();
        expect(isSentinelRowDue(planned({}, containmentConfig()), withRows)).toBe(false);
    });

    it('waits for the first run of a live containment and for a run in progress, as the incident notice does', () => {
        const fresh = planned();
        expect(fresh.status).toBe('pending');
        expect(isSentinelRowDue(fresh, withRows)).toBe(true);
        expect(isSentinelRowReady(fresh, withRows, NOW)).toBe(false);
        expect(isSentinelRowReady({ ...fresh, status: 'running', runs: 1 }, withRows, NOW)).toBe(false);
        expect(isSentinelRowReady({ ...fresh, status: 'retrying', runs: 1 }, withRows, NOW)).toBe(true);
        const dryRun = planned({}, { ...withRows, mode: 'dry-run' });
        expect(isSentinelRowReady(dryRun, withRows, NOW)).toBe(true);
        expect(hasReportReady(dryRun, withRows, NOW)).toBe(true);
    });

    it('reports each state once: a status change, and an approval, make a new row due', () => {
        let c = planned({ status: 'contained', runs: 1 });
        expect(reportedState(c)).toBe('contained');
        c = { ...c, logRows: sentinelRowAccepted(c.logRows!, { state: 'contained', sequence: 1 }, NOW) };
        expect(isSentinelRowDue(c, withRows)).toBe(false);
        expect(hasPendingWork(c, withRows)).toBe(false);
        const approved: Containment = {
            ...c,
            notices: [...c.notices, { kind: 'approval', status: 'pending', attempts: 0 }],
        };
        expect(reportedState(approved)).toBe('contained+approval');
        expect(isSentinelRowDue(approved, withRows)).toBe(true);
        const released: Containment = { ...c, status: 'released' };
        expect(isSentinelRowDue(released, withRows)).toBe(true);
        expect(hasPendingWork(released, withRows)).toBe(true);
    });

    it('backs off after a failure (or as long as Retry-After says), and gives up NOTICE_RETRY_HOURS after the first', () => {
        const HOUR = 60 * MIN;
        let c = planned({ status: 'contained', runs: 1 });
        c = { ...c, logRows: sentinelRowFailed(c.logRows!, 'contained', error, NOW, withRows) };
        expect(c.logRows!.failing).toEqual({
            state: 'contained',
            attempts: 1,
            nextAttemptAt: NOW + MIN,
            error,
            since: NOW,
        });
        expect(isSentinelRowReady(c, withRows, NOW + MIN - 1)).toBe(false);
        expect(isSentinelRowReady(c, withRows, NOW + MIN)).toBe(true);
        c = { ...c, logRows: sentinelRowFailed(c.logRows!, 'contained', error, NOW + MIN, withRows, 10 * MIN) };
        expect(c.logRows!.failing).toMatchObject({ attempts: 2, nextAttemptAt: NOW + 11 * MIN, since: NOW });
        // An outage of hours: 1, 2, 4, ... minutes apart, at most an hour; still due past MAX_STEP_ATTEMPTS (3 here).
        let at = NOW + 11 * MIN;
        const waits: number[] = [];
        for (let i = 0; i < 100; i++) {
            c = { ...c, logRows: sentinelRowFailed(c.logRows!, 'contained', error, at, withRows) };
            if (c.logRows!.failing!.gaveUpAt !== undefined) break;
            waits.push((c.logRows!.failing!.nextAttemptAt - at) / MIN);
            expect(isSentinelRowDue(c, withRows)).toBe(true);
            expect(hasPendingWork(c, withRows)).toBe(true);
            at = c.logRows!.failing!.nextAttemptAt;
        }
        expect(waits.slice(0, 6)).toEqual([4, 8, 16, 32, 60, 60]);
        expect(Math.max(...waits)).toBe(60);
        // Given up 24 hours after the first failure: no longer due, so it holds nothing back and the incident can be
        // forgotten (health reports it)...
        expect(c.logRows!.failing).toMatchObject({ since: NOW, gaveUpAt: expect.any(Number) });
        expect(c.logRows!.failing!.gaveUpAt! - NOW).toBeGreaterThanOrEqual(24 * HOUR);
        expect(isSentinelRowDue(c, withRows)).toBe(false);
        expect(hasPendingWork(c, withRows)).toBe(false);
        let dry = planned({}, { ...withRows, mode: 'dry-run' });
        expect(isSettled(dry, withRows)).toBe(false);
        dry = { ...dry, logRows: sentinelRowFailed(dry.logRows!, 'dry-run', error, NOW, withRows) };
        dry = { ...dry, logRows: sentinelRowFailed(dry.logRows!, 'dry-run', error, NOW + 25 * HOUR, withRows) };
        expect(isSettled(dry, withRows)).toBe(true);
        // ...until the state changes: the latest state is a new row with retries of its own.
        const released: Containment = { ...c, status: 'released' };
        expect(isSentinelRowDue(released, withRows)).toBe(true);
        expect(isSentinelRowReady(released, withRows, NOW)).toBe(true);
        expect(sentinelRowFailed(released.logRows!, 'released', error, NOW, withRows).failing).toMatchObject({
            attempts: 1,
            since: NOW,
        });
    });

    it('reads a failing row written before retries had a horizon by the rule it was written under', () => {
        const old = planned({
            status: 'contained',
            runs: 1,
            logRows: { sequence: 0, failing: { state: 'contained', attempts: 2, nextAttemptAt: NOW, error } },
        });
        expect(isSentinelRowDue(old, withRows)).toBe(true);
        const spent = { ...old, logRows: { ...old.logRows!, failing: { ...old.logRows!.failing!, attempts: 3 } } };
        expect(isSentinelRowDue(spent, withRows)).toBe(false);
    });

    it('keeps the higher sequence when two senders race, and never records a failure over an accepted state', () => {
        const rows = sentinelRowAccepted({ sequence: 0 }, { state: 'contained', sequence: 1 }, NOW);
        expect(rows).toEqual({ sequence: 1, reported: 'contained', at: NOW });
        // A duplicate (or a stale sender) of the same number changes nothing.
        expect(sentinelRowAccepted(rows, { state: 'retrying', sequence: 1 }, NOW + 1)).toEqual(rows);
        expect(sentinelRowFailed(rows, 'contained', error, NOW, withRows)).toBe(rows);
        const next = sentinelRowAccepted(
            sentinelRowFailed(rows, 'released', error, NOW, withRows),
            { state: 'released', sequence: 2 },
            NOW + 2,
        );
        expect(next).toEqual({ sequence: 2, reported: 'released', at: NOW + 2 });
    });

    it('sends nothing more once the settings are gone (skipped)', () => {
        const c = planned({ status: 'dry-run', logRows: { sequence: 0, skipped: 'not set' } });
        expect(isSentinelRowDue(c, withRows)).toBe(false);
    });
});

describe('sentinelRow', () => {
    const row = (inc = sampleIncident(), c: Containment = containedContainment()) =>
        sentinelRow(inc, c, { state: reportedState(c), sequence: 1, now: NOW }, withRows);

    it('has every declared column and no other, of the declared type', () => {
        const r = row();
        expect(Object.keys(r)).toEqual(SENTINEL_ROW_COLUMNS.map((c) => c.name));
        for (const { name, type } of SENTINEL_ROW_COLUMNS) {
            const v = r[name];
            if (v === null) continue;
            const ok = {
                string: typeof v === 'string',
                int: Number.isInteger(v),
                long: Number.isInteger(v),
                real: typeof v === 'number',
                boolean: typeof v === 'boolean',
                datetime: typeof v === 'string' && !Number.isNaN(Date.parse(v)),
                dynamic: typeof v === 'object',
            }[type];
            expect({ name, ok }).toEqual({ name, ok: true });
        }
        expect(r).toMatchObject({
            TimeGenerated: new Date(NOW).toISOString(),
            RowId: `${sampleIncident().id}/contained`,
            UserId: USER_ID,
            UserPrincipalName: 'megan.bowen@contoso.com',
            Severity: 'Medium',
            ContainmentStatus: 'contained',
            ReleaseCommand: `mfa-responder release ${USER_ID} --reason "..."`,
        });
        expect(r.Summary).toMatch(/^Trigger: threshold; 11 declined, 3 unanswered/);
    });

    it('keeps every field of a hostile incident under the 64 KB the service truncates at, and the row far below 1 MB', () => {
        const { incident, containment } = hostileIncident();
        const r = row(incident, containment);
        for (const [name, value] of Object.entries(r)) {
            const bytes = Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));
            expect({ name, fits: bytes <= 16_000 }).toEqual({ name, fits: true });
        }
        expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThan(200_000);
        expect(String(r.Headline).length).toBeLessThanOrEqual(250);
        expect(r.Severity).toBe('High');
        // A list cut to fit says how much was left out.
        const evidence = r.Evidence as string[];
        expect(evidence.length).toBeLessThanOrEqual(incident.evidence.length + 1);
    });

    it('cuts a list that would not fit, and says how many were left out', () => {
        const inc = sampleIncident({ evidence: Array.from({ length: 100 }, (_, i) => `${'r'.repeat(300)}${i}`) });
        const evidence = row(inc).Evidence as string[];
        expect(evidence.at(-1)).toMatch(/^… and \d+ more$/);
        const left = Number(/(\d+) more/.exec(evidence.at(-1)!)![1]);
        expect(evidence.length - 1 + left).toBe(100);
    });
});

describe('LOGS_INGESTION_* settings', () => {
    const endpoint = 'https://dcr-x.westeurope-1.ingest.monitor.azure.com/';

    it("turns rows on with the endpoint and the rule, the stream defaulting to the template's", () => {
        expect(loadIncidentLogConfig({})).toBeUndefined();
        expect(
            loadIncidentLogConfig({
                LOGS_INGESTION_ENDPOINT: endpoint,
                LOGS_INGESTION_RULE_ID: RULE.toUpperCase().replace('DCR', 'dcr'),
            }),
        ).toEqual({
            endpoint: endpoint.replace(/\/$/, ''),
            ruleId: RULE,
            stream: 'Custom-MfaFatigueIncidents_CL',
        });
        expect(loadContainmentConfig({ NOTIFY_FORMAT: 'teams' }).notifyFormat).toBe('teams');
        expect(loadContainmentConfig({}).notifyFormat).toBe('json');
    });

    it.each([
        [{ LOGS_INGESTION_ENDPOINT: endpoint }, 'LOGS_INGESTION_RULE_ID'],
        [{ LOGS_INGESTION_RULE_ID: RULE }, 'LOGS_INGESTION_ENDPOINT'],
        [{ LOGS_INGESTION_ENDPOINT: endpoint, LOGS_INGESTION_RULE_ID: 'dcr-123' }, 'LOGS_INGESTION_RULE_ID'],
        [
            { LOGS_INGESTION_ENDPOINT: endpoint, LOGS_INGESTION_RULE_ID: '/subscriptions/x/dataCollectionRules/y' },
            'LOGS_INGESTION_RULE_ID',
        ],
        [{ LOGS_INGESTION_ENDPOINT: 'http://dcr.example', LOGS_INGESTION_RULE_ID: RULE }, 'LOGS_INGESTION_ENDPOINT'],
        [
            {
                LOGS_INGESTION_ENDPOINT: endpoint,
                LOGS_INGESTION_RULE_ID: RULE,
                LOGS_INGESTION_STREAM: 'MfaFatigueIncidents_CL',
            },
            'LOGS_INGESTION_STREAM',
        ],
        [{ NOTIFY_FORMAT: 'adaptive' }, 'NOTIFY_FORMAT'],
    ])('stops start-up on %p, naming %s', (env, name) => {
        let thrown: unknown;
        try {
            loadContainmentConfig(env);
        } catch (e) {
            thrown = e;
        }
        expect(thrown).toBeInstanceOf(ConfigError);
        expect((thrown as ConfigError).setting).toBe(name);
        expect((thrown as Error).message).toContain(name);
    });
});
