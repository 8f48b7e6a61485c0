/** Errors the responder raises on purpose. Each has a stable `code` that logs and alerts can match on. */
export class ResponderError extends Error {
    readonly code: string;
    constructor(code: string, message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = new.target.name;
        this.code = code;
    }
}

/** A setting is missing or has a value the responder does not accept. Start-up stops with this. */
export class ConfigError extends ResponderError {
    readonly setting: string;
    constructor(setting: string, message: string) {
        super('InvalidSetting', message);
        this.setting = setting;
    }
}

/** Another writer changed the state between our read and our write. Retry the read-modify-write. */
export class ConcurrencyConflictError extends ResponderError {
    constructor(message = 'state changed since it was read') {
        super('ConcurrencyConflict', message);
    }
}

/** State storage failed for a reason other than a conflict; the batch must be retried by the host. */
export class StateStoreError extends ResponderError {
    constructor(message: string, options?: { cause?: unknown }) {
        super('StateStoreUnavailable', message, options);
    }
}

/**
 * The storage service refused a write for a reason that retrying cannot fix (HTTP 400: EntityTooLarge,
 * PropertyValueTooLarge, TooManyProperties, InvalidInput, ...). The update is quarantined, never retried for ever.
 */
export class WriteRejectedError extends ResponderError {
    /** The service's error code (or our own, when the row was refused before it was sent). */
    readonly serviceCode: string;
    readonly status?: number;
    constructor(serviceCode: string, message: string, options?: { status?: number; cause?: unknown }) {
        super('WriteRejected', message, options);
        this.serviceCode = serviceCode;
        if (options?.status !== undefined) this.status = options.status;
    }
}

/**
 * A stored row that cannot be decoded: its JSON does not parse (a chunk corrupted) or it is not a record this version
 * reads. Retrying cannot fix it. The ingest path sets it aside and starts the user afresh (processSignInBatch); the
 * timer and the listings skip it, logged, and go on with everyone else.
 */
export class UnreadableRowError extends ResponderError {
    /** Why, in a few words (never the row's content: it holds personal data). */
    readonly reason: string;
    readonly userId?: string;
    /** The version that could not be read: setting it aside is conditional on it. */
    readonly etag?: string;
    constructor(reason: string, options?: { userId?: string; etag?: string; cause?: unknown }) {
        super('UnreadableRow', `the row of ${options?.userId ?? 'a user'} cannot be read: ${reason}`, options);
        this.reason = reason;
        if (options?.userId !== undefined) this.userId = options.userId;
        if (options?.etag !== undefined) this.etag = options.etag;
    }
}

/** Turns anything thrown into an Error without losing its message. */
export function ensureError(value: unknown): Error {
    if (value instanceof Error) return value;
    return new Error(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)));
}
