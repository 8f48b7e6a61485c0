import type { SourceShard } from '../campaign/sourceShard';
import type { OpenCampaign, StoredDoc } from './campaignStore';

/** A Map that forgets its oldest entries beyond `max`: what one process remembers stays bounded. */
class Bounded<K, V> {
    readonly #map = new Map<K, V>();
    constructor(private readonly max: number) {}

    get(key: K): V | undefined {
        return this.#map.get(key);
    }

    set(key: K, value: V): void {
        this.#map.delete(key);
        this.#map.set(key, value);
        if (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value as K);
    }

    delete(key: K): void {
        this.#map.delete(key);
    }
}

/**
 * What one process remembers between batches, to spend fewer round trips; never what decides anything (every write is
 * conditional and every decision is read from the table):
 * - its own shards, with their versions: a partition is read by one process at a time, so its next write usually needs
 *   no read first (a conflict, after a rebalance or a redelivery elsewhere, reads again), and the decision it made
 *   after its last write (a redelivery that adds nothing decides nothing again);
 * - the memberships it already applied to users' rows (a no-op applied again costs a read);
 * - the tenant's open campaigns, for OPEN_CAMPAIGNS_TTL_MS, to notice approvals from their sources;
 * - the sources it already reported as a shared egress.
 */
export class CampaignCache {
    readonly #shards = new Bounded<string, StoredDoc<SourceShard>>(20_000);
    readonly #done = new Bounded<string, true>(100_000);
    readonly #decided = new Bounded<string, { readonly etag: string; readonly members: readonly string[] }>(20_000);
    readonly #egress = new Bounded<string, true>(20_000);
    #open: { readonly at: number; readonly campaigns: readonly OpenCampaign[] } | undefined;

    /** True the first time this process sees the source judged a shared egress: it is reported once, not per batch. */
    firstSharedEgress(source: string): boolean {
        if (this.#egress.get(source)) return false;
        this.#egress.set(source, true);
        return true;
    }

    shard(source: string, shard: string): StoredDoc<SourceShard> | undefined {
        return this.#shards.get(`${source}\n${shard}`);
    }

    keepShard(source: string, shard: string, stored: StoredDoc<SourceShard>): void {
        this.#shards.set(`${source}\n${shard}`, stored);
    }

    forgetShard(source: string, shard: string): void {
        this.#shards.delete(`${source}\n${shard}`);
    }

    /**
     * The campaign decision this process completed for a source while its own shard had this version, with the
     * campaign's users: a redelivery that adds nothing to the shard needs no second decision (other writers' news is
     * theirs to decide: each decides after its own write).
     */
    decided(source: string, shard: string): { readonly etag: string; readonly members: readonly string[] } | undefined {
        return this.#decided.get(`${source}\n${shard}`);
    }

    keepDecided(source: string, shard: string, etag: string, members: readonly string[]): void {
        this.#decided.set(`${source}\n${shard}`, { etag, members });
    }

    applied(membership: string): boolean {
        return this.#done.get(membership) === true;
    }

    markApplied(membership: string): void {
        this.#done.set(membership, true);
    }

    openCampaigns(now: number, ttlMs: number): readonly OpenCampaign[] | undefined {
        return this.#open && now - this.#open.at < ttlMs ? this.#open.campaigns : undefined;
    }

    keepOpenCampaigns(now: number, campaigns: readonly OpenCampaign[]): void {
        this.#open = { at: now, campaigns };
    }
}
