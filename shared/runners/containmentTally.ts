import type { ContainmentStatus, StepError, StepName } from '../containment/model';
import { redactSecrets } from '../redact';

/** Distinct `step:code` keys counted at most; the rest are added to `other`. Graph's codes are a small set. */
const MAX_FAILED_STEP_KEYS = 20;

/**
 * What the containment work of one batch (or one timer tick) did, as counts: the summary line logged once for all of
 * it, instead of a line per user (a wave of 10,000 attacked users wrote 30,001 lines). Its size does not grow with the
 * number of incidents. A containment that needs a person is still logged on its own line (the SOC's alert matches it).
 */
export class ContainmentTally {
    /** Runs that ended, by the status they ended in. */
    readonly finished: Partial<Record<ContainmentStatus | 'not-due' | 'missing', number>> = {};
    /** Steps that failed (retried later), by `step:code`. */
    readonly failedSteps: Record<string, number> = {};
    runs = 0;
    /** Due runs not started because the time ran out: the timer's next tick starts them. */
    deferred = 0;
    /** Incidents whose notice or Sentinel row was sent (or tried). */
    reports = 0;
    /** Runs or reports interrupted by a storage failure (the timer resumes them), and the first one's message. */
    errors = 0;
    firstError?: string;

    started(): void {
        this.runs++;
    }

    ended(status: ContainmentStatus | 'not-due' | 'missing'): void {
        this.finished[status] = (this.finished[status] ?? 0) + 1;
    }

    stepFailed(step: StepName, error: StepError): void {
        const key = `${step}:${error.status ?? ''}${error.status ? ' ' : ''}${error.code}`;
        const known = key in this.failedSteps || Object.keys(this.failedSteps).length < MAX_FAILED_STEP_KEYS;
        const counted = known ? key : 'other';
        this.failedSteps[counted] = (this.failedSteps[counted] ?? 0) + 1;
    }

    failed(e: unknown): void {
        this.errors++;
        this.firstError ??= redactSecrets(e instanceof Error ? e.message : String(e), 300);
    }

    /** Whether there is anything to log. */
    get empty(): boolean {
        return this.runs === 0 && this.deferred === 0 && this.reports === 0 && this.errors === 0;
    }

    /** The counts, for the one summary line. */
    counts(): Record<string, unknown> {
        return {
            runs: this.runs,
            ...this.finished,
            deferred: this.deferred,
            reports: this.reports,
            ...(Object.keys(this.failedSteps).length > 0 ? { failedSteps: this.failedSteps } : {}),
            errors: this.errors,
            ...(this.firstError !== undefined ? { firstError: this.firstError } : {}),
        };
    }
}
