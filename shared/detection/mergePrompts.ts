import { KIND_RANK, MfaKind } from '../signin/mfaKinds';
import type { SignInEvent } from '../signin/signInEvent';
import { MAX_KEYS_PER_CLASS, MAX_ROW_IDS_PER_PROMPT, Prompt } from './userState';

/** A declined (or fraud-reported) prompt: what `newDenials` counts. */
export function isDeclined(kind: MfaKind): boolean {
    return kind === 'push-denied' || kind === 'fraud-report';
}

/** At the same instant a denial sorts before an approval, so "denied then approved" reads in that order. */
export function byTime(a: Prompt, b: Prompt): number {
    return a.time - b.time || KIND_RANK[b.kind] - KIND_RANK[a.kind] || (a.keys[0] ?? '').localeCompare(b.keys[0] ?? '');
}

function keyClass(key: string): string {
    return key.slice(0, key.indexOf(':'));
}

/**
 * Merges rows and prompts by their identity keys with hashed lookups: every row and every merge costs time in
 * proportion to its (bounded) keys, never to the prompt's history, so thousands of rows of one prompt stay linear.
 * Key sets are bounded per class: a prompt keeps the first keys it saw, which still match its redelivered rows
 * because every row of a merged prompt carries one of the shared request or step keys.
 */
class PromptIndex {
    readonly #byKey = new Map<string, Prompt>();
    readonly #keySets = new Map<Prompt, Set<string>>();
    readonly live = new Set<Prompt>();
    /** Prompts (by identity) that were already declined before this batch, merges included. */
    readonly wasDeclined = new Set<Prompt>();

    add(p: Prompt, declinedBefore: boolean): void {
        this.live.add(p);
        if (declinedBefore) this.wasDeclined.add(p);
        this.#keySets.set(p, new Set(p.keys));
        for (const k of p.keys) this.#byKey.set(k, p);
    }

    matches(keys: readonly string[]): Prompt[] {
        const found: Prompt[] = [];
        for (const k of keys) {
            const p = this.#byKey.get(k);
            if (p && !found.includes(p)) found.push(p);
        }
        return found;
    }

    addKey(p: Prompt, key: string): void {
        const set = this.#keySets.get(p)!;
        if (set.has(key)) return;
        const cls = keyClass(key);
        let inClass = 0;
        for (const k of p.keys) if (keyClass(k) === cls) inClass++;
        if (inClass >= (MAX_KEYS_PER_CLASS[cls] ?? 1)) return;
        set.add(key);
        p.keys.push(key);
        this.#byKey.set(key, p);
    }

    /** Folds `from` into `into`: keys, the earliest time (with its address and app), the most telling kind. */
    absorb(into: Prompt, from: Prompt): void {
        this.live.delete(from);
        if (this.wasDeclined.has(from)) this.wasDeclined.add(into);
        for (const k of from.keys) {
            this.addKey(into, k);
            // Keys `into` could not keep still lead to it within this batch.
            if (this.#byKey.get(k) === from) this.#byKey.set(k, into);
        }
        this.#keySets.delete(from);
        mergeFields(into, from, from.rowIds, from.incidentId);
    }
}

/** What a row or a prompt says about a prompt: when, what happened, from where. */
interface Seen {
    readonly time: number;
    readonly kind: MfaKind;
    readonly ipAddress?: string | undefined;
    readonly asn?: number | undefined;
    readonly app?: string | undefined;
}

function mergeFields(into: Prompt, seen: Seen, rowIds: readonly string[], incidentId: string | undefined): void {
    const { time, kind, ipAddress, app } = seen;
    if (time < into.time || (time === into.time && ipAddress !== undefined && into.ipAddress === undefined)) {
        into.time = time;
        if (ipAddress !== undefined) into.ipAddress = ipAddress;
        if (seen.asn !== undefined) into.asn = seen.asn;
        if (app !== undefined) into.app = app;
    }
    if (KIND_RANK[kind] > KIND_RANK[into.kind]) into.kind = kind;
    for (const r of rowIds) {
        if (into.rowIds.length >= MAX_ROW_IDS_PER_PROMPT) break;
        if (!into.rowIds.includes(r)) into.rowIds.push(r);
    }
    if (incidentId !== undefined && into.incidentId === undefined) into.incidentId = incidentId;
}

export interface MergeResult {
    /** Sorted by time. */
    readonly prompts: Prompt[];
    /** Distinct prompts at or after `cutoff` that became declined with these events. */
    readonly newDenials: number;
}

/**
 * Merges rows into prompts: rows that share any identity key are one prompt; the most telling kind wins. `prompts`
 * are modified in place (callers pass a copy).
 */
export function mergeEvents(prompts: Prompt[], events: readonly SignInEvent[], cutoff: number): MergeResult {
    const index = new PromptIndex();
    for (const p of prompts) index.add(p, isDeclined(p.kind));
    for (const e of events) {
        const found = index.matches(e.keys);
        let target = found[0];
        if (!target) {
            target = { keys: [], time: e.time, kind: e.kind, rowIds: [] };
            if (e.ipAddress) target.ipAddress = e.ipAddress;
            if (e.asn !== undefined) target.asn = e.asn;
            if (e.appDisplayName) target.app = e.appDisplayName;
            if (e.drillId) target.drillId = e.drillId;
            index.add(target, false);
        }
        for (let i = 1; i < found.length; i++) index.absorb(target, found[i]!);
        for (const k of e.keys) index.addKey(target, k);
        mergeFields(target, { ...e, app: e.appDisplayName }, [e.recordId], undefined);
    }
    let newDenials = 0;
    for (const p of index.live) {
        p.rowIds.sort();
        if (isDeclined(p.kind) && !index.wasDeclined.has(p) && p.time >= cutoff) newDenials++;
    }
    return { prompts: [...index.live].sort(byTime), newDenials };
}
