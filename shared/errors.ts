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

/** Turns anything thrown into an Error without losing its message. */
export function ensureError(value: unknown): Error {
    if (value instanceof Error) return value;
    return new Error(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)));
}
