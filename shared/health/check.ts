/**
 * One finding of `mfa-responder doctor` and `GET /api/health`: is this part of the chain working, and if not, what
 * exactly is wrong and what to do about it. A check is a small module with a read (I/O) and a pure evaluation of
 * what was read into findings; ./runChecks.ts runs them, bounded in time, and turns a refusal into a warning that
 * names the role the check needs.
 */
export type CheckStatus = 'ok' | 'warning' | 'failed';

export interface Finding {
    /** Stable id, e.g. `push-block.migration`: what scripts and alerts match on. */
    readonly check: string;
    /** What is checked, for the table's first column. */
    readonly title: string;
    readonly status: CheckStatus;
    /** What was seen (ok), or what is wrong (warning, failed). */
    readonly detail: string;
    /** What to do about it; absent when nothing is to be done. */
    readonly fix?: string;
    /** The readings behind the finding (per-partition lag, missing roles, ...), for --json and /api/health. */
    readonly data?: Readonly<Record<string, unknown>>;
}

export const ok = (check: string, title: string, detail: string, data?: Record<string, unknown>): Finding => ({
    check,
    title,
    status: 'ok',
    detail,
    ...(data ? { data } : {}),
});

export const problem = (
    status: 'warning' | 'failed',
    check: string,
    title: string,
    detail: string,
    fix: string,
    data?: Record<string, unknown>,
): Finding => ({ check, title, status, detail, fix, ...(data ? { data } : {}) });

/** The worst status of a set of findings: what the exit code and /api/health's status follow. */
export function overallStatus(findings: readonly Finding[]): CheckStatus {
    if (findings.some((f) => f.status === 'failed')) return 'failed';
    if (findings.some((f) => f.status === 'warning')) return 'warning';
    return 'ok';
}

/** Minutes and seconds for a person: "42 s", "7 min", "3 h 5 min", "2 d 4 h". */
export function duration(ms: number): string {
    const s = Math.round(Math.max(0, ms) / 1000);
    if (s < 90) return `${s} s`;
    const m = Math.round(s / 60);
    if (m < 120) return `${m} min`;
    const h = Math.floor(m / 60);
    if (h < 48) return `${h} h ${m % 60} min`;
    return `${Math.floor(h / 24)} d ${h % 24} h`;
}
