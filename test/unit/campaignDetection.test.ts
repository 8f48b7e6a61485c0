/**
 * Campaign detection's pure core: source keys (what is never a source), the bounded, idempotent shard of a source, the
 * merge of every writer's shard, and the decision (thresholds per key type, the window, the id).
 */
import { campaignId, decideCampaign, wantsIncident } from '../../shared/campaign/campaignDecision';
import { DEFAULT_CAMPAIGN_POLICY, thresholdFor } from '../../shared/campaign/campaignPolicy';
import { formatIp, isPublic, parseIp, parseRange, rangeContains } from '../../shared/network/ipAddress';
import { SHARED_NETWORK_ASNS } from '../../shared/network/sharedNetworks';
import { SourceKey, sourceKeysOf } from '../../shared/campaign/sourceKeys';
import { addToShard, MAX_LISTED_USERS, SourcePrompt } from '../../shared/campaign/sourceShard';
import { mergeShards } from '../../shared/campaign/sourceView';
import { addUser, emptySketch, estimateUsers } from '../../shared/campaign/userSketch';
import { shuffle } from '../support/events';

const T0 = Date.parse('2026-11-02T09:00:00Z');
const MIN = 60_000;
const policy = DEFAULT_CAMPAIGN_POLICY;
const ADDRESS: SourceKey = { type: 'address', value: '45.141.87.19' };
const user = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** Two prompts (declined, then unanswered) for each of `n` users, spread over `spanMinutes`. */
function spray(n: number, spanMinutes = 50, start = 0): SourcePrompt[] {
    return Array.from({ length: n }, (_, i) => {
        const t = T0 + (start + (spanMinutes * i) / n) * MIN;
        return [
            { userId: user(i), time: t, outcome: 'd' as const, id: `p${i}a` },
            { userId: user(i), time: t + 2 * MIN, outcome: 't' as const, id: `p${i}b` },
        ];
    }).flat();
}

const decide = (prompts: SourcePrompt[], key = ADDRESS) =>
    decideCampaign({ key }, mergeShards([addToShard(undefined, 'k', prompts, policy)]), policy, T0);

describe('IP addresses', () => {
    it('parses and writes every spelling of an address one way, and refuses what is not one', () => {
        expect(formatIp(parseIp('2001:0DB8:0000:0000:0001:0000:0000:0001')!)).toBe('2001:db8::1:0:0:1');
        expect(formatIp(parseIp('::ffff:203.0.113.7')!)).toBe('203.0.113.7');
        expect(formatIp(parseIp(' 203.0.113.7 ')!)).toBe('203.0.113.7');
        for (const bad of ['203.0.113.256', '010.0.0.1', '1.2.3', 'fe80::1%eth0', '1::2::3', 'evil.com', '']) {
            expect({ bad, ip: parseIp(bad) }).toEqual({ bad, ip: undefined });
        }
    });

    it('reads CIDR ranges as Graph writes them (host bits zero) and tells public addresses apart', () => {
        expect(rangeContains(parseRange('203.0.113.0/24')!, parseIp('203.0.113.99')!)).toBe(true);
        expect(rangeContains(parseRange('2001:db8::/48')!, parseIp('2001:db8:0:ffff::1')!)).toBe(true);
        expect(rangeContains(parseRange('2001:db8::/48')!, parseIp('2001:db8:1::1')!)).toBe(false);
        expect(parseRange('203.0.113.7/24')).toBeUndefined();
        expect(parseRange('203.0.113.0/33')).toBeUndefined();
        expect(isPublic(parseIp('10.1.2.3')!)).toBe(false);
        expect(isPublic(parseIp('100.64.1.1')!)).toBe(false);
        expect(isPublic(parseIp('fd00::1')!)).toBe(false);
        expect(isPublic(parseIp('45.141.87.19')!)).toBe(true);
    });
});

describe('source keys', () => {
    const event = { ipAddress: '45.141.87.19', asn: 202425, userAgent: 'python-requests/2.31.0' };

    it('keys a prompt by its address, its /24 (or /64), its autonomous system, and that with its user agent', () => {
        expect(sourceKeysOf(event, policy).map((k) => `${k.type} ${k.value}`)).toEqual([
            'address 45.141.87.19',
            'network 45.141.87.0/24',
            expect.stringMatching(/^asn-agent AS202425 ua:[0-9a-f]{12}$/),
            'asn AS202425',
        ]);
        expect(sourceKeysOf({ ipAddress: '2001:db8:1:2:3:4:5:6' }, policy).map((k) => k.value)).toEqual([
            '2001:db8:1:2:3:4:5:6',
            '2001:db8:1:2::/64',
        ]);
    });

    it('never keys a trusted named location, a trusted range or an address that is not public', () => {
        expect(sourceKeysOf({ ...event, trustedLocation: true }, policy)).toEqual([]);
        const trusted = { ...policy, trustedRanges: [parseRange('45.141.87.0/24')!] };
        expect(sourceKeysOf(event, trusted)).toEqual([]);
        expect(sourceKeysOf({ ...event, ipAddress: '10.0.0.7' }, policy)).toEqual([]);
    });

    it('never keys a large cloud or carrier network by its autonomous system, alone or with a user agent', () => {
        expect(SHARED_NETWORK_ASNS.has(8075)).toBe(true);
        const azure = sourceKeysOf({ ...event, asn: 8075 }, policy);
        expect(azure.map((k) => k.type)).toEqual(['address', 'network']);
        const tenantOwn = { ...policy, sharedAsns: new Set([...policy.sharedAsns, 202425]) };
        expect(sourceKeysOf(event, tenantOwn).map((k) => k.type)).toEqual(['address', 'network']);
    });

    it('needs more users the wider the source', () => {
        expect(['address', 'network', 'asn-agent', 'asn'].map((t) => thresholdFor(t as never, policy))).toEqual([
            10, 15, 30, 50,
        ]);
    });
});

describe('a source shard', () => {
    it('is the same whatever the order and however often the same prompts arrive', () => {
        const prompts = spray(40);
        const once = addToShard(undefined, 'k', prompts, policy);
        let twice = addToShard(undefined, 'k', shuffle(prompts, 3).slice(0, 30), policy);
        twice = addToShard(twice, 'k', shuffle(prompts, 9), policy);
        twice = addToShard(twice, 'k', prompts, policy);
        expect(JSON.stringify(twice)).toBe(JSON.stringify(once));
    });

    it('lists at most MAX_LISTED_USERS users and counts the rest, exactly for redeliveries, in a bounded row', () => {
        const prompts: SourcePrompt[] = Array.from({ length: 100_000 }, (_, i) => ({
            userId: user(i),
            userPrincipalName: `${'x'.repeat(300)}${i}@contoso.com`,
            time: T0 + (i % 3000) * 1000,
            outcome: i === 77_777 ? ('a' as const) : ('d' as const),
            id: `p${i}`,
        }));
        let shard = addToShard(undefined, 'k', prompts.slice(0, 60_000), policy);
        shard = addToShard(shard, 'k', prompts.slice(40_000), policy);
        expect(Object.keys(shard.users)).toHaveLength(MAX_LISTED_USERS);
        // The approver is listed whatever the crowd: the one who matters most.
        expect(shard.users[user(77_777)]).toBeDefined();
        expect(JSON.stringify(shard).length).toBeLessThan(40_000);
        const merged = mergeShards([shard, addToShard(undefined, 'k', prompts.slice(0, 10_000), policy)]);
        expect(merged.overflow).toBe(true);
        expect(Math.abs(merged.estimatedUsers - 100_000) / 100_000).toBeLessThan(0.08);
    });

    it('forgets prompts older than the retention behind its newest', () => {
        let shard = addToShard(undefined, 'k', spray(5), policy);
        shard = addToShard(
            shard,
            'k',
            spray(1, 1, 26 * 60).map((p) => ({ ...p, userId: user(99) })),
            policy,
        );
        expect(Object.keys(shard.users)).toEqual([user(99)]);
    });
});

describe("the sketch of a source's users", () => {
    it('counts distinct users within a few percent, whatever the repeats', () => {
        for (const n of [10, 1_000, 50_000]) {
            const sketch = emptySketch();
            for (let r = 0; r < 3; r++) for (let i = 0; i < n; i++) addUser(sketch, user(i));
            expect({ n, error: Math.abs(estimateUsers(sketch) - n) / n < 0.08 }).toEqual({ n, error: true });
        }
    });
});

describe('the campaign decision', () => {
    it('30 users × 2 prompts from one address within an hour is a campaign; 9 users is not', () => {
        const d = decide(spray(30));
        expect(d.campaign).toMatchObject({ id: campaignId(ADDRESS, T0), windowStart: T0, threshold: 10 });
        expect(d.proposed).toBe(true);
        expect(d.users).toBe(30);
        expect(d.members.every((m) => m.denials === 1 && m.timeouts === 1)).toBe(true);
        // The tenth distinct user completed the threshold.
        expect(d.campaign!.detectedAt).toBe(T0 + ((50 * 9) / 30) * MIN);
        expect(decide(spray(9)).campaign).toBeUndefined();
    });

    it('counts distinct users within the window only: a slow drip of one user every 10 minutes is no campaign', () => {
        expect(decide(spray(12, 120)).campaign).toBeUndefined();
        expect(decide(spray(12, 60)).campaign).toBeDefined();
    });

    it('a wider source needs more users', () => {
        const network: SourceKey = { type: 'network', value: '45.141.87.0/24' };
        expect(decide(spray(14), network).campaign).toBeUndefined();
        expect(decide(spray(15), network).campaign).toBeDefined();
    });

    it('keeps its id and window however the prompts arrive, and takes later users in', () => {
        const prompts = spray(30);
        const first = decide(prompts.slice(0, 24));
        const head = first.campaign!;
        const later = decideCampaign(
            { key: ADDRESS, head },
            mergeShards([addToShard(undefined, 'k', shuffle(prompts, 5), policy)]),
            policy,
            T0,
        );
        expect(later.proposed).toBe(false);
        expect(later.campaign!.id).toBe(head.id);
        expect(later.members).toHaveLength(30);
    });

    it('a new spray after a quiet gap longer than the window is a new campaign', () => {
        const first = decide(spray(20));
        const both = [...spray(20), ...spray(20, 30, 300).map((p) => ({ ...p, id: `${p.id}-2` }))];
        const d = decideCampaign(
            { key: ADDRESS, head: first.campaign! },
            mergeShards([addToShard(undefined, 'k', both, policy)]),
            policy,
            T0,
        );
        expect(d.proposed).toBe(true);
        expect(d.campaign!.windowStart).toBe(T0 + 300 * MIN);
        expect(d.campaign!.id).not.toBe(first.campaign!.id);
    });

    it('gives an incident to everyone up to CAMPAIGN_MAX_USERS, and beyond it to approvers and fraud reporters', () => {
        const prompts = spray(60);
        prompts.push({ userId: user(59), time: T0 + 55 * MIN, outcome: 'a', id: 'approval' });
        const d = decide(prompts);
        const wanted = d.members.filter((m) => wantsIncident(m, policy));
        expect(wanted).toHaveLength(51);
        expect(wanted.find((m) => m.userId === user(59))).toMatchObject({ approved: true });
    });
});

describe('a shared egress', () => {
    /** `approvers` users who approve once and `refusers` who decline then leave a push unanswered, all from one address. */
    function mixed(approvers: number, refusers: number, from = 0): SourcePrompt[] {
        const approving = Array.from({ length: approvers }, (_, i) => ({
            userId: user(from + i),
            time: T0 + ((i * 7) % 50) * MIN,
            outcome: 'a' as const,
            id: `a${from + i}`,
        }));
        const refusing = spray(refusers, 50).map((p) => ({
            ...p,
            userId: user(from + approvers + Number(p.userId.slice(-12))),
            id: `r${from}-${p.id}`,
        }));
        return [...approving, ...refusing];
    }

    it('opens no campaign where most users only approve: an office whose 40 mis-taps are a minority of 240', () => {
        // 240 users are more than a shard lists: counted from the sketches.
        const d = decide(mixed(200, 40));
        expect(d).toMatchObject({ proposed: false, members: [], sharedEgress: { estimated: true } });
        expect(d.campaign).toBeUndefined();
        expect(Math.abs(d.sharedEgress!.approvers - 200)).toBeLessThan(20);
        expect(Math.abs(d.sharedEgress!.refusers - 40)).toBeLessThan(4);
        // Within what the rows list, exact; and the same 40 refusers alone are a campaign.
        expect(decide(mixed(80, 40)).sharedEgress).toEqual({ approvers: 80, refusers: 40, estimated: false });
        expect(decide(mixed(39, 40))).toMatchObject({ proposed: true });
        expect(decide(mixed(0, 40))).toMatchObject({ proposed: true });
    });

    it("still opens one where nearly everyone refuses and a rare victim approves: an attacker's source", () => {
        const d = decide(mixed(2, 30));
        expect(d.sharedEgress).toBeUndefined();
        expect(d.proposed).toBe(true);
        expect(d.members).toHaveLength(32);
        // A refuser who also approved counts as a refuser, not as an office's approver.
        const victim = mixed(0, 30).concat({ userId: user(3), time: T0 + 40 * MIN, outcome: 'a', id: 'late' });
        expect(decide(victim)).toMatchObject({ proposed: true });
    });

    it('judges from the sketches when the rows overflow, whose list keeps approvers first and is no sample', () => {
        // 20,000 office users and 500 with mis-taps: the rows list 128 of them, nearly all approvers.
        const office = addToShard(undefined, 'k', mixed(20_000, 500), policy);
        expect(office.overflow).toBe(true);
        const egress = decideCampaign({ key: ADDRESS }, mergeShards([office]), policy, T0).sharedEgress;
        expect(egress?.estimated).toBe(true);
        expect(Math.abs(egress!.refusers - 500) / 500).toBeLessThan(0.1);
        // An attacker spraying 5,000 users, 60 of whom approve: listed approvers first must not pass for an office.
        const attack = addToShard(undefined, 'k', mixed(60, 5_000), policy);
        expect(attack.overflow).toBe(true);
        const d = decideCampaign({ key: ADDRESS }, mergeShards([attack]), policy, T0);
        expect(d.sharedEgress).toBeUndefined();
        expect(d).toMatchObject({ proposed: true, estimated: true });
        expect(d.users).toBeGreaterThan(4_500);
    });

    it('adds no members to a campaign stored before its source turned out to be a shared egress', () => {
        const early = decide(spray(12));
        expect(early.proposed).toBe(true);
        const later = decideCampaign(
            { key: ADDRESS, head: early.campaign! },
            mergeShards([addToShard(undefined, 'k', [...spray(12), ...mixed(100, 0, 1_000)], policy)]),
            policy,
            T0,
        );
        expect(later).toMatchObject({ campaign: early.campaign, proposed: false, members: [] });
        expect(later.sharedEgress).toMatchObject({ approvers: 100, refusers: 12 });
    });
});
