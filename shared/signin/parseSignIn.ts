import { z } from 'zod';

import {
    APP_POLICY_STATUSES,
    decideFailure,
    findFailureText,
    isFreshMfaText,
    KMSI_INTERRUPT_CODE,
    MFA_DENIED_ERROR_CODE,
    NOT_FRESH_METHOD,
    NOT_FRESH_MFA,
    outcomeOf,
} from './matchers';
import { KIND_RANK, MfaKind } from './mfaKinds';
import { isDirectoryAudit, parseAudit } from './auditLog';
import { MAX_TIME_TEXT, parseEntraTime } from './entraTime';
import { fromLogAnalyticsRow, isLogAnalyticsRow } from './logAnalyticsRow';
import type { ParseOutcome, RejectReason } from './signInEvent';
import { fromTrustedLocation } from './networkLocation';

/** Sign-in categories that carry user sign-ins. Push denials land in SignInLogs. */
export const USER_SIGNIN_CATEGORIES = ['SignInLogs', 'NonInteractiveUserSignInLogs'] as const;
export type UserSignInCategory = (typeof USER_SIGNIN_CATEGORIES)[number];

export interface ParseSignInOptions {
    /** Sign-in categories to read; records of other categories are dropped before any validation. */
    readonly categories: ReadonlySet<string>;
    /** Audit categories to read (security-information changes); none when absent. */
    readonly auditCategories?: ReadonlySet<string>;
    /** Users whose drill records are drills (DRILL_USER_IDS); anyone else's are refused (`drill-refused`). */
    readonly drillUsers?: ReadonlySet<string>;
    /** Wall clock, ms. With `maxClockSkewMs`, records dated further ahead than that are rejected as `future-time`. */
    readonly now?: number;
    readonly maxClockSkewMs?: number;
}

/**
 * Bounds of the texts an event keeps, in UTF-16 units. A longer text is cut to its bound, never a reason to lose the
 * record: an attacker chooses the application a prompt names, and a denial must count whatever its display name.
 * Ids are cut deterministically, so that redelivered rows still share their keys.
 */
export const TEXT_BOUNDS = {
    id: 128,
    userPrincipalName: 256,
    ipAddress: 64,
    appDisplayName: 256,
    userType: 32,
    resultDetail: 4096,
    stepTime: MAX_TIME_TEXT,
    stepMethod: 128,
    userAgent: 512,
} as const;

/** Steps of one row that are read; Entra writes a handful. */
const MAX_STEPS = 64;

const optionalText = z.string().nullish();

const stepSchema = z.object({
    authenticationStepDateTime: optionalText,
    authenticationMethod: optionalText,
    succeeded: z.boolean().nullish(),
    authenticationStepResultDetail: optionalText,
    authenticationStepRequirement: optionalText,
});

/**
 * Only the fields detection needs, strict where it matters (identity, types) and lenient elsewhere: unknown fields
 * are ignored, optional ones may be missing or null, as Entra leaves them. Lengths are not validated here but cut
 * below, so that an over-long field never loses a denial.
 */
const signInSchema = z.object({
    id: optionalText,
    originalRequestId: optionalText,
    correlationId: optionalText,
    createdDateTime: optionalText,
    userId: z.guid(),
    userPrincipalName: optionalText,
    ipAddress: optionalText,
    appDisplayName: optionalText,
    userType: optionalText,
    drillId: optionalText,
    userAgent: z.unknown().optional(),
    autonomousSystemNumber: z.unknown().optional(),
    networkLocationDetails: z.unknown().optional(),
    status: z.object({ additionalDetails: optionalText }).nullish(),
    authenticationDetails: z.array(stepSchema).nullish(),
    // Read by hand below: a field of a shape nobody documents must never cost a denial its record.
    authenticationAppPolicyEvaluationDetails: z.unknown().optional(),
});
type SignInFields = z.infer<typeof signInSchema>;
type Step = z.infer<typeof stepSchema>;

function reject(reason: RejectReason, detail: string): ParseOutcome {
    return { type: 'rejected', reason, detail };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a result code that Entra writes as a string (`resultType`) or a number (`status.errorCode`). */
function readCode(value: unknown): number | undefined | 'invalid' {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'number') return Number.isInteger(value) ? value : 'invalid';
    if (typeof value === 'string' && /^-?\d{1,12}$/.test(value.trim())) return Number(value.trim());
    return 'invalid';
}

/** An autonomous system number (a whole number below 2^32, as a number or its text), or undefined. */
function asnOf(value: unknown): number | undefined {
    const n = typeof value === 'string' && /^\d{1,10}$/.test(value.trim()) ? Number(value) : value;
    return typeof n === 'number' && Number.isInteger(n) && n > 0 && n < 2 ** 32 ? n : undefined;
}

/** Lower-cased text of a field that may be missing, null or of another type. */
const lower = (value: unknown): string => (typeof value === 'string' ? value.toLowerCase() : '');

/** Cuts texts to their bound and counts how many were cut. Never splits a surrogate pair. */
class Cutter {
    count = 0;

    cut(value: string | null | undefined, max: number): string | undefined {
        if (value === undefined || value === null || value === '') return undefined;
        if (value.length <= max) return value;
        this.count++;
        const end = /[\uD800-\uDBFF]/.test(value.charAt(max - 1)) ? max - 1 : max;
        return value.slice(0, end);
    }
}

type ParseOutcomeKind = MfaKind | 'other';

/** A field that should be text, or '' when it is missing or of another type. */
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * True when a successful row shows a fresh MFA completion, not MFA carried over in a token. Reads the raw record
 * defensively (it runs before validation, so that the many token refreshes are classified without it).
 */
function isFreshApproval(props: Record<string, unknown>): boolean {
    const status = props.status as { additionalDetails?: unknown } | null | undefined;
    if (isFreshMfaText(text(status?.additionalDetails))) return true;
    const steps = Array.isArray(props.authenticationDetails) ? (props.authenticationDetails as unknown[]) : [];
    return steps.some((raw) => {
        if (!isPlainObject(raw) || raw.succeeded !== true) return false;
        const detail = text(raw.authenticationStepResultDetail);
        if (isFreshMfaText(detail)) return true;
        const method = text(raw.authenticationMethod);
        return (
            /multi/i.test(text(raw.authenticationStepRequirement)) &&
            method !== '' &&
            !/^password$/i.test(method) &&
            !NOT_FRESH_METHOD.test(method) &&
            !NOT_FRESH_MFA.test(detail)
        );
    });
}

/**
 * The kind of a 500121 row: its reason sits in `status.additionalDetails`, in a failed MFA step, or (beta) in the
 * number-matching status of the Authenticator policy evaluation. Each text is read through the one table
 * (matchers.ts); what none of them explains is a failed prompt of unknown outcome, never `other` (decideFailure).
 */
function classifyFailure(
    fields: SignInFields,
    cutter: Cutter,
): { kind: ParseOutcomeKind; failedStep?: Step; perSignIn: boolean } {
    const failedSteps = (fields.authenticationDetails ?? []).filter((s) => s.succeeded === false);
    const methodOf = (step: Step | undefined) => lower(cutter.cut(step?.authenticationMethod, TEXT_BOUNDS.stepMethod));
    // The row's own text names no method: the failed step's (an "incorrect code" is an SMS code only by SMS).
    const texts: Array<{ text: string; method: string; step?: Step }> = [
        {
            text: lower(cutter.cut(fields.status?.additionalDetails, TEXT_BOUNDS.resultDetail)),
            method: methodOf(failedSteps[failedSteps.length - 1]),
        },
        ...failedSteps.map((step) => ({
            text: lower(cutter.cut(step.authenticationStepResultDetail, TEXT_BOUNDS.resultDetail)),
            method: methodOf(step),
            step,
        })),
    ];
    let bestStep: Step | undefined;
    let bestRank = -1;
    let perSignIn = false;
    const outcomes = texts.map(({ text, method, step }) => {
        const known = text ? findFailureText(text) : undefined;
        if (known?.onePromptPerSignIn) perSignIn = true;
        // Entra's generic text says nothing another text does not: it decides only alone.
        const outcome = known && !known.generic ? outcomeOf(known, method) : undefined;
        if (outcome !== undefined && step && KIND_RANK[outcome] > bestRank) {
            bestRank = KIND_RANK[outcome];
            bestStep = step;
        }
        return outcome;
    });
    // Beta only: a number-matching answer (a wrong number, Deny) that the texts may not carry.
    const policy = fields.authenticationAppPolicyEvaluationDetails;
    for (const d of Array.isArray(policy) ? policy.slice(0, MAX_STEPS) : []) {
        outcomes.push(isPlainObject(d) ? APP_POLICY_STATUSES[lower(d.status)] : undefined);
    }
    const kind = decideFailure(outcomes);
    return {
        kind,
        failedStep: bestStep ?? failedSteps[failedSteps.length - 1],
        perSignIn: perSignIn && kind === 'prompt-failed',
    };
}

/**
 * Parses one raw record: an Event Hub diagnostic record (`{category, resultType, properties: {...}}`), a Graph
 * `signIn` object (the `properties` shape alone), or a Log Analytics `SigninLogs` row. Never throws: every outcome
 * is a value.
 */
export function parseSignIn(input: unknown, options: ParseSignInOptions): ParseOutcome {
    if (!isPlainObject(input)) {
        return reject('not-an-object', `record is ${Array.isArray(input) ? 'an array' : typeof input}`);
    }
    const raw = isLogAnalyticsRow(input) ? fromLogAnalyticsRow(input) : input;
    // Cheap checks first: most of the stream is other categories or other result codes.
    return routeByCategory(raw, options) ?? screenSignIn(raw, options);
}

/** Audit records go to the audit parser and categories not read are dropped unread; undefined: a sign-in to read. */
function routeByCategory(raw: Record<string, unknown>, options: ParseSignInOptions): ParseOutcome | undefined {
    // A Graph directoryAudit carries its own audit category at the top ("UserManagement"), not the stream's.
    if (!('properties' in raw) && isDirectoryAudit(raw)) {
        return options.auditCategories?.size
            ? parseAudit(raw, auditOptions(options))
            : { type: 'dropped', category: 'AuditLogs' };
    }
    // An Event Hub-shaped record may spell it `Category`, as the schema's field table does: a category all the same.
    const category = raw.category ?? ('properties' in raw ? raw.Category : undefined);
    const audit = () => parseAudit(raw, auditOptions(options));
    if (category !== undefined && category !== null) {
        if (typeof category !== 'string' || category.length > 128) {
            return reject('invalid-category', 'category is not a short string');
        }
        if (options.auditCategories?.has(category)) return audit();
        if (!options.categories.has(category)) return { type: 'dropped', category };
    }
    return undefined;
}

function auditOptions(options: ParseSignInOptions) {
    return {
        parseTime: parseEntraTime,
        ...(options.now !== undefined ? { now: options.now } : {}),
        ...(options.maxClockSkewMs !== undefined ? { maxClockSkewMs: options.maxClockSkewMs } : {}),
    };
}

/**
 * Tells a denial or a fresh approval apart from the rest (other result codes, token refreshes) by the result code and
 * a raw look at the steps, before any validation: most of the stream is the rest.
 */
function screenSignIn(raw: Record<string, unknown>, options: ParseSignInOptions): ParseOutcome {
    const hasProperties = 'properties' in raw;
    const props = hasProperties ? raw.properties : raw;
    if (!isPlainObject(props)) return reject('invalid-properties', 'properties is not an object');

    const status = props.status;
    if (status !== undefined && status !== null && !isPlainObject(status)) {
        return reject('invalid-field', 'status is not an object');
    }
    const errorCode = readCode(isPlainObject(status) ? status.errorCode : undefined);
    const resultType = readCode(hasProperties ? raw.resultType : undefined);
    if (errorCode === 'invalid' || resultType === 'invalid') {
        return reject('invalid-result-code', 'resultType or status.errorCode is not an integer');
    }
    const code = errorCode ?? resultType;
    if (code === undefined) return reject('missing-result-code', 'neither resultType nor status.errorCode is set');
    if (code !== MFA_DENIED_ERROR_CODE && code !== 0 && code !== KMSI_INTERRUPT_CODE) return { type: 'other' };
    // Most successes are token refreshes: they are told apart before any validation.
    if (code !== MFA_DENIED_ERROR_CODE && !isFreshApproval(props)) return { type: 'other' };

    if (props.userId === undefined || props.userId === null || props.userId === '') {
        return reject('missing-user-id', 'userId is missing');
    }
    return readSignIn(raw, props, code === MFA_DENIED_ERROR_CODE, options);
}

/** What a validated row says happened: when, and which MFA outcome (with the failed step it was read from). */
interface Outcome {
    readonly time: number;
    readonly kind: MfaKind;
    readonly failedStep?: Step;
    /** The rows of one sign-in (correlation id) are one prompt, whatever their step times (a duplicate attempt). */
    readonly perSignIn?: boolean;
}

/** Validates a row that is a denial or a fresh approval, dates it and classifies it. */
function readSignIn(
    raw: Record<string, unknown>,
    props: Record<string, unknown>,
    denied: boolean,
    options: ParseSignInOptions,
): ParseOutcome {
    const cutter = new Cutter();
    // Entra writes a handful of steps; a row with thousands is read for its first ones only (validation cost).
    const steps = props.authenticationDetails;
    const tooManySteps = Array.isArray(steps) && steps.length > MAX_STEPS;
    if (tooManySteps) cutter.count++;
    const parsed = signInSchema.safeParse(
        tooManySteps ? { ...props, authenticationDetails: steps.slice(0, MAX_STEPS) } : props,
    );
    if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue?.path.join('.') ?? '';
        if (field === 'userId') return reject('invalid-user-id', 'userId is not a GUID');
        return reject('invalid-field', `${field}: ${issue?.message ?? 'invalid'}`.slice(0, 200));
    }
    const fields = parsed.data;

    const timeText = fields.createdDateTime ?? (typeof raw.time === 'string' ? raw.time : undefined);
    const time = timeText === undefined ? undefined : parseEntraTime(timeText);
    if (time === undefined) return reject('invalid-time', 'no valid createdDateTime or time');
    const { now, maxClockSkewMs } = options;
    if (now !== undefined && maxClockSkewMs !== undefined && time > now + maxClockSkewMs) {
        return reject(
            'future-time',
            `event time ${new Date(time).toISOString()} is more than ${Math.round(maxClockSkewMs / 60_000)} min ahead of the clock`,
        );
    }

    // Not denied: a success, or the "keep me signed in" interrupt that follows a completed MFA in the same sign-in.
    const { kind, failedStep, perSignIn } = denied
        ? classifyFailure(fields, cutter)
        : { kind: 'mfa-approved' as const, failedStep: undefined, perSignIn: false };
    if (kind === 'other') return { type: 'other' };
    return eventOf(raw, fields, { time, kind, failedStep, perSignIn }, cutter, options);
}

/** The event of a validated, classified row: its identity keys and its texts, cut to their bounds. */
function eventOf(
    raw: Record<string, unknown>,
    fields: SignInFields,
    { time, kind, failedStep, perSignIn }: Outcome,
    cutter: Cutter,
    options: ParseSignInOptions,
): ParseOutcome {
    const id = cutter.cut(fields.id, TEXT_BOUNDS.id);
    const originalRequestId = cutter.cut(fields.originalRequestId, TEXT_BOUNDS.id);
    const keys: string[] = [];
    if (id) keys.push(`i:${id.toLowerCase()}`);
    if (originalRequestId) keys.push(`r:${originalRequestId.toLowerCase()}`);
    const stepTime = failedStep?.authenticationStepDateTime?.trim();
    const stepMs = stepTime ? parseEntraTime(stepTime) : undefined;
    const correlationId = cutter.cut(
        fields.correlationId ?? (typeof raw.correlationId === 'string' ? raw.correlationId : undefined),
        TEXT_BOUNDS.id,
    );
    if (kind !== 'mfa-approved' && correlationId && perSignIn) {
        // Duplicates of a sign-in's prompt: all its rows are one prompt of unknown outcome, however they are dated.
        keys.push(`s:${correlationId.toLowerCase()}|duplicate`);
    } else if (kind !== 'mfa-approved' && correlationId && stepTime && stepMs !== undefined) {
        // The raw text keeps the sub-millisecond digits, which tell prompts of one correlation id apart.
        keys.push(`s:${correlationId.toLowerCase()}|${stepTime}`);
    }
    if (keys.length === 0) return reject('missing-record-id', 'no id, originalRequestId or correlated MFA step');

    const upn = cutter.cut(fields.userPrincipalName, TEXT_BOUNDS.userPrincipalName);
    const ipAddress = cutter.cut(
        fields.ipAddress || (typeof raw.callerIpAddress === 'string' ? raw.callerIpAddress : undefined),
        TEXT_BOUNDS.ipAddress,
    );
    const app = cutter.cut(fields.appDisplayName, TEXT_BOUNDS.appDisplayName);
    const userType = cutter.cut(fields.userType, TEXT_BOUNDS.userType);
    const userId = fields.userId.toLowerCase();
    // A drill marker counts only for a canary user. Anyone else's drill record is refused, never read as a real sign-in:
    // Entra never writes the marker, so the record is synthetic, and reading it would let a drill contain a real user.
    if (fields.drillId && !options.drillUsers?.has(userId)) {
        return reject('drill-refused', `a drill record for user ${userId}, who is not in DRILL_USER_IDS`);
    }
    const drillId = fields.drillId ? fields.drillId.slice(0, 64) : undefined;
    const asn = asnOf(fields.autonomousSystemNumber);
    const userAgent =
        typeof fields.userAgent === 'string' ? cutter.cut(fields.userAgent.trim(), TEXT_BOUNDS.userAgent) : undefined;
    const trustedLocation = fromTrustedLocation(fields.networkLocationDetails);
    return {
        type: 'event',
        event: {
            userId,
            ...(upn !== undefined ? { userPrincipalName: upn } : {}),
            time,
            kind,
            ...(ipAddress !== undefined ? { ipAddress } : {}),
            ...(app !== undefined ? { appDisplayName: app } : {}),
            ...(userType !== undefined ? { userType } : {}),
            ...(asn !== undefined ? { asn } : {}),
            recordId: id ?? originalRequestId ?? keys[0]!,
            keys,
            ...(drillId ? { drillId } : {}),
            ...(userAgent ? { userAgent } : {}),
            ...(trustedLocation ? { trustedLocation } : {}),
        },
        truncated: cutter.count,
    };
}
