/**
 * The size of a user row with the long window, by Azure's formula, on the worst input an attacker can send: hours of
 * prompts (MAX_PROMPTS_PER_USER of them) from rotating IPv6 addresses against long non-Latin application names with
 * over-long correlation ids. Measured with detection's own size budget (fitUserRow), against Azure's 1 MiB per entity;
 * and how many of the prompts that can still make a trigger the row keeps.
 */
import { applyEvents } from '../shared/detection/detect';
import { DEFAULT_POLICY, DetectionPolicy } from '../shared/detection/policy';
import type { SignInEvent } from '../shared/signin/signInEvent';
import { rowSize } from '../shared/state/tableEntity';
import { fitUserRow } from '../shared/userRow/fitUserRow';
import { newUserRow } from '../shared/userRow/userRow';

const USER = '0f8fad5b-d9cb-469f-a165-70867728950e';
const LONG_APP = 'Ứng dụng quản lý tài chính doanh nghiệp 企業財務管理アプリケーション'.repeat(4);
const AZURE_MAX_ENTITY_BYTES = 1024 * 1024;

function hostile(count: number, spanMs: number, kind: SignInEvent['kind']): SignInEvent[] {
    const t0 = Date.UTC(2026, 10, 2, 9);
    return Array.from({ length: count }, (_, i) => {
        const corr = `${i.toString(16).padStart(8, '0')}-aaaa-4bbb-8ccc-${'d'.repeat(12)}${'z'.repeat(92)}`;
        return {
            userId: USER,
            time: t0 + Math.floor((i * spanMs) / count),
            kind,
            ipAddress: `2001:db8:${(i & 0xffff).toString(16)}:${(i * 7919).toString(16).slice(-4)}::${i.toString(16)}`,
            asn: 60000 + (i % 500),
            appDisplayName: `${LONG_APP}${i}`.slice(0, 256),
            recordId: `${corr.slice(0, 36)}`,
            keys: [
                `i:${corr.slice(0, 36)}`,
                `r:${corr.slice(0, 36)}r`,
                `s:${corr.slice(0, 128)}|2026-11-02T09:00:00.1234567+00:00`,
            ],
        };
    });
}

function measure(label: string, policy: DetectionPolicy, events: SignInEvent[]): void {
    const { state } = applyEvents(undefined, events, { policy, now: Date.UTC(2026, 10, 3) });
    const raw = JSON.stringify(newUserRow(state));
    const { row, json } = fitUserRow(newUserRow(state), {
        windowMs: policy.windowMs,
        longWindowMs: policy.sustainedWindowMs,
        config: { maxStepAttempts: 6 },
    });
    const size = rowSize(USER, json);
    const inLong = (s: typeof state) =>
        s.prompts.filter((p) => p.incidentId === undefined && p.time >= s.lastEventTime - policy.sustainedWindowMs)
            .length;
    console.log(
        `${label.padEnd(58)} ${(size / 1024).toFixed(0)} KiB (${((100 * size) / AZURE_MAX_ENTITY_BYTES).toFixed(0)}% of Azure's 1 MiB; ` +
            `${(rowSize(USER, raw) / 1024).toFixed(0)} KiB before fitting), ${inLong(row.state)} of ${inLong(state)} undecided prompts of the long window kept`,
    );
}

export function rowSizeBench(): void {
    console.log(
        '\n# User row with the long window (Azure formula, hostile input: rotating IPv6, long app names and ids)',
    );
    const fourHours = 4 * 3_600_000;
    measure(
        '500 unanswered prompts in 4 h, TIMEOUT_WEIGHT=0 (none triggers)',
        { ...DEFAULT_POLICY, timeoutWeight: 0 },
        hostile(500, fourHours, 'push-timeout'),
    );
    measure(
        '500 declined prompts in 4 h (a sustained incident holds them)',
        DEFAULT_POLICY,
        hostile(500, fourHours, 'push-denied'),
    );
    measure(
        '2,000 unanswered prompts in 4 h, MAX_PROMPTS_PER_USER=2000',
        { ...DEFAULT_POLICY, timeoutWeight: 0, maxPromptsPerUser: 2000 },
        hostile(2000, fourHours, 'push-timeout'),
    );
}
