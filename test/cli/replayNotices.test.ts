/**
 * `replay --notices DIR`: a preview, without a tenant, of what the SOC would receive: the exact body the function
 * would POST for each notice in the configured NOTIFY_FORMAT, one file per notice, and nothing sent anywhere.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCli } from '../support/cliRun';

const SAMPLE = join(__dirname, '..', '..', 'samples', 'signins-attack.ndjson');

describe('replay --notices DIR', () => {
    it('writes the JSON payload by default, named from the incident id and the notice kind', async () => {
        const dir = join(mkdtempSync(join(tmpdir(), 'mfa-notices-')), 'new', 'folder');
        const { code, stderr, stdout } = await runCli(['replay', '--json', '--notices', dir, SAMPLE]);
        expect(code).toBe(0);
        const incident = JSON.parse(stdout.split('\n')[0]!);
        expect(readdirSync(dir)).toEqual([`${incident.incidentId}.incident.json`]);
        const body = JSON.parse(readFileSync(join(dir, `${incident.incidentId}.incident.json`), 'utf8'));
        expect(body).toMatchObject({
            type: 'mfa-fatigue-responder',
            kind: 'incident',
            title: 'MFA push attack on megan.bowen@contoso.com: detected (dry-run, nothing was changed)',
            incidentId: incident.incidentId,
            containment: 'dry-run',
        });
        expect(body.text).toMatch(/- revoke-sessions: dry-run \(would revoke sign-in sessions\)/);
        expect(stderr).toMatch(
            /1 notice\(s\) written to .* as NOTIFY_FORMAT=json would POST them \(nothing was sent\)/,
        );
    });

    it('writes the Teams Workflows message with NOTIFY_FORMAT=teams, and sends nothing even with a webhook set', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'mfa-notices-'));
        const { code } = await runCli(['replay', '--notices', dir, SAMPLE], {
            env: { NOTIFY_FORMAT: 'teams', NOTIFY_WEBHOOK_URL: 'https://127.0.0.1:9/never-called' },
        });
        expect(code).toBe(0);
        const [file] = readdirSync(dir);
        const body = JSON.parse(readFileSync(join(dir, file!), 'utf8'));
        expect(body.type).toBe('message');
        expect(body.attachments[0].content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    });

    it('refuses a file where the folder should be, before reading anything (exit 73)', async () => {
        const file = join(mkdtempSync(join(tmpdir(), 'mfa-notices-')), 'taken');
        writeFileSync(file, 'x');
        const { code, stderr } = await runCli(['replay', '--notices', file, SAMPLE]);
        expect(code).toBe(73);
        expect(stderr).toBe(`mfa-responder: cannot write notices to ${file}: it is a file, not a folder\n`);
    });
});
