/**
 * The exports a SOC has, replayed as a person would: each public shape (test/fixtures/README.md says where each comes
 * from) finds the attack in it, and an input the replay cannot use is never reported as "no attack".
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseSignIn } from '../../shared/signin/parseSignIn';
import { parseEntraTime } from '../../shared/signin/entraTime';
import { runCli } from '../support/cliRun';

const FIXTURES = join(__dirname, '..', 'fixtures');
const fixture = (name: string) => join(FIXTURES, name);
const ADELE = '9f6b2c1e-4d3a-4b8e-9a51-2e7d0c3f8a11';
const dir = mkdtempSync(join(tmpdir(), 'mfa-exports-'));
const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
};
const lines = (stdout: string) =>
    stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('replay reads the exports people have', () => {
    it.each([
        ['Log Analytics "Export to CSV" of SigninLogs', 'log-analytics-signinlogs.csv'],
        ['the Entra admin center download, CSV', 'entra-download-interactive.csv'],
        ['the Entra admin center download, JSON', 'entra-download-interactive.json'],
        ['Graph /auditLogs/signIns pages as az rest writes them, two in one file', 'graph-signins-pages.json'],
    ])('%s: six declined pushes open an incident, and the approval that ended them is seen', async (_, name) => {
        const { code, stdout, stderr } = await runCli(['replay', '--json', fixture(name)]);
        expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
        const [incident, summary] = lines(stdout);
        expect(incident).toMatchObject({
            type: 'incident',
            schemaVersion: 1,
            userId: ADELE,
            userPrincipalName: 'adele.vance@contoso.com',
            trigger: 'threshold',
            denials: 6,
            firstSeen: expect.stringMatching(/^2026-03-02T14:00:05/),
            approval: { at: expect.stringMatching(/^2026-03-02T14:07:10/), fromDenialIp: true },
        });
        expect(summary).toMatchObject({ type: 'summary', schemaVersion: 1, rejected: 0, incidents: 1 });
    });

    it('Log Analytics CSV: the " [UTC]" columns are read as UTC, to the millisecond, with the dynamic columns as JSON', async () => {
        const { stdout } = await runCli(['replay', '--json', fixture('log-analytics-signinlogs.csv')]);
        const [incident, summary] = lines(stdout);
        expect(incident!.firstSeen).toBe('2026-03-02T14:00:05.123Z');
        // The noise row (a token refresh of another user) is read as a sign-in, not rejected.
        expect(summary).toMatchObject({ records: 8, mfaEvents: 7, other: 1, rejected: 0 });
    });

    it('AuditLogs, from Log Analytics CSV and from Graph pages: a method registered after the attack opens its incident', async () => {
        for (const audit of ['log-analytics-auditlogs.csv', 'graph-directoryaudits-page.json']) {
            const { code, stdout } = await runCli([
                'replay',
                '--json',
                fixture('log-analytics-signinlogs.csv'),
                fixture(audit),
            ]);
            expect(code).toBe(0);
            const triggers = lines(stdout)
                .filter((l) => l.type === 'incident')
                .map((l) => l.trigger);
            expect({ audit, triggers }).toEqual({
                audit,
                triggers: ['threshold', 'method-registered-after-attack'],
            });
        }
    });

    it('a Graph directoryAudit keeps its own category ("UserManagement") and capitalised targetResources[].Type', () => {
        const page = JSON.parse(readFileSync(fixture('graph-directoryaudits-page.json'), 'utf8'));
        const options = {
            categories: new Set(['SignInLogs']),
            auditCategories: new Set(['AuditLogs']),
        };
        const [groupChange, registration] = page.value.map((r: unknown) => parseSignIn(r, options));
        expect(groupChange).toEqual({ type: 'other' });
        expect(registration).toMatchObject({
            type: 'event',
            event: {
                kind: 'method-registered',
                userId: ADELE,
                initiatedBy: 'user',
                methods: ['microsoftAuthenticator'],
            },
        });
    });

    it('an Event Hub record that spells it "Category" is an audit record, not one missing its result code', () => {
        const { records } = JSON.parse(readFileSync(fixture('eventhub-audit-pascalcase-category.json'), 'utf8'));
        const options = { categories: new Set(['SignInLogs']), auditCategories: new Set(['AuditLogs']) };
        expect(parseSignIn(records[0], options)).toEqual({ type: 'other' });
        expect(parseSignIn(records[0], { categories: new Set(['SignInLogs']) })).toEqual({
            type: 'dropped',
            category: 'AuditLogs',
        });
    });

    it('reads US-style times, with a comma and milliseconds (Log Analytics) or with a zone', () => {
        expect(parseEntraTime('2/25/2025, 9:19:25.391 AM')).toBe(Date.parse('2025-02-25T09:19:25.391Z'));
        expect(parseEntraTime('1/9/2007 10:41:00 AM +01:00')).toBe(Date.parse('2007-01-09T09:41:00Z'));
        expect(parseEntraTime('12/31/2026 11:59:59 PM -05:30')).toBe(Date.parse('2027-01-01T05:29:59Z'));
        expect(parseEntraTime('1/9/2007 10:41:00 AM +25:00')).toBeUndefined();
        expect(parseEntraTime('2/30/2025, 9:19:25.391 AM')).toBeUndefined();
    });
});

describe('replay never reassures about an input it could not read', () => {
    it('exits 65 for an empty file, saying so, and writes no report', async () => {
        const html = join(dir, 'empty.html');
        const empty = await runCli(['replay', '--html', html, file('empty.json', '')]);
        expect(empty.code).toBe(65);
        expect(empty.stdout).toBe('');
        expect(empty.stderr).toMatch(
            /the input holds no record \(it is empty\); supported exports: .*docs\/backtest\.md/,
        );
        expect(() => readFileSync(html)).toThrow();
    });

    it('exits 65 for a CSV of something else, naming its columns and the exports it reads', async () => {
        const csv = file(
            'users.csv',
            'DisplayName,Mail,Department\nAdele Vance,adele@contoso.com,Sales\nLee Gu,lee@contoso.com,IT\n',
        );
        const { code, stdout, stderr } = await runCli(['replay', csv]);
        expect(code).toBe(65);
        expect(stdout).not.toMatch(/No user was under MFA push attack/);
        expect(stderr).toMatch(
            /0 of 2 records were user sign-ins or audit records: 2 rejected \(2 × missing-result-code\)\. this looks like a CSV with columns DisplayName, Mail, Department\. Supported exports: .*Log Analytics "Export to CSV"/,
        );
    });

    it('exits 65 for JSON garbage, naming its keys', async () => {
        const { code, stderr } = await runCli(['replay', '--json', file('garbage.json', '[{"hello":"world","n":1}]')]);
        expect(code).toBe(65);
        expect(stderr).toMatch(/0 of 1 records .*JSON objects with keys hello, n/);
    });

    it('exits 65 for a Log Analytics export shown in local time, and says to export in UTC', async () => {
        const text = readFileSync(fixture('log-analytics-signinlogs.csv'), 'utf8').replace(
            /TimeGenerated \[UTC\]/,
            'TimeGenerated [Local Time]',
        );
        const { code, stderr } = await runCli(['replay', file('local.csv', text)]);
        expect(code).toBe(65);
        expect(stderr).toMatch(/TimeGenerated \[Local Time\]: set the display time zone to UTC before exporting/);
    });

    it('warns with the counts by reason when most records were rejected, and still reports what it found', async () => {
        const good = readFileSync(fixture('entra-download-interactive.json'), 'utf8');
        const records = JSON.parse(good) as Array<Record<string, unknown>>;
        const broken = Array.from({ length: 10 }, (_, i) => ({ ...records[0], userId: `not-a-guid-${i}` }));
        const { code, stdout, stderr } = await runCli([
            'replay',
            file('mostly.json', JSON.stringify([...broken, ...records])),
        ]);
        expect(code).toBe(0);
        expect(stderr).toMatch(
            /^warning: 10 of 17 records \(59%\) were rejected: 10 × invalid-user-id\. The results cover the other 7 only\.$/m,
        );
        expect(stdout).toMatch(/1 incident\(s\)/);
    });

    it('a CSV whose quoting breaks keeps the rows before it and counts the break as rejected', async () => {
        const csv = readFileSync(fixture('log-analytics-signinlogs.csv'), 'utf8');
        const { code, stdout } = await runCli(['replay', '--json', file('cut.csv', `${csv}"unclosed,quote\n`)]);
        expect(code).toBe(0);
        expect(lines(stdout).at(-1)).toMatchObject({ records: 9, rejected: 1, rejectedByReason: { 'invalid-csv': 1 } });
    });
});
