/**
 * The containment state machine (shared/containment/: plan, due, run, amend, releaseLock) with plain data and
 * explicit clocks: no I/O, no timers.
 */
import { ContainmentConfig, loadContainmentConfig } from '../../shared/settings/containment';
import { advance, claim, RunContext, settle } from '../../shared/containment/run';
import { amendForApproval, amendForRegistration } from '../../shared/containment/amend';
import { finishRelease, lockForRelease } from '../../shared/containment/releaseLock';
import {
    hasPendingWork,
    isNoticeDue,
    isNoticeReady,
    noticeFailed,
    noticeToSend,
    isRunDue,
    isSettled,
    MAX_BACKOFF_MS,
    mayHoldPushBlock,
    runBackoffMs,
} from '../../shared/containment/due';
import { isNeverContained, planContainment, tookEffectAt } from '../../shared/containment/plan';
import type { Containment, ContainmentStep, Notice, StepName } from '../../shared/containment/model';
import type { StepResult } from '../../shared/containment/steps';
import { evictableIn } from '../../shared/userRow/fitUserRow';
import type { Incident } from '../../shared/detection/userState';

const MIN = 60_000;
const NOW = Date.parse('2026-11-27T12:00:00Z');
const USER_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const GROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const LEASE_MS = 5 * MIN;

function config(env: Record<string, string> = {}): ContainmentConfig {
    return loadContainmentConfig({
        CONTAINMENT_MODE: 'live',
        PUSH_BLOCK_GROUP_ID: GROUP,
        // These tests are about the core, not the break-glass start-up guard (shared/settings/containment.ts).
        ALLOW_NO_BREAK_GLASS: 'true',
        NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/soc',
        MAX_STEP_ATTEMPTS: '3',
        ...env,
    });
}

function incident(over: Partial<Incident> = {}): Incident {
    return {
        id: `${NOW - 5 * MIN}:threshold:${USER_ID}`,
        userId: USER_ID,
        userPrincipalName: 'victim@contoso.com',
        trigger: 'threshold',
        denials: 6,
        timeouts: 0,
        fraudReports: 0,
        firstSeen: NOW - 8 * MIN,
        lastSeen: NOW - 5 * MIN,
        detectedAt: NOW - 5 * MIN,
        recordedAt: NOW,
        ipAddresses: ['185.220.101.34'],
        apps: ['OfficeHome'],
        evidence: [],
        ...over,
    };
}

function plan(cfg = config(), inc = incident(), earlier: Containment[] = [], now = NOW): Containment {
    return planContainment({ incident: inc, earlier, config: cfg, now });
}

function ctx(over: Partial<RunContext> = {}): RunContext {
    return { owner: 'runner-a', now: NOW, leaseMs: LEASE_MS, config: config(), incident: incident(), ...over };
}

const done = (detail = 'ok', extra: Partial<Extract<StepResult, { status: string }>> = {}): StepResult => ({
    status: 'done',
    detail,
    ...extra,
});
const failed = (status: number | undefined, code: string): StepResult => ({
    error: { ...(status !== undefined ? { status } : {}), code, message: `${status ?? ''} ${code}` },
});
const step = (c: Containment, name: StepName): ContainmentStep => c.steps.find((s) => s.name === name)!;
const statuses = (c: Containment) => c.steps.map((s) => [s.name, s.status]);

/** Runs a claimed containment to its end, answering each step with `answer` (default: done). */
function runAll(
    c: Containment,
    context: RunContext,
    answer: (name: StepName) => StepResult = () => done(),
): Containment {
    let adv = claim(c, context);
    while (adv.next) adv = advance(adv.containment, context, adv.next, answer(adv.next));
    return adv.containment;
}

describe('planContainment', () => {
    it('plans every configured step, pending, with an incident notice when a webhook is set', () => {
        const c = plan();
        expect(c).toMatchObject({ status: 'pending', mode: 'live', runs: 0, plannedAt: NOW });
        expect(statuses(c)).toEqual([
            ['check-exclusions', 'pending'],
            ['circuit-breaker', 'pending'],
            ['revoke-sessions', 'pending'],
            ['block-push', 'pending'],
        ]);
        expect(c.steps.every((s) => s.attempts === 0)).toBe(true);
        expect(c.notices).toEqual([{ kind: 'incident', status: 'pending', attempts: 0 }]);
        expect(c.finishedAt).toBeUndefined();
    });

    it('has no pending notice without a webhook (skipped), so nothing waits for one', () => {
        const cfg = loadContainmentConfig({
            CONTAINMENT_MODE: 'live',
            PUSH_BLOCK_GROUP_ID: GROUP,
            ALLOW_NO_BREAK_GLASS: 'true',
        });
        const c = plan(cfg);
        expect(c.notices).toEqual([{ kind: 'incident', status: 'skipped', attempts: 0 }]);
        const dry = plan(loadContainmentConfig({}));
        expect(dry.notices[0]!.status).toBe('skipped');
        expect(hasPendingWork(dry, cfg)).toBe(false);
    });

    it('includes confirm-compromised, disable-account and the second revoke only when configured', () => {
        const c = plan(config({ CONFIRM_COMPROMISED: 'true', DISABLE_ACCOUNT: 'true' }));
        expect(c.steps.map((s) => s.name)).toEqual([
            'check-exclusions',
            'circuit-breaker',
            'revoke-sessions',
            'block-push',
            'confirm-compromised',
            'disable-account',
            'revoke-sessions-again',
        ]);
    });

    it.each([
        ['the object id, in capitals', USER_ID.toUpperCase(), incident()],
        ['the UPN, in any case', 'VICTIM@Contoso.com', incident()],
        [
            'a guest’s home UPN while sign-ins carry the #EXT# form',
            'alice@fabrikam.com',
            incident({ userPrincipalName: 'alice_fabrikam.com#EXT#@contoso.onmicrosoft.com' }),
        ],
        [
            'the #EXT# form while sign-ins carry the home UPN',
            'alice_fabrikam.com#EXT#@contoso.onmicrosoft.com',
            incident({ userPrincipalName: 'Alice@Fabrikam.com' }),
        ],
        [
            'a UPN in NFD while sign-ins carry NFC',
            'jose\u0301@contoso.com',
            incident({ userPrincipalName: 'jos\u00e9@contoso.com' }),
        ],
        [
            'a UPN in NFC while sign-ins carry NFD',
            'jos\u00e9@contoso.com',
            incident({ userPrincipalName: 'JOSE\u0301@contoso.com' }),
        ],
    ])('never contains a user NEVER_CONTAIN lists by %s', (_what, listed, inc) => {
        const c = plan(config({ NEVER_CONTAIN: `someone@contoso.com, ${listed}` }), inc);
        expect(c).toMatchObject({ status: 'not-contained', reason: 'NEVER_CONTAIN lists this user', finishedAt: NOW });
        expect(c.steps).toEqual([]);
        expect(c.notices).toEqual([{ kind: 'incident', status: 'pending', attempts: 0 }]);
        expect(isRunDue(c, NOW)).toBe(false);
    });

    it('contains a user NEVER_CONTAIN does not list (a look-alike UPN, another guest of the same tenant)', () => {
        const cfg = config({ NEVER_CONTAIN: 'alice@fabrikam.com, victim@contoso.co' });
        expect(plan(cfg).status).toBe('pending');
        expect(plan(cfg, incident({ userPrincipalName: 'bob_fabrikam.com#EXT#@contoso.onmicrosoft.com' })).status).toBe(
            'pending',
        );
        expect(plan(cfg, incident({ userPrincipalName: undefined })).status).toBe('pending');
    });

    /** An earlier containment of the user whose revoke took effect at `at` (its other steps as planned). */
    const tookEffect = (c: Containment, at: number, status: Containment['status'] = 'contained'): Containment => ({
        ...c,
        status,
        startedAt: at - MIN,
        steps: c.steps.map((s) =>
            s.name === 'revoke-sessions' || s.name === 'circuit-breaker' ? { ...s, status: 'done', at } : s,
        ),
    });

    it('does not contain again within the cooldown after an earlier containment took effect, and says when', () => {
        const cfg = config({ CONTAINMENT_COOLDOWN_MINUTES: '60' });
        const earlier = tookEffect(plan(cfg, incident({ id: 'earlier' }), [], NOW - 50 * MIN), NOW - 45 * MIN);
        const c = plan(cfg, incident(), [earlier]);
        expect(c.status).toBe('not-contained');
        expect(c.reason).toBe(
            `cooldown: incident earlier already contained this user at ${new Date(NOW - 45 * MIN).toISOString()}`,
        );
        expect(c.steps).toEqual([]);
        expect(tookEffectAt(earlier)).toBe(NOW - 45 * MIN);
        // Still running, but a write already landed: the cooldown holds too.
        expect(plan(cfg, incident(), [tookEffect(earlier, NOW - 5 * MIN, 'retrying')]).status).toBe('not-contained');
    });

    it('starts no cooldown for a containment that changed nothing: a second attack is contained', () => {
        const cfg = config({ CONTAINMENT_COOLDOWN_MINUTES: '60' });
        const first = plan(cfg, incident({ id: 'earlier' }), [], NOW - 15 * MIN);
        // The breaker row was unreadable: needs attention, no Graph write (the gates do not count).
        const noWrite: Containment = {
            ...first,
            status: 'needs-attention',
            startedAt: NOW - 15 * MIN,
            steps: first.steps.map((s) =>
                s.name === 'check-exclusions'
                    ? { ...s, status: 'done', at: NOW - 15 * MIN }
                    : s.name === 'circuit-breaker'
                      ? { ...s, status: 'skipped', at: NOW - 15 * MIN }
                      : s,
            ),
        };
        expect(tookEffectAt(noWrite)).toBeUndefined();
        expect(plan(cfg, incident(), [noWrite]).status).toBe('pending');
        // Nor one still trying that has written nothing yet, nor one whose every write failed.
        expect(plan(cfg, incident(), [{ ...first, status: 'retrying', startedAt: NOW - 15 * MIN }]).status).toBe(
            'pending',
        );
        const refused: Containment = {
            ...first,
            status: 'needs-attention',
            steps: first.steps.map((s) => (s.name === 'revoke-sessions' ? { ...s, status: 'failed', at: NOW } : s)),
        };
        expect(plan(cfg, incident(), [refused]).status).toBe('pending');
    });

    it('contains again after the cooldown, after a release, or after a deliberate non-containment', () => {
        const cfg = config({ CONTAINMENT_COOLDOWN_MINUTES: '60' });
        const base = plan(cfg, incident({ id: 'earlier' }), [], NOW - 62 * MIN);
        expect(plan(cfg, incident(), [tookEffect(base, NOW - 61 * MIN)]).status).toBe('pending');
        const recent = tookEffect(plan(cfg, incident({ id: 'earlier' }), [], NOW - 10 * MIN), NOW - 10 * MIN);
        expect(plan(cfg, incident(), [{ ...recent, status: 'released' }]).status).toBe('pending');
        expect(plan(cfg, incident(), [{ ...recent, status: 'not-contained' }]).status).toBe('pending');
        expect(plan(cfg, incident(), [{ ...recent, status: 'dry-run' }]).status).toBe('pending');
        // Its own earlier plan (a redelivered batch) is no cooldown.
        expect(plan(cfg, incident(), [{ ...recent, incidentId: incident().id, status: 'retrying' }]).status).toBe(
            'pending',
        );
    });

    it('in dry-run records every step as dry-run with what it would do, and needs no run', () => {
        const c = plan(config({ CONTAINMENT_MODE: 'dry-run', DISABLE_ACCOUNT: 'true' }));
        expect(c).toMatchObject({ status: 'dry-run', mode: 'dry-run', finishedAt: NOW, runs: 0 });
        expect(c.steps.map((s) => [s.name, s.status, s.detail, s.at, s.attempts])).toEqual([
            [
                'check-exclusions',
                'dry-run',
                'would read the account (UPN, guest or member) and check NEVER_CONTAIN',
                NOW,
                0,
            ],
            ['circuit-breaker', 'dry-run', 'would take one of the 10 containments allowed per hour', NOW, 0],
            ['revoke-sessions', 'dry-run', 'would revoke sign-in sessions', NOW, 0],
            ['block-push', 'dry-run', `would add the user to group ${GROUP}`, NOW, 0],
            ['disable-account', 'dry-run', 'would disable the account', NOW, 0],
            ['revoke-sessions-again', 'dry-run', 'would revoke sign-in sessions again', NOW, 0],
        ]);
        expect(isRunDue(c, NOW)).toBe(false);
        expect(c.notices).toEqual([{ kind: 'incident', status: 'pending', attempts: 0 }]);
        const removeMethod = plan(config({ CONTAINMENT_MODE: 'dry-run', PUSH_BLOCK_MODE: 'remove-method' }));
        expect(step(removeMethod, 'block-push').detail).toBe('would delete the Microsoft Authenticator registrations');
    });

    it('checks NEVER_CONTAIN before dry-run: a listed user is recorded as not contained', () => {
        const c = plan(config({ CONTAINMENT_MODE: 'dry-run', NEVER_CONTAIN: USER_ID }));
        expect(c.status).toBe('not-contained');
    });
});

describe('isNeverContained', () => {
    it('also matches the UPN Graph returned for the account when the sign-ins carried none', () => {
        const cfg = config({ NEVER_CONTAIN: 'breakglass@contoso.com' });
        const inc = incident({ userPrincipalName: undefined });
        expect(isNeverContained(cfg, inc)).toBe(false);
        expect(isNeverContained(cfg, inc, { account: { userPrincipalName: 'BreakGlass@contoso.com' } })).toBe(true);
    });
});

describe('isRunDue', () => {
    const c = plan();
    it('is due when unfinished and nobody holds it', () => {
        expect(isRunDue(c, NOW)).toBe(true);
    });
    it('is not due while a lease is held, and due again once it expires', () => {
        const held = { ...c, status: 'running' as const, lease: { owner: 'x', until: NOW + 1, cursor: 0 } };
        expect(isRunDue(held, NOW)).toBe(false);
        expect(isRunDue(held, NOW + 1)).toBe(true);
    });
    it('waits out the backoff of a retrying containment', () => {
        const retrying = { ...c, status: 'retrying' as const, nextAttemptAt: NOW + MIN };
        expect(isRunDue(retrying, NOW + MIN - 1)).toBe(false);
        expect(isRunDue(retrying, NOW + MIN)).toBe(true);
    });
    it.each(['contained', 'not-contained', 'needs-attention', 'released', 'dry-run'] as const)(
        'is never due once %s',
        (status) => {
            expect(isRunDue({ ...c, status }, NOW + 365 * 24 * 60 * MIN)).toBe(false);
        },
    );
});

describe('claim', () => {
    it('takes the containment: runs + 1, running, a lease, and the first step in flight', () => {
        const adv = claim(plan(), ctx());
        expect(adv.lost).toBeUndefined();
        expect(adv.next).toBe('check-exclusions');
        const c = adv.containment;
        expect(c).toMatchObject({ status: 'running', runs: 1, startedAt: NOW });
        expect(c.lease).toEqual({ owner: 'runner-a', until: NOW + LEASE_MS, cursor: 1 });
        expect(step(c, 'check-exclusions')).toMatchObject({ status: 'running', attempts: 1, at: NOW });
    });

    it('does not change the containment it was given', () => {
        const c = plan();
        const before = structuredClone(c);
        claim(c, ctx());
        expect(c).toEqual(before);
    });

    it('is lost while another runner holds the lease, or before the backoff has passed', () => {
        const held = claim(plan(), ctx()).containment;
        expect(claim(held, ctx({ owner: 'runner-b', now: NOW + 1000 }))).toEqual({ containment: held, lost: true });
        const retrying = { ...plan(), status: 'retrying' as const, nextAttemptAt: NOW + MIN };
        expect(claim(retrying, ctx()).lost).toBe(true);
    });

    it('restarts the every-run check and a step whose call was in flight, keeps the first start, drops the backoff', () => {
        // Run 1 did check-exclusions, the breaker and revoke, then died with block-push in flight.
        let c = claim(plan(), ctx()).containment;
        for (const name of ['check-exclusions', 'circuit-breaker', 'revoke-sessions'] as const) {
            c = advance(c, ctx(), name, done()).containment;
        }
        expect(step(c, 'block-push')).toMatchObject({ status: 'running', attempts: 1 });
        c = { ...c, nextAttemptAt: NOW };
        const later = NOW + LEASE_MS;
        const adv = claim(c, ctx({ owner: 'runner-b', now: later }));
        expect(adv.next).toBe('check-exclusions');
        expect(adv.containment).toMatchObject({ runs: 2, startedAt: NOW, status: 'running' });
        expect(adv.containment.nextAttemptAt).toBeUndefined();
        expect(statuses(adv.containment)).toEqual([
            ['check-exclusions', 'running'],
            ['circuit-breaker', 'done'],
            ['revoke-sessions', 'done'],
            ['block-push', 'pending'],
        ]);
        let next = advance(adv.containment, ctx({ owner: 'runner-b', now: later }), 'check-exclusions', done());
        // The breaker slot and revoke are not taken again; the interrupted block-push is.
        expect(next.next).toBe('block-push');
        expect(step(next.containment, 'block-push').attempts).toBe(2);
        next = advance(next.containment, ctx({ owner: 'runner-b', now: later }), 'block-push', done());
        expect(next.containment.status).toBe('contained');
    });

    it('stops before any step when NEVER_CONTAIN now lists the user, also by the UPN a previous run read', () => {
        const first = runAll(plan(), ctx(), (name) =>
            name === 'revoke-sessions'
                ? failed(503, 'ServiceUnavailable')
                : name === 'check-exclusions'
                  ? done('read', { facts: { account: { userPrincipalName: 'BG@contoso.com' } } })
                  : done(),
        );
        expect(first.status).toBe('retrying');
        const cfg = config({ NEVER_CONTAIN: 'bg@contoso.com' });
        const inc = incident({ userPrincipalName: undefined });
        const adv = claim(first, ctx({ now: NOW + 2 * MIN, config: cfg, incident: inc }));
        expect(adv.next).toBeUndefined();
        expect(adv.containment).toMatchObject({
            status: 'not-contained',
            reason: 'NEVER_CONTAIN lists this user; the push block an earlier run put in place stays until a release undoes it',
        });
        expect(adv.containment.lease).toBeUndefined();
    });
});

describe('advance', () => {
    it('records a step’s result and starts the next one, renewing the lease', () => {
        const c = claim(plan(), ctx()).containment;
        const adv = advance(c, ctx({ now: NOW + 1000 }), 'check-exclusions', done('account read'));
        expect(step(adv.containment, 'check-exclusions')).toMatchObject({
            status: 'done',
            detail: 'account read',
            at: NOW + 1000,
            attempts: 1,
        });
        expect(adv.next).toBe('circuit-breaker');
        expect(step(adv.containment, 'circuit-breaker')).toMatchObject({ status: 'running', attempts: 1 });
        expect(adv.containment.lease).toEqual({ owner: 'runner-a', until: NOW + 1000 + LEASE_MS, cursor: 2 });
    });

    it('keeps the facts a step learned: the account and the push block', () => {
        const c = runAll(plan(), ctx(), (name) =>
            name === 'check-exclusions'
                ? done('read', { facts: { account: { userPrincipalName: 'v@contoso.com', userType: 'Member' } } })
                : name === 'block-push'
                  ? done('added', { facts: { pushBlock: { mode: 'group', groupId: GROUP } } })
                  : done(),
        );
        expect(c.account).toEqual({ userPrincipalName: 'v@contoso.com', userType: 'Member' });
        expect(c.pushBlock).toEqual({ mode: 'group', groupId: GROUP });
        expect(c.status).toBe('contained');
    });

    it('stores a failure with Graph’s status and code and goes on to the independent steps', () => {
        const c = runAll(plan(), ctx(), (name) =>
            name === 'revoke-sessions' ? failed(503, 'ServiceUnavailable') : done(),
        );
        expect(step(c, 'revoke-sessions')).toMatchObject({
            status: 'failed',
            error: { status: 503, code: 'ServiceUnavailable' },
        });
        expect(step(c, 'block-push').status).toBe('done');
    });

    it('clears the error of a step that succeeds on a later run', () => {
        const first = runAll(plan(), ctx(), (name) => (name === 'revoke-sessions' ? failed(503, 'Busy') : done()));
        const second = runAll(first, ctx({ now: NOW + 2 * MIN }));
        expect(second.status).toBe('contained');
        expect(step(second, 'revoke-sessions').error).toBeUndefined();
        expect(step(second, 'revoke-sessions').attempts).toBe(2);
        expect(step(second, 'block-push').attempts).toBe(1);
    });

    it('stops the run when a gate step fails: nothing after it runs', () => {
        const c = claim(plan(), ctx()).containment;
        const adv = advance(c, ctx(), 'check-exclusions', failed(503, 'ServiceUnavailable'));
        expect(adv.next).toBeUndefined();
        expect(adv.containment.status).toBe('retrying');
        expect(statuses(adv.containment).slice(1)).toEqual([
            ['circuit-breaker', 'pending'],
            ['revoke-sessions', 'pending'],
            ['block-push', 'pending'],
        ]);
    });

    it('ends the run with the status a step decided (never-contain group, breaker open)', () => {
        let adv = claim(plan(), ctx());
        adv = advance(adv.containment, ctx(), 'check-exclusions', done('read'));
        adv = advance(adv.containment, ctx(), 'circuit-breaker', {
            status: 'skipped',
            detail: '10 containments in the last hour',
            stop: { status: 'not-contained', reason: 'circuit breaker open' },
        });
        expect(adv.next).toBeUndefined();
        expect(adv.containment).toMatchObject({
            status: 'not-contained',
            reason: 'circuit breaker open',
            finishedAt: NOW,
        });
        expect(step(adv.containment, 'revoke-sessions').status).toBe('pending');
        expect(isRunDue(adv.containment, NOW + 60 * MIN)).toBe(false);
    });

    it('is lost, and writes nothing, when the lease is another’s, the containment was released, or the step is not in flight', () => {
        const c = claim(plan(), ctx()).containment;
        const stolen = { ...c, lease: { owner: 'release-x', until: NOW + LEASE_MS, cursor: 0 } };
        expect(advance(stolen, ctx(), 'check-exclusions', done())).toEqual({ containment: stolen, lost: true });
        const released = { ...c, status: 'released' as const };
        expect(advance(released, ctx(), 'check-exclusions', done())).toEqual({ containment: released, lost: true });
        expect(advance(c, ctx(), 'block-push', done())).toEqual({ containment: c, lost: true });
        const unleased = { ...c };
        delete unleased.lease;
        expect(advance(unleased, ctx(), 'check-exclusions', done()).lost).toBe(true);
    });

    it('past the deadline, leaves the rest to the timer: retrying, due at once, with a reason', () => {
        const deadline = NOW + 5000;
        let adv = claim(plan(), ctx({ deadline }));
        adv = advance(adv.containment, ctx({ deadline, now: NOW + 1000 }), 'check-exclusions', done());
        expect(adv.next).toBe('circuit-breaker');
        adv = advance(adv.containment, ctx({ deadline, now: deadline }), 'circuit-breaker', done());
        expect(adv.next).toBeUndefined();
        const c = adv.containment;
        expect(c).toMatchObject({ status: 'retrying', nextAttemptAt: deadline });
        expect(c.reason).toMatch(/continued by the containment timer/);
        expect(c.lease).toBeUndefined();
        expect(step(c, 'revoke-sessions')).toMatchObject({ status: 'pending', attempts: 0 });
        expect(isRunDue(c, deadline)).toBe(true);
        expect(hasPendingWork(c, config())).toBe(true);
    });

    it('a step that fails as the deadline passes goes on at once, but a refusal still needs a person', () => {
        const deadline = NOW + 5000;
        const start = claim(plan(), ctx({ deadline })).containment;
        const timedOut = advance(
            start,
            ctx({ deadline, now: deadline }),
            'check-exclusions',
            failed(undefined, 'Timeout'),
        );
        expect(timedOut.containment).toMatchObject({ status: 'retrying', nextAttemptAt: deadline });
        expect(timedOut.containment.reason).toBe(
            "check-exclusions failed (Timeout) as the event handler's few seconds ran out; continued by the containment timer",
        );
        const refused = advance(start, ctx({ deadline, now: deadline }), 'check-exclusions', failed(403, 'Forbidden'));
        expect(refused.containment.status).toBe('needs-attention');
        const beforeDeadline = advance(start, ctx({ deadline, now: NOW }), 'check-exclusions', failed(503, 'Busy'));
        expect(beforeDeadline.containment.nextAttemptAt).toBeGreaterThan(NOW); // an ordinary failure backs off
    });

    it('skips the second revoke when disable-account did not run, and runs it once disable did', () => {
        const cfg = config({ DISABLE_ACCOUNT: 'true' });
        const first = runAll(plan(cfg), ctx({ config: cfg }), (name) =>
            name === 'disable-account' ? failed(503, 'ServiceUnavailable') : done(),
        );
        expect(step(first, 'revoke-sessions-again')).toMatchObject({ status: 'pending', attempts: 0 });
        expect(first.status).toBe('retrying');
        const ran: StepName[] = [];
        const second = runAll(first, ctx({ config: cfg, now: NOW + 2 * MIN }), (name) => {
            ran.push(name);
            return done();
        });
        expect(ran).toEqual(['check-exclusions', 'disable-account', 'revoke-sessions-again']);
        expect(second.status).toBe('contained');
    });

    it('needs attention when disable-account is out of attempts, although the second revoke never applied', () => {
        const cfg = config({ DISABLE_ACCOUNT: 'true', MAX_STEP_ATTEMPTS: '1' });
        const c = runAll(plan(cfg), ctx({ config: cfg }), (name) =>
            name === 'disable-account' ? failed(500, 'InternalServerError') : done(),
        );
        expect(c.status).toBe('needs-attention');
        expect(c.reason).toBe('disable-account failed 1 times; last error InternalServerError');
    });

    it('settles not-contained as soon as the account it read is on NEVER_CONTAIN', () => {
        const cfg = config({ NEVER_CONTAIN: 'breakglass@contoso.com' });
        const inc = incident({ userPrincipalName: undefined });
        const c0 = plan(cfg, inc);
        expect(c0.status).toBe('pending');
        let adv = claim(c0, ctx({ config: cfg, incident: inc }));
        adv = advance(adv.containment, ctx({ config: cfg, incident: inc }), 'check-exclusions', {
            status: 'done',
            detail: 'account read',
            facts: { account: { userPrincipalName: 'BreakGlass@Contoso.com' } },
        });
        expect(adv.next).toBeUndefined();
        expect(adv.containment).toMatchObject({ status: 'not-contained', reason: 'NEVER_CONTAIN lists this user' });
    });
});

describe('settle', () => {
    it('contained when every step finished; no lease, no backoff, a finish time', () => {
        const c = runAll(plan(), ctx());
        expect(c.status).toBe('contained');
        expect(c.finishedAt).toBe(NOW);
        expect(c.lease).toBeUndefined();
        expect(c.nextAttemptAt).toBeUndefined();
        expect(c.reason).toBeUndefined();
        expect(c.notices.map((n) => n.kind)).toEqual(['incident']);
    });

    it('dry-run when a dry-run containment finished', () => {
        const dry = { ...plan(), mode: 'dry-run' as const };
        const c = runAll(dry, ctx());
        expect(c.status).toBe('dry-run');
    });

    it('needs attention at once on a 403, says which permission is missing, and adds one notice', () => {
        const c = runAll(plan(), ctx(), (name) =>
            name === 'block-push' ? failed(403, 'Authorization_RequestDenied') : done(),
        );
        expect(c.status).toBe('needs-attention');
        expect(c.reason).toBe(
            'block-push: Graph refused (403 Authorization_RequestDenied): 403 Authorization_RequestDenied; grant what docs/permissions.md lists',
        );
        expect(c.finishedAt).toBe(NOW);
        expect(c.notices).toEqual([
            { kind: 'incident', status: 'pending', attempts: 0 },
            { kind: 'needs-attention', status: 'pending', attempts: 0 },
        ]);
        // Settling again (a second look) adds no second notice.
        expect(settle(c, ctx()).notices.filter((n) => n.kind === 'needs-attention')).toHaveLength(1);
        expect(isRunDue(c, NOW + 24 * 60 * MIN)).toBe(false);
    });

    it('needs attention when a step is out of attempts (MAX_STEP_ATTEMPTS), not before', () => {
        let c = plan();
        const fail = (name: StepName) => (name === 'revoke-sessions' ? failed(undefined, 'Timeout') : done());
        let now = NOW;
        for (let run = 1; run <= 2; run++) {
            c = runAll(c, ctx({ now }), fail);
            expect(c.status).toBe('retrying');
            now = c.nextAttemptAt!;
        }
        c = runAll(c, ctx({ now }), fail);
        expect(c.status).toBe('needs-attention');
        expect(c.reason).toBe('revoke-sessions failed 3 times; last error Timeout');
        expect(c.nextAttemptAt).toBeUndefined();
    });

    it('otherwise retries with a backoff of 1, 2, 4 ... minutes, at most 30, and says why', () => {
        const cfg = config({ MAX_STEP_ATTEMPTS: '50' });
        let c = plan(cfg);
        let now = NOW;
        const waits: number[] = [];
        for (let run = 1; run <= 8; run++) {
            c = runAll(c, ctx({ now, config: cfg }), (name) =>
                name === 'revoke-sessions' ? failed(503, 'ServiceUnavailable') : done(),
            );
            expect(c.status).toBe('retrying');
            expect(c.reason).toBe('revoke-sessions failed (ServiceUnavailable); retried by the timer');
            expect(isRunDue(c, c.nextAttemptAt! - 1)).toBe(false);
            waits.push((c.nextAttemptAt! - now) / MIN);
            now = c.nextAttemptAt!;
        }
        expect(waits).toEqual([1, 2, 4, 8, 16, 30, 30, 30]);
        expect([0, 1, 2, 6, 7, 100].map(runBackoffMs)).toEqual([
            MIN,
            MIN,
            2 * MIN,
            MAX_BACKOFF_MS,
            MAX_BACKOFF_MS,
            MAX_BACKOFF_MS,
        ]);
    });

    it('a needs-attention notice is skipped without a webhook, so the row does not stay pending for it', () => {
        const cfg = loadContainmentConfig({
            CONTAINMENT_MODE: 'live',
            PUSH_BLOCK_GROUP_ID: GROUP,
            ALLOW_NO_BREAK_GLASS: 'true',
        });
        const c = settle(
            claim(plan(cfg), ctx({ config: cfg })).containment,
            { now: NOW, config: cfg },
            { status: 'needs-attention', reason: 'breaker' },
        );
        expect(c.notices.find((n) => n.kind === 'needs-attention')!.status).toBe('skipped');
        expect(hasPendingWork(c, cfg)).toBe(false);
    });
});

describe('the due-work rule: isNoticeDue, isNoticeReady, hasPendingWork', () => {
    const cfg = config({ MAX_STEP_ATTEMPTS: '3' });
    const n = (status: Notice['status'], attempts: number, extra: Partial<Notice> = {}): Notice => ({
        kind: 'incident',
        status,
        attempts,
        ...extra,
    });

    it('a notice is due when never tried, or failing and not given up (a row written before: attempts left)', () => {
        expect(isNoticeDue(n('pending', 0), cfg)).toBe(true);
        expect(isNoticeDue(n('failed', 9, { nextAttemptAt: NOW, firstFailedAt: NOW }), cfg)).toBe(true);
        expect(isNoticeDue(n('failed', 9, { gaveUpAt: NOW, firstFailedAt: NOW }), cfg)).toBe(false);
        expect(isNoticeDue(n('failed', 2), cfg)).toBe(true);
        expect(isNoticeDue(n('failed', 3), cfg)).toBe(false);
        expect(isNoticeDue(n('sent', 1), cfg)).toBe(false);
        expect(isNoticeDue(n('skipped', 0), cfg)).toBe(false);
        expect(isNoticeDue(n('superseded', 0), cfg)).toBe(false);
    });

    it('a failing notice backs off 1, 2, 4, ... minutes (at most an hour, or Retry-After) and is given up after NOTICE_RETRY_HOURS', () => {
        const horizon = config({ NOTICE_RETRY_HOURS: '6' });
        let notice = n('pending', 0);
        let at = NOW;
        const waits: number[] = [];
        for (;;) {
            notice = noticeFailed(notice, 'webhook answered 503', at, horizon);
            if (notice.gaveUpAt !== undefined) break;
            expect(isNoticeDue(notice, horizon)).toBe(true);
            waits.push((notice.nextAttemptAt! - at) / MIN);
            at = notice.nextAttemptAt!;
        }
        expect(waits.slice(0, 7)).toEqual([1, 2, 4, 8, 16, 32, 60]);
        expect(notice).toMatchObject({ status: 'failed', firstFailedAt: NOW, error: 'webhook answered 503' });
        expect(notice.gaveUpAt - NOW).toBeGreaterThanOrEqual(6 * 60 * MIN);
        expect(notice.gaveUpAt - NOW).toBeLessThan(7 * 60 * MIN);
        expect(isNoticeDue(notice, horizon)).toBe(false);
        // A webhook back after eight minutes gets the notice: the fourth try is at minute 7, the fifth at 15.
        expect(waits.slice(0, 4).reduce((a, b) => a + b)).toBe(15);
        expect(noticeFailed(n('pending', 0), 'x', NOW, horizon, 20 * MIN).nextAttemptAt).toBe(NOW + 20 * MIN);
    });

    it('sends only the newest due notice of an incident, standing for the earlier ones', () => {
        const c = runAll(plan(cfg), ctx({ config: cfg }));
        const both: Containment = {
            ...c,
            notices: [
                n('failed', 2, { nextAttemptAt: NOW, firstFailedAt: NOW }),
                { kind: 'needs-attention', status: 'pending', attempts: 0 },
                { kind: 'released', status: 'sent', attempts: 1 },
            ],
        };
        expect(noticeToSend(both, cfg, NOW)).toEqual({
            notice: both.notices[1],
            supersedes: ['incident'],
        });
        // The newest waits for its backoff: nothing is sent meanwhile, not even the older one.
        const waiting: Containment = {
            ...both,
            notices: [
                both.notices[0]!,
                { ...both.notices[1]!, status: 'failed', attempts: 1, nextAttemptAt: NOW + MIN },
            ],
        };
        expect(noticeToSend(waiting, cfg, NOW)).toBeUndefined();
        expect(noticeToSend(waiting, cfg, NOW + MIN)?.notice.kind).toBe('needs-attention');
    });

    it('a finished containment whose notice was given up has no pending work', () => {
        const c = { ...runAll(plan(cfg), ctx({ config: cfg })), notices: [n('failed', 3, { gaveUpAt: NOW })] };
        expect(hasPendingWork(c, cfg)).toBe(false);
        expect(hasPendingWork({ ...c, notices: [n('failed', 2)] }, cfg)).toBe(true);
        expect(hasPendingWork({ ...c, notices: [n('failed', 30, { nextAttemptAt: NOW })] }, cfg)).toBe(true);
        expect(hasPendingWork({ ...c, notices: [n('sent', 1)] }, cfg)).toBe(false);
    });

    it('an unfinished containment is pending work whatever its notices', () => {
        expect(hasPendingWork({ ...plan(cfg), notices: [] }, cfg)).toBe(true);
    });

    it('the incident notice waits for the first run, so that it can say what was done', () => {
        const c = plan(cfg);
        expect(isNoticeReady(c.notices[0]!, c, cfg, NOW)).toBe(false);
        const after = runAll(c, ctx({ config: cfg }), (name) =>
            name === 'revoke-sessions' ? failed(503, 'x') : done(),
        );
        expect(after.status).toBe('retrying');
        expect(isNoticeReady(after.notices[0]!, after, cfg, NOW)).toBe(true);
        // Not while a run is in progress (the timer, or a second runner that lost the claim, would otherwise tell
        // the SOC "containment running" and nothing after).
        const running = claim(after, ctx({ config: cfg, now: after.nextAttemptAt! })).containment;
        expect(running.status).toBe('running');
        expect(isNoticeReady(running.notices[0]!, running, cfg, NOW)).toBe(false);
        expect(hasPendingWork(running, cfg)).toBe(true);
        // Decided at plan time (never-contain): ready at once.
        const listed = plan(config({ NEVER_CONTAIN: USER_ID }));
        expect(isNoticeReady(listed.notices[0]!, listed, cfg, NOW)).toBe(true);
    });
});

describe('isSettled, mayHoldPushBlock and evictableIn', () => {
    const cfg = config();
    const contained = runAll(plan(cfg), ctx());
    const sent = (c: Containment): Containment => ({ ...c, notices: c.notices.map((x) => ({ ...x, status: 'sent' })) });

    it('settled: no containment, released, dry-run or not-contained with nothing to send or undo', () => {
        expect(isSettled(undefined, cfg)).toBe(true);
        expect(isSettled({ ...contained, status: 'released' }, cfg)).toBe(true);
        expect(isSettled(sent(plan(config({ CONTAINMENT_MODE: 'dry-run' }))), cfg)).toBe(true);
        expect(isSettled(sent(plan(config({ NEVER_CONTAIN: USER_ID }))), cfg)).toBe(true);
    });

    it('not settled: a notice to send, a run to finish, a push block to undo, or a person to act', () => {
        expect(isSettled(plan(config({ CONTAINMENT_MODE: 'dry-run' })), cfg)).toBe(false); // notice pending
        expect(isSettled(sent(plan(cfg)), cfg)).toBe(false);
        expect(isSettled(sent(contained), cfg)).toBe(false);
        const attention = settle(claim(plan(cfg), ctx()).containment, ctx(), {
            status: 'needs-attention',
            reason: 'x',
        });
        expect(isSettled(sent(attention), cfg)).toBe(false);
    });

    it('a not-contained run that got as far as block-push may hold it, and is never forgotten', () => {
        const first = runAll(plan(cfg), ctx(), (name) => (name === 'revoke-sessions' ? failed(503, 'x') : done()));
        const stopped = claim(first, ctx({ now: NOW + 2 * MIN, config: config({ NEVER_CONTAIN: USER_ID }) }));
        expect(stopped.containment.status).toBe('not-contained');
        expect(stopped.containment.reason).toBe(
            'NEVER_CONTAIN lists this user; the push block an earlier run put in place stays until a release undoes it',
        );
        expect(mayHoldPushBlock(stopped.containment)).toBe(true);
        expect(isSettled(sent(stopped.containment), cfg)).toBe(false);
    });

    it('mayHoldPushBlock: done, failed or in flight once tried; not when never tried, skipped or dry-run', () => {
        const c = plan(cfg);
        const withBlock = (s: Partial<ContainmentStep>): Containment => ({
            ...c,
            steps: c.steps.map((x) => (x.name === 'block-push' ? { ...x, ...s } : x)),
        });
        expect(mayHoldPushBlock(withBlock({ status: 'running', attempts: 1 }))).toBe(true);
        expect(mayHoldPushBlock(withBlock({ status: 'failed', attempts: 1 }))).toBe(true);
        expect(mayHoldPushBlock(withBlock({ status: 'pending', attempts: 1 }))).toBe(true);
        expect(mayHoldPushBlock(withBlock({ status: 'pending', attempts: 0 }))).toBe(false);
        expect(mayHoldPushBlock(withBlock({ status: 'skipped', attempts: 1 }))).toBe(false);
        expect(mayHoldPushBlock(plan(config({ CONTAINMENT_MODE: 'dry-run' })))).toBe(false);
    });

    it('evictableIn: closed incidents and settled history only', () => {
        const evictable = evictableIn([sent(contained)], cfg);
        expect(evictable(incident())).toBe(false);
        expect(evictable(incident({ closedAt: NOW }))).toBe(true);
        expect(evictable(incident({ id: 'no-containment' }))).toBe(true);
    });
});

describe('lockForRelease and finishRelease', () => {
    const cfg = config();
    const lockCtx = (over: Partial<{ owner: string; now: number }> = {}) => ({
        owner: 'release-1',
        now: NOW,
        leaseMs: LEASE_MS,
        config: cfg,
        ...over,
    });
    /** A containment that stopped with block-push in flight (a runner holding the lease). */
    const inFlight = (): Containment => {
        let adv = claim(plan(), ctx());
        for (const name of ['check-exclusions', 'circuit-breaker', 'revoke-sessions'] as const) {
            adv = advance(adv.containment, ctx(), name, done());
        }
        expect(adv.next).toBe('block-push');
        return adv.containment;
    };

    it('answers undefined when the user has no open incident', () => {
        expect(lockForRelease([incident({ closedAt: NOW })], [runAll(plan(), ctx())], lockCtx())).toBeUndefined();
        expect(lockForRelease([], [], lockCtx())).toBeUndefined();
    });

    it('is busy while a runner’s lease is valid, and says until when', () => {
        const c = inFlight();
        expect(lockForRelease([incident()], [c], lockCtx({ now: NOW + 1000 }))).toEqual({
            busyUntil: NOW + LEASE_MS,
        });
    });

    it('takes over an expired lease, and leaves the configured group when the add was in flight', () => {
        const c = inFlight();
        const r = lockForRelease([incident()], [c], lockCtx({ now: NOW + LEASE_MS }));
        if (!r || !('lock' in r)) throw new Error('expected a lock');
        expect(r.lock).toEqual({
            incidentIds: [incident().id],
            groups: [GROUP],
            removedMethods: false,
            disabled: false,
        });
        expect(r.containments[0]!.lease).toEqual({ owner: 'release-1', until: NOW + 2 * LEASE_MS, cursor: 0 });
        // While the release holds it, no run may start.
        expect(isRunDue(r.containments[0]!, NOW + LEASE_MS + 1)).toBe(false);
        expect(claim(r.containments[0]!, ctx({ owner: 'runner-b', now: NOW + LEASE_MS + 1 })).lost).toBe(true);
    });

    it('a retrying containment (between runs) is locked at once', () => {
        const c = runAll(plan(), ctx(), (name) =>
            name === 'revoke-sessions'
                ? failed(503, 'x')
                : done(
                      'added',
                      name === 'block-push' ? { facts: { pushBlock: { mode: 'group', groupId: GROUP } } } : {},
                  ),
        );
        expect(c.status).toBe('retrying');
        const r = lockForRelease([incident()], [c], lockCtx());
        if (!r || !('lock' in r)) throw new Error('expected a lock');
        expect(r.lock.groups).toEqual([GROUP]);
        expect(r.containments[0]!.lease?.owner).toBe('release-1');
    });

    it('has nothing to undo before block-push was tried, or in dry-run; notes deleted methods and a disabled account', () => {
        let adv = claim(plan(), ctx());
        adv = advance(adv.containment, ctx(), 'check-exclusions', done());
        const early = settle(adv.containment, ctx(), 'later');
        const r1 = lockForRelease([incident()], [early], lockCtx());
        expect(r1 && 'lock' in r1 && r1.lock.groups).toEqual([]);
        const dry = plan(config({ CONTAINMENT_MODE: 'dry-run' }));
        const r2 = lockForRelease([incident()], [dry], lockCtx());
        expect(r2 && 'lock' in r2 && r2.lock.groups).toEqual([]);
        const rmCfg = config({ PUSH_BLOCK_MODE: 'remove-method', DISABLE_ACCOUNT: 'true' });
        const removed = runAll(plan(rmCfg), ctx({ config: rmCfg }), (name) =>
            name === 'block-push'
                ? done('deleted', { facts: { pushBlock: { mode: 'remove-method', deleted: 2 } } })
                : done(),
        );
        const r3 = lockForRelease([incident()], [removed], { ...lockCtx(), config: rmCfg });
        expect(r3 && 'lock' in r3 && r3.lock).toMatchObject({ groups: [], removedMethods: true, disabled: true });
    });

    it('leaves every group an open incident may have joined, once each', () => {
        const other = '3c4d5e6f-7081-4293-a4b5-c6d7e8f9a0b1';
        const inc2 = incident({ id: 'second' });
        const a = { ...runAll(plan(), ctx()), pushBlock: { mode: 'group' as const, groupId: other } };
        const b = { ...inFlight(), incidentId: 'second', lease: undefined, status: 'retrying' as const };
        const r = lockForRelease([incident(), inc2], [a, b], lockCtx());
        if (!r || !('lock' in r)) throw new Error('expected a lock');
        expect([...r.lock.groups].sort()).toEqual([other, GROUP].sort());
        expect(r.lock.incidentIds).toEqual([incident().id, 'second']);
    });

    it('finishRelease closes only the locked incidents, skips what did not finish, and adds one released notice', () => {
        const closedEarlier = { ...runAll(plan(), ctx()), incidentId: 'old', status: 'released' as const };
        const retrying = runAll(plan(), ctx(), (name) => (name === 'block-push' ? failed(503, 'x') : done()));
        const second = { ...plan(), incidentId: 'second' };
        const r = lockForRelease(
            [incident({ id: 'old', closedAt: NOW - MIN }), incident(), incident({ id: 'second' })],
            [closedEarlier, retrying, second],
            lockCtx(),
        );
        if (!r || !('lock' in r)) throw new Error('expected a lock');
        const out = finishRelease(
            r.containments,
            r.lock,
            {
                by: 'analyst@contoso.com',
                reason: 'verified by phone',
                undo: 'removed from push-block group',
                at: NOW + MIN,
            },
            cfg,
        );
        expect(out[0]).toBe(closedEarlier);
        for (const c of out.slice(1)) {
            expect(c).toMatchObject({
                status: 'released',
                release: {
                    by: 'analyst@contoso.com',
                    reason: 'verified by phone',
                    undo: 'removed from push-block group',
                    at: NOW + MIN,
                },
            });
            expect(c.lease).toBeUndefined();
            expect(c.nextAttemptAt).toBeUndefined();
            expect(c.steps.every((s) => ['done', 'skipped'].includes(s.status))).toBe(true);
            expect(isRunDue(c, NOW + 24 * 60 * MIN)).toBe(false);
        }
        expect(step(out[1]!, 'block-push')).toMatchObject({
            status: 'skipped',
            detail: 'released before this step finished',
        });
        expect(step(out[1]!, 'revoke-sessions').status).toBe('done');
        expect(out[1]!.finishedAt).toBe(retrying.finishedAt ?? NOW + MIN);
        const releasedNotices = out.flatMap((c) => c.notices.filter((x) => x.kind === 'released'));
        expect(releasedNotices).toEqual([{ kind: 'released', status: 'pending', attempts: 0 }]);
        expect(out[2]!.notices.map((x) => x.kind)).toEqual(['incident', 'released']);
        // What it released stays history that may be forgotten.
        expect(isSettled({ ...out[1]!, notices: [] }, cfg)).toBe(true);
    });
});

describe('read-back and what is left to a person (verified, attention)', () => {
    it('records what a step read back, and ends in needs-attention with what a person must do once the rest is done', () => {
        const ran: StepName[] = [];
        const c = runAll(plan(), ctx(), (name) => {
            ran.push(name);
            return name === 'block-push'
                ? done('added; membership NOT confirmed on read-back', {
                      verified: false,
                      attention: 'check that the user is in the group',
                  })
                : done();
        });
        expect(ran).toEqual(['check-exclusions', 'circuit-breaker', 'revoke-sessions', 'block-push']);
        expect(step(c, 'block-push')).toMatchObject({ status: 'done', verified: false });
        expect(c).toMatchObject({
            status: 'needs-attention',
            reason: 'block-push: check that the user is in the group',
        });
        expect(c.notices.map((n) => n.kind)).toEqual(['incident', 'needs-attention']);
        expect(isRunDue(c, NOW + 60 * MIN)).toBe(false);
    });
});

describe('amendForApproval', () => {
    const approved = incident({ approval: { at: NOW - 4 * MIN, ipAddress: '185.220.101.34', fromDenialIp: true } });

    it('adds the removal of what was registered, in step order, and reopens a finished containment for a run', () => {
        const contained = runAll(plan(), ctx());
        const c = amendForApproval(contained, approved, config(), NOW + MIN);
        expect(c.steps.map((s) => [s.name, s.status])).toEqual([
            ['check-exclusions', 'done'],
            ['circuit-breaker', 'done'],
            ['revoke-sessions', 'done'],
            ['block-push', 'done'],
            ['remove-new-methods', 'pending'],
            ['revoke-sessions-again', 'pending'],
        ]);
        expect(c.status).toBe('pending');
        expect(c.finishedAt).toBeUndefined();
        expect(isRunDue(c, NOW + MIN)).toBe(true);
        expect(c.notices.filter((n) => n.kind === 'approval')).toEqual([
            { kind: 'approval', status: 'pending', attempts: 0 },
        ]);
        // The next run does only what is new (and the every-run check).
        const ran: StepName[] = [];
        const after = runAll(c, ctx({ incident: approved, now: NOW + MIN }), (name) => {
            ran.push(name);
            return done();
        });
        expect(ran).toEqual(['check-exclusions', 'remove-new-methods', 'revoke-sessions-again']);
        expect(after.status).toBe('contained');
        // Amending again adds nothing, and no second notice.
        expect(amendForApproval(after, approved, config(), NOW + 2 * MIN)).toBe(after);
    });

    it('in dry-run records the new steps as dry-run and reopens nothing', () => {
        const cfg = config({ CONTAINMENT_MODE: 'dry-run' });
        const c = amendForApproval(plan(cfg), approved, cfg, NOW + MIN);
        expect(c.status).toBe('dry-run');
        expect(step(c, 'remove-new-methods')).toMatchObject({ status: 'dry-run', at: NOW + MIN });
        expect(isRunDue(c, NOW + MIN)).toBe(false);
    });

    it('leaves a released or deliberately uncontained incident alone', () => {
        const released = { ...runAll(plan(), ctx()), status: 'released' as const };
        expect(amendForApproval(released, approved, config(), NOW)).toBe(released);
        const listed = plan(config({ NEVER_CONTAIN: USER_ID }));
        expect(amendForApproval(listed, approved, config({ NEVER_CONTAIN: USER_ID }), NOW)).toBe(listed);
    });
});

describe('amendForRegistration', () => {
    const registered = incident({
        id: `${NOW}:method-registered-after-attack:${USER_ID}`,
        trigger: 'method-registered-after-attack',
        denials: 0,
        methods: ['fido2'],
        relatedIncidentId: incident().id,
        attackFirstSeen: NOW - 8 * MIN,
    });
    const planned = () => plan(config(), registered);
    const sendAll = (c: Containment): Containment => ({
        ...c,
        notices: c.notices.map((n) => ({ ...n, status: 'sent' as const, attempts: 1 })),
    });

    it('runs the removal again after it finished, keeps what the first run did, and sends the notice anew', () => {
        const first = sendAll(runAll(planned(), ctx({ incident: registered }), (name) => done(`${name} run 1`)));
        expect(first.status).toBe('contained');
        const c = amendForRegistration(first, config(), NOW + MIN);
        expect(c.status).toBe('pending');
        expect(step(c, 'remove-new-methods')).toMatchObject({
            status: 'pending',
            attempts: 0,
            earlier: 'remove-new-methods run 1',
        });
        expect(step(c, 'revoke-sessions')).toMatchObject({ status: 'done' });
        expect(c.notices).toEqual([{ kind: 'incident', status: 'pending', attempts: 0 }]);
        const ran: StepName[] = [];
        const after = runAll(c, ctx({ incident: registered, now: NOW + MIN }), (name) => {
            ran.push(name);
            return done(`${name} run 2`);
        });
        expect(ran).toEqual(['check-exclusions', 'remove-new-methods', 'revoke-sessions-again']);
        expect(after.status).toBe('contained');
        expect(step(after, 'remove-new-methods')).toMatchObject({
            detail: 'remove-new-methods run 2',
            earlier: 'remove-new-methods run 1',
        });
    });

    it('redoes a removal that was in flight when the registration arrived, at once after the run', () => {
        let adv = claim(planned(), ctx({ incident: registered }));
        while (adv.next && adv.next !== 'remove-new-methods') {
            adv = advance(adv.containment, ctx({ incident: registered }), adv.next, done());
        }
        expect(adv.next).toBe('remove-new-methods');
        const amended = amendForRegistration(adv.containment, config(), NOW);
        expect(step(amended, 'remove-new-methods')).toMatchObject({ status: 'running', redo: true });
        adv = advance(amended, ctx({ incident: registered }), 'remove-new-methods', done('listed before the new one'));
        while (adv.next) adv = advance(adv.containment, ctx({ incident: registered }), adv.next, done());
        const c = adv.containment;
        expect(step(c, 'remove-new-methods')).toMatchObject({ status: 'pending', attempts: 0 });
        expect(step(c, 'remove-new-methods').redo).toBeUndefined();
        expect(c).toMatchObject({ status: 'retrying', nextAttemptAt: NOW });
        expect(isRunDue(c, NOW)).toBe(true);
    });

    it('in dry-run only sends the notice anew; a released incident is left alone', () => {
        const cfg = config({ CONTAINMENT_MODE: 'dry-run' });
        const dry = sendAll(plan(cfg, registered));
        const c = amendForRegistration(dry, cfg, NOW + MIN);
        expect(c.status).toBe('dry-run');
        expect(c.steps).toEqual(dry.steps);
        expect(c.notices[0]).toMatchObject({ kind: 'incident', status: 'pending' });
        const released = { ...runAll(planned(), ctx({ incident: registered })), status: 'released' as const };
        expect(amendForRegistration(released, config(), NOW)).toBe(released);
    });
});
