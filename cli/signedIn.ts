import type { TokenCredential } from '@azure/identity';

/** What a person is told when no credential gives a token: the fix, first. */
export const NOT_SIGNED_IN = "not signed in: run `az login` (or run as the app's managed identity)";

/** No credential could get a token (exit 77, EX_NOPERM): said at once, before any call that would retry. */
export class NotSignedInError extends Error {}

/** How long a sign-in may take before it is taken as absent: an `az login` answers in a second or two. */
export const SIGN_IN_TIMEOUT_MS = 10_000;

/** The SDK's first line, without the list of every credential it tried (six lines of "is unavailable"). */
function firstLine(e: unknown): string {
    const text = String((e as Error)?.message ?? e).split('\n')[0]!;
    return text.replace(/\s+/g, ' ').slice(0, 200);
}

/**
 * Gets one token for `scope` before a command starts work, so that a missing sign-in is said within seconds instead
 * of after every Graph call's retries (DefaultAzureCredential tries six ways, and the managed identity endpoint is
 * retried when there is none). Any failure to get a token is a NotSignedInError; so is no answer in `timeoutMs`.
 */
export async function checkSignedIn(
    credential: TokenCredential,
    scope: string,
    timeoutMs: number = SIGN_IN_TIMEOUT_MS,
): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const abort = new AbortController();
    const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => {
            abort.abort();
            resolve('timeout');
        }, timeoutMs);
    });
    try {
        const pending = credential.getToken(scope, { abortSignal: abort.signal });
        // A late failure, after the time ran out, is no one's to handle.
        pending.catch(() => undefined);
        const outcome = await Promise.race([pending, timedOut]);
        if (outcome === 'timeout') {
            throw new NotSignedInError(`${NOT_SIGNED_IN}; no credential answered within ${timeoutMs / 1000} s`);
        }
        if (!outcome?.token) throw new NotSignedInError(`${NOT_SIGNED_IN}; the credential gave no token`);
    } catch (e) {
        if (e instanceof NotSignedInError) throw e;
        throw new NotSignedInError(`${NOT_SIGNED_IN}. (${firstLine(e)})`);
    } finally {
        clearTimeout(timer);
    }
}
