/**
 * The break-glass settings, checked for what can never match. An entry of NEVER_CONTAIN that is neither an object id
 * nor a user principal name (`"bg@contoso.com"` in quotes, `<bg@contoso.com>`, `mailto:bg@contoso.com`, a trailing
 * zero-width space) would satisfy the live-mode guard and protect nobody: the break-glass account would be contained
 * and put in the push-block group. So start-up refuses it, naming the entry.
 */
import { z } from 'zod';

import { ConfigError } from '../errors';

const guid = z.guid();

/**
 * A user principal name as Entra allows it, after the normalisation every NEVER_CONTAIN entry gets (trimmed, NFC,
 * lower case): letters, digits and ' . - _ ! # ^ ~ before the @ (a guest's `alice_fabrikam.com#ext#` form included),
 * then a domain name. https://learn.microsoft.com/entra/identity/authentication/concept-sspr-policy#username-policies
 * Letters are any script's (the responder matches Unicode UPNs in NFC); punctuation, spaces, controls and invisible
 * format characters are not letters.
 */
const UPN =
    /^[\p{L}\p{M}\p{N}'._!#^~-]+@[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?(?:\.[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?)+$/u;

/** The entry as a person can read it in a message, quoted: anything but printable ASCII shown as \uXXXX. */
export function visible(text: string): string {
    const escaped = Array.from(text)
        .map((ch) =>
            ch === '"' || ch === '\\'
                ? `\\${ch}`
                : /^[\x20-\x7e]$/.test(ch)
                  ? ch
                  : Array.from(
                        { length: ch.length },
                        (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`,
                    ).join(''),
        )
        .join('');
    return `"${escaped.slice(0, 200)}"`;
}

/** Whether an entry, already normalised (NFC, lower case), is a user principal name as Entra allows it. */
export function isUserPrincipalName(entry: string): boolean {
    return entry.length <= 256 && UPN.test(entry);
}

/** NEVER_CONTAIN's entries, each normalised (NFC) and checked: an object id or a UPN; else a ConfigError naming it. */
export function checkNeverContain(entries: readonly string[]): string[] {
    return entries.map((raw) => {
        const entry = raw.normalize('NFC');
        if (guid.safeParse(entry).success || isUserPrincipalName(entry)) return entry;
        throw new ConfigError(
            'NEVER_CONTAIN',
            `Setting NEVER_CONTAIN lists ${visible(raw)}, which is neither a user object id (GUID) nor a user principal name (name@domain, letters, digits and ' . - _ ! # ^ ~ before the @): it could never match anyone, so the break-glass account it means would be contained. Write the bare object id or UPN, without quotes, brackets, mailto: or invisible characters.`,
        );
    });
}

/**
 * Ids listed where they contradict each other: the push-block group among the never-contain groups (every user put
 * in it would then be excluded from containment), or a never-contain group's id in NEVER_CONTAIN (a group id there
 * matches no user: its members would be contained).
 */
export function checkBreakGlassGroups(config: {
    readonly pushBlockGroupId?: string;
    readonly neverContain: readonly string[];
    readonly neverContainGroupIds: readonly string[];
}): void {
    const groups = new Set(config.neverContainGroupIds);
    if (config.pushBlockGroupId && groups.has(config.pushBlockGroupId)) {
        throw new ConfigError(
            'PUSH_BLOCK_GROUP_ID',
            `Setting PUSH_BLOCK_GROUP_ID (${config.pushBlockGroupId}) is also listed in NEVER_CONTAIN_GROUP_IDS: the group users are put in to block push would exclude them from containment. Use a group of its own for each.`,
        );
    }
    const misplaced = config.neverContain.find((e) => groups.has(e) || e === config.pushBlockGroupId);
    if (misplaced) {
        throw new ConfigError(
            'NEVER_CONTAIN',
            `Setting NEVER_CONTAIN lists ${misplaced}, which is a group id (NEVER_CONTAIN_GROUP_IDS or PUSH_BLOCK_GROUP_ID names it): NEVER_CONTAIN takes user ids and UPNs; put groups in NEVER_CONTAIN_GROUP_IDS.`,
        );
    }
}
