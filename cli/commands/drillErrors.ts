/** The user named is not a canary (no user has that UPN, or DRILL_USER_IDS does not list them): exit 2, nothing sent. */
export class NotACanaryError extends Error {}

/** The canary has an incident still open, which a drill now would join: exit 75, run it again after the window. */
export class CanaryBusyError extends Error {}

/** The drill could not be sent, or the responder did not take it as a new drill in time: exit 1. */
export class DrillFailedError extends Error {}
