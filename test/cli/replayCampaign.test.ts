/**
 * Push spray through `mfa-responder replay`: one address prompting many users is one campaign, each sprayed user an
 * incident carrying its id, and `--json` prints a campaign line; what is not spray stays quiet.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { shuffle } from '../support/events';
import { runCli } from '../support/cliRun';
import { pushApproved, pushDenied } from '../support/signInFactory';
import { at, ATTACKER, messages, ownAddressDeclines, sprayedUsers, sprayRecords } from '../support/spray';

const dir = mkdtempSync(join(tmpdir(), 'mfa-campaign-'));
let n = 0;
function ndjson(items: readonly unknown[]): string {
    const p = join(dir, `in${n++}.ndjson`);
    writeFileSync(p, items.map((m) => JSON.stringify(m)).join('\n') + '\n');
    return p;
}
const lines = (stdout: string) =>
    stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('replay: push spray', () => {
    it('30 users × 2 prompts from one address within an hour is one campaign, each user a push-spray incident', async () => {
        const users = sprayedUsers(30);
        const { code, stdout } = await runCli([
            'replay',
            ndjson(messages(sprayRecords(users))),
            '--json',
            '--batch-size',
            '2',
        ]);
        expect(code).toBe(0);
        const out = lines(stdout);
        const incidents = out.filter((l) => l.type === 'incident');
        const campaigns = out.filter((l) => l.type === 'campaign');
        expect(campaigns).toHaveLength(1);
        const campaign = campaigns[0]!;
        expect(campaign).toMatchObject({
            schemaVersion: 1,
            source: { type: 'address', value: ATTACKER.ip },
            userCount: 30,
            estimated: false,
            containment: 'user-by-user',
            severity: 'Medium',
        });
        expect((campaign.users as Array<{ userId: string }>).map((u) => u.userId).sort()).toEqual(
            users.map((u) => u.id).sort(),
        );
        expect(incidents).toHaveLength(30);
        for (const inc of incidents) {
            expect(inc).toMatchObject({ trigger: 'push-spray', campaignId: campaign.campaignId });
        }
        expect(out.at(-1)).toMatchObject({ type: 'summary', incidents: 30, campaigns: 1 });
    });

    it('the same spray redelivered and in shuffled order gives the same campaign and the same incidents', async () => {
        const records = sprayRecords(sprayedUsers(30, 'shuffled'));
        const once = await runCli(['replay', ndjson(messages(records)), '--json']);
        const twice = await runCli([
            'replay',
            ndjson([...messages(shuffle(records, 7)), ...messages(records)]),
            '--json',
        ]);
        const key = (stdout: string) =>
            lines(stdout)
                .filter((l) => l.type === 'incident')
                .map(
                    (l) =>
                        `${String(l.userId)} ${String(l.trigger)} ${String(l.campaignId)} ${String(l.denials)}/${String(l.timeouts)}`,
                )
                .sort();
        expect(key(twice.stdout)).toEqual(key(once.stdout));
        const campaign = (stdout: string) => lines(stdout).filter((l) => l.type === 'campaign');
        expect(campaign(twice.stdout).map((c) => [c.campaignId, c.userCount])).toEqual(
            campaign(once.stdout).map((c) => [c.campaignId, c.userCount]),
        );
    });

    it('users each attacked hard enough for their own trigger keep one incident each, linked to the campaign', async () => {
        const users = sprayedUsers(12, 'hammered');
        const records = users.flatMap((u, i) =>
            Array.from({ length: 6 }, (_, k) =>
                pushDenied({ user: u, at: at(i * 3 + k * 0.3), ip: ATTACKER.ip, asn: ATTACKER.asn }),
            ),
        );
        const { code, stdout } = await runCli(['replay', ndjson(messages(records)), '--json']);
        expect(code).toBe(0);
        const out = lines(stdout);
        const campaign = out.find((l) => l.type === 'campaign')!;
        expect(campaign).toMatchObject({ source: { type: 'address', value: ATTACKER.ip }, userCount: 12 });
        const incidents = out.filter((l) => l.type === 'incident');
        // One incident per user: their own threshold incident, carrying the campaign's id; no push-spray double.
        expect(incidents.map((l) => l.userId).sort()).toEqual(users.map((u) => u.id).sort());
        for (const inc of incidents) {
            expect(inc).toMatchObject({ trigger: 'threshold', campaignId: campaign.campaignId });
        }
    });

    it('an office egress nobody declared, where 200 people approve and 40 mis-tap, stays quiet with defaults', async () => {
        const office = { ip: '198.51.100.23', asn: 64_500, userAgent: 'Mozilla/5.0' };
        const approvers = sprayedUsers(200, 'office');
        const misTaps = sprayedUsers(40, 'mis-tap');
        // By time, as an export is: approvals all along, the mis-taps among them.
        const byTime = [
            ...approvers.map((u, i) => pushApproved({ user: u, at: at((50 * i) / 200), ...office })),
            ...sprayRecords(misTaps, { start: 5, source: office }),
        ].sort((a, b) => String(a.time).localeCompare(String(b.time)));
        const { code, stdout } = await runCli(['replay', ndjson(messages(byTime)), '--json', '--batch-size', '20']);
        expect(code).toBe(0);
        const out = lines(stdout);
        expect(out.filter((l) => l.type !== 'summary')).toEqual([]);
        const summary = out.at(-1)!;
        expect(summary).toMatchObject({ type: 'summary', incidents: 0, campaigns: 0 });
        // Reported once, as the office it is (its /24 too): neither source is a campaign.
        const egress = summary.sharedEgress as Array<{ source: string; refusers: number }>;
        expect(egress.filter((e) => e.source === `address:${office.ip}`)).toHaveLength(1);
        // The same 40 mis-taps with nobody approving are, as before, a campaign.
        const alone = await runCli(['replay', ndjson(messages(sprayRecords(misTaps, { source: office }))), '--json']);
        expect(lines(alone.stdout).filter((l) => l.type === 'campaign')).toHaveLength(1);
    });

    it('people who only approved on an address the attacker sprays from are held for a person, never contained', async () => {
        // Hotel or conference Wi-Fi: staff sign in there while an attacker sprays 45 users from the same address.
        const wifi = { ip: '203.0.113.50', asn: 64_500, userAgent: 'Mozilla/5.0' };
        const staff = sprayedUsers(20, 'staff');
        const victims = sprayedUsers(45, 'victims');
        const records = [
            ...sprayRecords(victims, { source: wifi, approver: 7 }),
            ...staff.map((u, i) => pushApproved({ user: u, at: at(1 + (40 * i) / 20), ...wifi })),
        ];
        const { code, stdout } = await runCli(['replay', ndjson(messages(records)), '--json']);
        expect(code).toBe(0);
        const out = lines(stdout);
        expect(out.filter((l) => l.type === 'campaign')).toHaveLength(1);
        const incidents = out.filter((l) => l.type === 'incident');
        const byUser = (u: { id: string }) => incidents.filter((l) => l.userId === u.id);
        const held = staff.flatMap(byUser);
        expect(held.length).toBeGreaterThan(0);
        for (const i of held) {
            expect(i).toMatchObject({ trigger: 'push-spray', approvedWithoutRefusal: true });
            expect(i.approval).toMatchObject({ fromDenialIp: false });
        }
        // The victim who refused, then approved, is still high-confidence and contained as one.
        const victim = byUser(victims[7]!)[0]!;
        expect(victim.approvedWithoutRefusal).toBeUndefined();
        expect(victim.approval).toMatchObject({ fromDenialIp: true });
    });

    it('50 people who each decline once from their own addresses stay quiet', async () => {
        const { stdout } = await runCli(['replay', ndjson(messages(ownAddressDeclines(50))), '--json']);
        expect(lines(stdout).filter((l) => l.type !== 'summary')).toEqual([]);
    });
});

describe('replay --html: campaigns', () => {
    it('shows each campaign with its users, and a sweep over CAMPAIGN_MIN_USERS and CAMPAIGN_WINDOW_MINUTES', async () => {
        const users = sprayedUsers(12, 'html');
        const input = ndjson(messages([...sprayRecords(users), ...ownAddressDeclines(20)]));
        const html = join(dir, 'report.html');
        const { code, stderr } = await runCli(['replay', input, '--html', html]);
        expect({ code, stderr: stderr.replace(/\s+/g, ' ').slice(0, 200) }).toMatchObject({ code: 0 });
        const page = readFileSync(html, 'utf8');
        expect(page).toContain('Campaigns (push spray)');
        expect(page).toContain(`address ${ATTACKER.ip}`);
        for (const u of users) expect(page).toContain(u.upn);
        // The run's own cell (10 users within 60 minutes) finds the campaign; 15 users would not.
        const cell = (m: number, w: number) =>
            new RegExp(`data-min-users="${m}" data-window="${w}">(\\d+)<`).exec(page)?.[1];
        expect(cell(10, 60)).toBe('1');
        expect(cell(15, 60)).toBe('0');
        // At 3 users within 4 hours the people at home are still no campaign: each is their own source.
        expect(Number(cell(3, 240))).toBe(1);
    });
});
