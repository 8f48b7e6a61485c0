import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCli } from '../support/cliRun';
import { ATTACKED_USER, ATTACKER_IPS, buildSampleStream } from '../support/sampleStream';
import { envelope, fraudReport, pushApproved, pushDenied, user } from '../support/signInFactory';

const SAMPLE = join(__dirname, '..', '..', 'samples', 'signins-attack.ndjson');
const dir = mkdtempSync(join(tmpdir(), 'mfa-replay-'));
const T0 = Date.parse('2026-11-02T09:00:00Z');
const at = (m: number) => new Date(T0 + m * 60_000);

function file(name: string, text: string): string {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
}

const jsonLines = (stdout: string) =>
    stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('mfa-responder replay', () => {
    it('the committed sample is what the generator makes', () => {
        expect(readFileSync(SAMPLE, 'utf8')).toBe(buildSampleStream());
    });

    it('finds the one attack in the bundled sample, as NDJSON and nothing else on stdout', async () => {
        const { code, stdout } = await runCli(['replay', SAMPLE, '--json']);
        expect(code).toBe(0);
        const lines = jsonLines(stdout);
        expect(lines).toHaveLength(2);
        expect(lines[0]).toMatchObject({
            type: 'incident',
            userId: ATTACKED_USER.id,
            userPrincipalName: ATTACKED_USER.upn,
            trigger: 'threshold',
            denials: 11,
            firstSeen: '2026-11-02T09:12:00.000Z',
            ipAddresses: expect.arrayContaining(ATTACKER_IPS),
        });
        expect(Date.parse(lines[0]!.detectedAt as string)).toBeGreaterThanOrEqual(
            Date.parse(lines[0]!.firstSeen as string),
        );
        expect(lines[1]).toMatchObject({ type: 'summary', records: 1290, rejected: 0, incidents: 1 });
        expect(lines[1]!.denials).toBeGreaterThan(11);
    });

    it('gives the same result with the state in Azurite (npm start) as in memory', async () => {
        const memory = await runCli(['replay', SAMPLE, '--json']);
        const azurite = await runCli(['replay', SAMPLE, '--json', '--store', 'azurite']);
        expect(azurite.code).toBe(0);
        // recordedAt is the wall-clock time of each run; everything else is the same.
        const stable = (out: string) => out.replace(/"recordedAt":"[^"]+"/g, '"recordedAt":"…"');
        expect(stable(azurite.stdout)).toBe(stable(memory.stdout));
        expect(stable(azurite.stdout)).not.toBe(azurite.stdout);
    });

    it('prints a readable report without --json', async () => {
        const { code, stdout } = await runCli(['replay', SAMPLE]);
        expect(code).toBe(0);
        expect(stdout).toMatch(/1 incident\(s\):\n {2}megan\.bowen@contoso\.com .* threshold: 11 denied/);
        expect(stdout).toMatch(/APPROVED a prompt .* one of the attacking IPs/);
    });

    it('honours --threshold and --window-minutes', async () => {
        // Far above the attack's 11 denials: the threshold no longer fires, but the approval that ended it still does.
        const lenient = await runCli(['replay', SAMPLE, '--json', '--threshold', '50']);
        expect(jsonLines(lenient.stdout).filter((l) => l.type === 'incident')).toEqual([
            expect.objectContaining({
                trigger: 'spam-then-success',
                detectedAt: '2026-11-02T09:20:12.000Z',
                denials: 11,
            }),
        ]);
        const narrow = await runCli(['replay', SAMPLE, '--json', '--threshold', '3', '--window-minutes', '2']);
        const incidents = jsonLines(narrow.stdout).filter((l) => l.type === 'incident');
        expect(incidents.length).toBeGreaterThanOrEqual(1);
        expect(incidents.map((i) => i.userId)).toContain(ATTACKED_USER.id);
    });

    it('reads all input shapes, several files and stdin', async () => {
        const u = user('Pat Shape');
        const denials = Array.from({ length: 6 }, (_, i) => pushDenied({ user: u, at: at(i * 0.5) }));
        const shapes = [
            file('envelope.json', JSON.stringify(envelope(denials), null, 2)),
            file('records.ndjson', denials.map((r) => JSON.stringify(r)).join('\n')),
            file('array.json', JSON.stringify(denials)),
            file('graph.json', JSON.stringify({ value: denials.map((r: any) => r.properties) })),
        ];
        for (const p of shapes) {
            const lines = jsonLines((await runCli(['replay', p, '--json'])).stdout);
            expect({ p, lines }).toMatchObject({
                p,
                lines: [
                    { type: 'incident', userId: u.id, denials: 6 },
                    { type: 'summary', records: 6, denials: 6, incidents: 1 },
                ],
            });
        }
        // The same prompts in four files are still six prompts.
        const all = jsonLines((await runCli(['replay', ...shapes, '--json'])).stdout);
        expect(all.at(-1)).toMatchObject({ records: 24, denials: 6, incidents: 1 });
        const piped = jsonLines(
            (await runCli(['replay', '-', '--json'], { stdin: readFileSync(shapes[1]!, 'utf8') })).stdout,
        );
        expect(piped.at(-1)).toMatchObject({ records: 6, incidents: 1 });
    });

    it('reports fraud and spam-then-success triggers', async () => {
        const a = user('Fraud Reporter');
        const b = user('Gave In');
        const records = [
            fraudReport({ user: a, at: at(0) }),
            ...Array.from({ length: 3 }, (_, i) => pushDenied({ user: b, at: at(i), ip: '185.220.101.9' })),
            pushApproved({ user: b, at: at(3.5), ip: '185.220.101.9' }),
        ];
        const lines = jsonLines(
            (await runCli(['replay', file('mixed.ndjson', records.map((r) => JSON.stringify(r)).join('\n')), '--json']))
                .stdout,
        );
        expect(lines.filter((l) => l.type === 'incident').map((l) => [l.userId, l.trigger])).toEqual([
            [a.id, 'fraud-report'],
            [b.id, 'spam-then-success'],
        ]);
    });

    it('counts malformed lines as rejected records, not a failure', async () => {
        const u = user('Line Noise');
        const good = Array.from({ length: 5 }, (_, i) => JSON.stringify(pushDenied({ user: u, at: at(i) })));
        const p = file(
            'noisy.ndjson',
            [good[0], '{not json', good[1], '[1,2', '"str"', good[2], good[3], '{"records":7}', good[4]].join('\n'),
        );
        const { code, stdout } = await runCli(['replay', p, '--json']);
        expect(code).toBe(0);
        expect(jsonLines(stdout).at(-1)).toMatchObject({
            type: 'summary',
            records: 9,
            rejected: 4,
            denials: 5,
            incidents: 1,
        });
    });

    it('exits non-zero with a clear message for an unreadable file, and for bad options', async () => {
        const missing = await runCli(['replay', join(dir, 'nope.json'), '--json']);
        expect(missing.code).not.toBe(0);
        expect(missing.stdout).toBe('');
        expect(missing.stderr).toMatch(/cannot read .*nope\.json: ENOENT/);
        const directory = await runCli(['replay', dir]);
        expect(directory.code).not.toBe(0);
        expect(directory.stderr).toMatch(/cannot read/);
        const bad = await runCli(['replay', SAMPLE, '--threshold', 'many']);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(/--threshold takes an integer from 1 to 1000 \(DENIAL_THRESHOLD\), not "many"/);
        const badSetting = await runCli(['replay', SAMPLE], { env: { TIMEOUT_WEIGHT: '7' } });
        expect(badSetting.code).not.toBe(0);
        expect(badSetting.stderr).toMatch(/TIMEOUT_WEIGHT/);
        expect((await runCli(['frobnicate'])).code).toBe(2);
    });
});
