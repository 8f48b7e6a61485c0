import { z } from 'zod';

import { mapConcurrent } from '../../mapConcurrent';
import { checkNeverContain } from '../../settings/breakGlass';
import { requireSetting } from '../../settings/readSetting';
import type { UserAccount } from '../../graph/graphReads';
import { Finding, ok, problem } from '../check';
import { describeFailure, HealthCheck, HealthContext, ReadFailure } from '../context';

/**
 * Does every NEVER_CONTAIN entry name a user? Start-up checks each entry's form (a GUID or a UPN), but a group's
 * object id looks like a user's: only Graph can tell them apart. A group id in NEVER_CONTAIN matches no user, yet
 * satisfies the live-mode break-glass guard, so the break-glass account it was meant to cover would be contained. So
 * each entry is resolved with GET /users/{id | userPrincipalName} (User.Read.All, which the identity holds in live
 * mode: https://learn.microsoft.com/graph/api/user-get); an entry Graph does not know as a user (404
 * Request_ResourceNotFound) is looked up as a group (GET /groups/{id}, GroupMember.Read.All:
 * https://learn.microsoft.com/graph/api/group-get) to say where it belongs.
 */

const TITLE = 'Break-glass accounts';
const CHECK = 'break-glass';
const READER = 'a directory reader (any member user; the app: Graph User.Read.All)';
/** Entries resolved at once: each is one or two small reads, well inside Graph's per-app limits. */
const CONCURRENCY = 8;
/**
 * Time allowed per entry beyond the check's usual limit. NEVER_CONTAIN holds up to 1,000 entries (its setting's cap,
 * kept so that no deployment that started before this check stops starting), so a long list gets a longer limit.
 */
const MS_PER_ENTRY = 100;

const isGuid = (entry: string) => z.guid().safeParse(entry).success;

export type EntryReading =
    | { readonly entry: string; readonly kind: 'user'; readonly user: UserAccount }
    | { readonly entry: string; readonly kind: 'group' }
    | { readonly entry: string; readonly kind: 'missing' }
    | { readonly entry: string; readonly kind: 'unreadable'; readonly failure: ReadFailure };

export interface BreakGlassReading {
    /** undefined: not resolved (dry-run as the app, whose identity holds no Graph role). */
    readonly entries?: readonly EntryReading[];
    readonly total: number;
}

/** One entry: a user, else (a GUID Graph has no user for) a group, else nothing at all. */
async function readEntry(ctx: HealthContext, entry: string): Promise<EntryReading> {
    const reads = ctx.runtime.graphReads();
    try {
        return { entry, kind: 'user', user: await reads.user(entry) };
    } catch (e) {
        const f = describeFailure(e);
        if (f.status !== 404) return { entry, kind: 'unreadable', failure: f };
    }
    if (!isGuid(entry)) return { entry, kind: 'missing' };
    try {
        await reads.group(entry);
        return { entry, kind: 'group' };
    } catch (e) {
        const f = describeFailure(e);
        return f.status === 404 ? { entry, kind: 'missing' } : { entry, kind: 'unreadable', failure: f };
    }
}

/** How many entries the check will resolve (0 when the setting is invalid: start-up names that already). */
function safeEntryCount(ctx: HealthContext): number {
    try {
        return requireSetting(ctx.env, 'NEVER_CONTAIN').length;
    } catch {
        return 0;
    }
}

export async function readBreakGlass(ctx: HealthContext): Promise<BreakGlassReading> {
    // The entries as listed (validated as at start-up), each once: the runtime's set also holds a guest's home form,
    // which is no UPN of this tenant.
    const entries = [...new Set(checkNeverContain(requireSetting(ctx.env, 'NEVER_CONTAIN')))];
    if (entries.length === 0) return { entries: [], total: 0 };
    if (ctx.asApp && ctx.runtime.containment.mode !== 'live') return { total: entries.length };
    const settled = await mapConcurrent(entries, CONCURRENCY, (entry) => readEntry(ctx, entry));
    return {
        total: entries.length,
        entries: settled.map((s, i) =>
            s.status === 'fulfilled'
                ? s.value
                : { entry: entries[i]!, kind: 'unreadable' as const, failure: describeFailure(s.reason) },
        ),
    };
}

export function evaluateBreakGlass(r: BreakGlassReading, options: { readonly withoutNames?: boolean } = {}): Finding[] {
    if (r.total === 0) return [ok(CHECK, TITLE, 'NEVER_CONTAIN lists nobody', { entries: 0 })];
    if (!r.entries) {
        return [
            ok(
                CHECK,
                TITLE,
                `${r.total} NEVER_CONTAIN entr${r.total === 1 ? 'y' : 'ies'} not resolved: in dry-run the identity holds no Graph role and contains nobody; mfa-responder doctor with your sign-in resolves them, and so does this check once CONTAINMENT_MODE=live`,
                { entries: r.total, resolved: false },
            ),
        ];
    }
    const all = r.entries;
    // GET /api/health names no user: the entry's place in the list instead.
    const name = (e: EntryReading) => (options.withoutNames ? `entry ${all.indexOf(e) + 1} of ${all.length}` : e.entry);
    const findings: Finding[] = [];
    for (const e of all) {
        if (e.kind === 'group') {
            findings.push(
                problem(
                    'failed',
                    CHECK,
                    TITLE,
                    `NEVER_CONTAIN lists ${name(e)}, which is not a user: a group's id belongs in NEVER_CONTAIN_GROUP_IDS. It matches nobody, so the account it was meant to protect can be contained`,
                    'Move the id from NEVER_CONTAIN to NEVER_CONTAIN_GROUP_IDS (members of that group are never contained), or list the break-glass users themselves.',
                ),
            );
        } else if (e.kind === 'missing') {
            findings.push(
                problem(
                    'failed',
                    CHECK,
                    TITLE,
                    `NEVER_CONTAIN lists ${name(e)}: no such user. It matches nobody, so the account it was meant to protect can be contained`,
                    "Write the break-glass account's object id or current UPN (Entra admin center > Users), then restart the function app.",
                ),
            );
        } else if (e.kind === 'unreadable') {
            findings.push(
                e.failure.kind === 'refused'
                    ? problem(
                          'warning',
                          CHECK,
                          TITLE,
                          `cannot resolve NEVER_CONTAIN ${name(e)} with this identity (${e.failure.status ?? e.failure.code ?? 'refused'})`,
                          `Needs ${READER}.`,
                      )
                    : problem(
                          'failed',
                          CHECK,
                          TITLE,
                          `cannot resolve NEVER_CONTAIN ${name(e)}: ${e.failure.message}`,
                          'Run it again; if it persists, check Graph access from here (GRAPH_BASE_URL).',
                      ),
            );
        } else if (e.user.accountEnabled === false) {
            findings.push(
                problem(
                    'warning',
                    CHECK,
                    TITLE,
                    `NEVER_CONTAIN ${name(e)} is a disabled account: it cannot sign in, so it is no break-glass account now`,
                    'Enable it, or list the break-glass account you use instead.',
                ),
            );
        }
    }
    const users = all.filter((e) => e.kind === 'user').length;
    if (findings.length === 0) {
        findings.push(
            ok(CHECK, TITLE, `every NEVER_CONTAIN entry (${users}) is an enabled user`, { entries: all.length, users }),
        );
    }
    return findings;
}

export const breakGlassCheck: HealthCheck = {
    id: CHECK,
    title: TITLE,
    app: true,
    rights: () => READER,
    extraMs: (ctx) => MS_PER_ENTRY * safeEntryCount(ctx),
    run: async (ctx) => evaluateBreakGlass(await readBreakGlass(ctx), ctx.withoutNames ? { withoutNames: true } : {}),
};
